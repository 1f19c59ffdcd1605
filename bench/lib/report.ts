// Machine description and the RESULTS.md renderer. Our section sits between
// <!-- ingest:begin --> and <!-- ingest:end -->; the rest of the file (other benchmarks)
// is left alone. The hand-written notes between <!-- notes:begin --> and
// <!-- notes:end --> survive a re-render.
//
//   ./node_modules/.bin/bun bench/lib/report.ts [bench/results/latest.json] [bench/RESULTS.md]   # re-render

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import type { LoadKind } from "./loads.ts";
import { BUN, DENO, REPO, run } from "./servers.ts";
import { fmt1, fmt2, fmtInt, kb, median, pct, ratio, table } from "./stats.ts";

export interface RunResult {
  /** 1-minute load average of the machine right after the run */
  loadavg?: number;
  msgsPerSec: number;
  seconds: number;
  cpu: number;
  rssMb: number;
  sent: number;
  accepted: number;
  stored?: number;
  latencyMs?: { p50: number; p90: number; p99: number; max: number };
  errors: string[];
  command: string;
}

export interface Row {
  server: string;
  load: LoadKind;
  size: number;
  sessions: number;
  messages: number;
  runs: RunResult[];
}

export interface BigRun {
  runtime: "bun" | "deno";
  beforeMb: number;
  afterMb: number;
  seconds: number;
  stored: number;
  accepted: number;
  errors: string[];
  command: string;
}

export interface Results {
  started: string;
  minutes: number;
  argv: string[];
  runs: number;
  machine: Record<string, string>;
  rows: Row[];
  big: BigRun[];
}

export async function machineInfo(): Promise<Record<string, string>> {
  const first = async (cmd: string, args: string[]) => {
    try {
      return (await run(cmd, args)).out.trim().split("\n")[0] ?? "";
    } catch {
      return "?";
    }
  };
  const rootDev = (await first("findmnt", ["-no", "SOURCE,FSTYPE,OPTIONS", "-T", "/tmp"])) || "?";
  const dev = rootDev.split(" ")[0]!.replace("/dev/", "").replace(/[0-9]+$/, "");
  let rota = "?";
  try {
    rota = readFileSync(`/sys/block/${dev}/queue/rotational`, "latin1").trim() === "1" ? "reported rotational" : "non-rotational";
  } catch {
    // not a plain block device
  }
  return {
    nproc: String(cpus().length),
    cpu: cpus()[0]?.model ?? "?",
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    kernel: await first("uname", ["-sr"]),
    os: (readFileSync("/etc/os-release", "latin1").match(/^PRETTY_NAME="?([^"\n]*)/m)?.[1]) ?? "?",
    disk: `${rootDev} (${dev}, ${rota}); /tmp holds the spools and queues`,
    bun: await first(BUN, ["--version"]),
    deno: await first(DENO, ["--version"]),
    postfix: await first("postconf", ["-dh", "mail_version"]),
  };
}

const NAMES: Record<string, string> = {
  "tern-bun": "Tern (Bun)",
  "tern-deno": "Tern (Deno)",
  postfix: "Postfix (in_flow_delay 1s, default)",
  "postfix-ifd0": "Postfix (in_flow_delay 0)",
  "smtp-sink": "smtp-sink (ceiling, no disk)",
};

const med = (r: Row, f: (x: RunResult) => number) => median(r.runs.map(f));
const find = (rows: Row[], server: string, load: LoadKind, size: number, sessions: number) =>
  rows.find((r) => r.server === server && r.load === load && r.size === size && r.sessions === sessions);

function storedCell(r: Row): string {
  if (r.server === "smtp-sink") return "n/a (memory)";
  const bad = r.runs.map((x, i) => ({ x, i })).filter(({ x }) => x.stored !== x.accepted);
  if (bad.length === 0) return `${fmtInt(r.runs[0]?.stored ?? NaN)} ✓ all runs`;
  return "**MISMATCH** " + bad.map(({ x, i }) => `run ${i + 1}: ${x.stored}/${x.accepted}`).join(", ");
}

function cellTable(rows: Row[], size: number, sessions: number): string {
  const cell = rows.filter((r) => r.size === size && r.sessions === sessions);
  const pf = find(rows, "postfix", "smtp-source", size, sessions);
  const pf0 = find(rows, "postfix-ifd0", "smtp-source", size, sessions);
  const body = cell.map((r) => {
    const v = med(r, (x) => x.msgsPerSec);
    const ceil = find(rows, "smtp-sink", r.load, size, sessions);
    const lat = r.runs[0]?.latencyMs ? `${fmt1(med(r, (x) => x.latencyMs!.p50))} / ${fmt1(med(r, (x) => x.latencyMs!.p99))}` : "–";
    const dagger = r.load === "smtp-load" ? " †" : "";
    const errs = r.runs.reduce((a, x) => a + x.errors.length, 0);
    return [
      NAMES[r.server] ?? r.server,
      r.load,
      fmtInt(r.messages),
      `**${fmtInt(v)}**`,
      r.runs.map((x) => fmtInt(x.msgsPerSec)).join(", "),
      pf ? ratio(v, med(pf, (x) => x.msgsPerSec)) + dagger : "–",
      pf0 ? ratio(v, med(pf0, (x) => x.msgsPerSec)) + dagger : "–",
      ceil ? pct(v, med(ceil, (x) => x.msgsPerSec)) : "–",
      fmt2(med(r, (x) => x.cpu)),
      fmt2(med(r, (x) => (1000 * x.cpu) / Math.max(1, x.accepted))),
      fmtInt(med(r, (x) => x.rssMb)),
      lat,
      storedCell(r) + (errs ? ` (${errs} error lines, see latest.json)` : ""),
    ];
  });
  return table(
    ["server", "load", "msgs/run", "msgs/s (median)", "runs", "vs Postfix 1s", "vs Postfix 0", "vs ceiling", "CPU s", "CPU ms/msg", "peak RSS MB", "latency p50 / p99 ms", "stored = sent"],
    body,
  );
}

function targets(rows: Row[]): string[] {
  const out: string[] = [];
  const v = (s: string, l: LoadKind, size: number, n: number) => {
    const r = find(rows, s, l, size, n);
    return r ? med(r, (x) => x.msgsPerSec) : NaN;
  };
  const yes = (ok: boolean) => (ok ? "**met**" : "**not met**");
  const bun = v("tern-bun", "smtp-source", 2048, 50);
  const pf = v("postfix", "smtp-source", 2048, 50);
  const pf0 = v("postfix-ifd0", "smtp-source", 2048, 50);
  const ceil = v("smtp-sink", "smtp-source", 2048, 50);
  if (Number.isFinite(bun)) {
    out.push(`- Tern on Bun ≥ 5× Postfix (2 KB, 50 sessions, smtp-source): ${ratio(bun, pf)} vs default Postfix — ${yes(bun >= 5 * pf)}; ${ratio(bun, pf0)} vs in_flow_delay 0 — ${yes(bun >= 5 * pf0)}.`);
    out.push(`- Tern on Bun ≥ 40% of the ceiling (2 KB, 50 sessions, smtp-source → smtp-sink): ${pct(bun, ceil)} — ${yes(bun >= 0.4 * ceil)}.`);
    const lb = v("tern-bun", "smtp-load", 2048, 50);
    const lc = v("smtp-sink", "smtp-load", 2048, 50);
    if (Number.isFinite(lb)) out.push(`- Same with the pipelining generator (smtp-load → Tern vs smtp-load → smtp-sink): ${pct(lb, lc)} — ${yes(lb >= 0.4 * lc)}.`);
  }
  const cells = [...new Set(rows.map((r) => `${r.size}/${r.sessions}/${r.load}`))];
  const slow: string[] = [];
  let worst = 0;
  for (const c of cells) {
    const [size, n, load] = c.split("/");
    const b = v("tern-bun", load as LoadKind, Number(size), Number(n));
    const d = v("tern-deno", load as LoadKind, Number(size), Number(n));
    if (!Number.isFinite(b) || !Number.isFinite(d)) continue;
    worst = Math.max(worst, b / d);
    if (b / d > 1.5) slow.push(`${kb(Number(size))} × ${n} (${load}): Bun/Deno ${(b / d).toFixed(2)}`);
  }
  if (worst > 0) {
    out.push(`- Deno within 1.5× of Bun: worst Bun/Deno ratio ${worst.toFixed(2)} — ${yes(slow.length === 0)}${slow.length ? ` (${slow.join("; ")})` : ""}.`);
  }
  return out;
}

function bigTable(big: BigRun[]): string {
  const rows = (["bun", "deno"] as const).flatMap((rt) => {
    const rs = big.filter((b) => b.runtime === rt);
    if (rs.length === 0) return [];
    const ok = rs.every((b) => b.stored === b.accepted && b.errors.length === 0);
    return [[
      `Tern (${rt === "bun" ? "Bun" : "Deno"})`,
      fmtInt(median(rs.map((b) => b.beforeMb))),
      fmtInt(median(rs.map((b) => b.afterMb))),
      `**${fmtInt(median(rs.map((b) => b.afterMb - b.beforeMb)))}**`,
      rs.map((b) => fmtInt(b.afterMb - b.beforeMb)).join(", "),
      fmt2(median(rs.map((b) => b.seconds))),
      ok ? "✓ all runs" : "**MISMATCH / errors** " + rs.map((b) => `${b.stored}/${b.accepted} ${b.errors.join("; ")}`).join(", "),
    ]];
  });
  return table(["server", "VmHWM before MB", "VmHWM after MB", "growth MB (median)", "growth per run", "transfer s", "stored"], rows);
}

const OURS = /<!-- ingest:begin -->[\s\S]*?<!-- ingest:end -->\n?/;
const BLOCK = /<!-- ([\w-]+):begin -->[\s\S]*?<!-- \1:end -->\n?/g;

/**
 * Put our section into the file: only the part between <!-- ingest:begin/end --> is
 * replaced; other benchmarks' sections (their own marker pairs) are left as they are.
 */
function splice(outPath: string, ours: string): string {
  if (!existsSync(outPath)) return ours;
  const old = readFileSync(outPath, "utf8");
  if (OURS.test(old)) return old.replace(OURS, () => ours);
  // an older file without our markers: keep every other marked section after ours
  const others = [...old.matchAll(BLOCK)].filter((m) => m[1] !== "notes").map((m) => m[0]);
  return [ours, ...others].join("\n");
}

export function renderResults(res: Results, outPath: string): void {
  let notes = "<!-- notes:begin -->\n(no notes yet)\n<!-- notes:end -->";
  if (existsSync(outPath)) {
    const m = readFileSync(outPath, "utf8").match(/<!-- notes:begin -->[\s\S]*?<!-- notes:end -->/);
    if (m) notes = m[0];
  }
  const sizes = [...new Set(res.rows.map((r) => r.size))];
  const sessions = [...new Set(res.rows.map((r) => r.sessions))];
  const m = res.machine;
  const parts: string[] = [
    "<!-- ingest:begin -->",
    "# Ingest benchmark results",
    "",
    `Generated by \`./node_modules/.bin/bun bench/ingest.ts${res.argv.length ? " " + res.argv.join(" ") : ""}\` (or \`bash bench/ingest.sh\`), started ${res.started}, took ${res.minutes.toFixed(1)} min.`,
    "",
    `Machine: ${m.nproc} CPUs (${m.cpu}), ${m.memory}, ${m.kernel}, ${m.os}; disk ${m.disk}. Bun ${m.bun}, ${m.deno}, Postfix ${m.postfix}.`,
    "",
    `Every figure is the **median of ${res.runs} runs**; all servers durable with fsync on (Tern: group-committed fdatasync before 250; Postfix: fsync of the queue file before 250), except smtp-sink (memory only, the ceiling).`,
    "Each run starts the server fresh (empty spool/queue), warms it up with 2 messages per session (not measured), then sends the measured batch, and stops the server by PID afterwards; the servers of a cell are interleaved within each run.",
    "Postfix runs are capped at 4,000 (2 KB) / 2,000 (50 KB) messages to keep the whole run near 15 minutes (it ingests ~250 msgs/s here); its in_flow_delay 1s variant is not run at 1 session (the delay only applies when the queue manager falls behind). `--postfix-full` lifts both.",
    "CPU s = user+sys of the server's process tree during the run (from /proc, reaped children included); peak RSS = VmHWM of the server process (Postfix: Σ VmHWM over its live processes).",
    "`stored = sent`: after each run the messages in Tern's spool (scanSpool) or Postfix's queue (files in incoming/active/deferred/hold) are counted and compared with what the generator sent.",
    "Ratios: vs Postfix / vs ceiling use the medians of the same cell; † = smtp-load row compared with Postfix driven by smtp-source (Postfix was not run under smtp-load).",
    "The load generator runs on the same machine and competes for the same CPUs.",
    "",
    "## Targets (from the issue)",
    "",
    ...targets(res.rows),
    "",
    "## Notes",
    "",
    notes,
    "",
  ];
  for (const size of sizes) {
    for (const n of sessions) {
      const loads = res.rows.filter((r) => r.size === size && r.sessions === n).flatMap((r) => r.runs.map((x) => x.loadavg ?? NaN));
      parts.push(
        `## ${kb(size)} messages, ${n} session${n === 1 ? "" : "s"}`,
        "",
        `Machine load average (1 min) after the runs of this cell: median ${fmt1(median(loads))}, max ${fmt1(Math.max(...loads))} (${res.machine.nproc} CPUs; other work was running on this shared machine).`,
        "",
        cellTable(res.rows, size, n),
        "",
      );
    }
  }
  if (res.big.length) {
    parts.push(
      "## One 100 MB message: server memory",
      "",
      "VmHWM of the Tern process after one 2 KB warm-up message, then after one 100 MB message (smtp-load, 1 session, DATA); maxMessageSize raised to 200 MB for this run.",
      "",
      bigTable(res.big),
      "",
      `Command: \`${res.big[0]!.command.replace(/--port \d+/, "--port PORT")}\``,
      "",
    );
  }
  const example = (load: LoadKind) => res.rows.find((r) => r.load === load)?.runs[0]?.command.replace(/127\.0\.0\.1:\d+|--port \d+/, (s) => (s.startsWith("--") ? "--port PORT" : "127.0.0.1:PORT"));
  parts.push(
    "## Exact commands",
    "",
    "Load generators (per cell, `-s`/`--sessions`, `-m`/`--messages`, `-l`/`--size` vary):",
    "",
    "```",
    example("smtp-source") ?? "",
    example("smtp-load") ?? "",
    "```",
    "",
    "Servers:",
    "",
    "```",
    "./node_modules/.bin/bun src/main.ts serve --config DIR/tern.json          # Tern (Bun)",
    "./node_modules/.bin/deno run -A src/main.ts serve --config DIR/tern.json  # Tern (Deno)",
    "postfix -c DIR/conf start                                                 # Postfix (main.cf: see bench/lib/servers.ts postfixMainCf)",
    "smtp-sink -u nobody -c 127.0.0.1:PORT 1024                                # ceiling",
    "```",
    "",
    "tern.json: `listen.smtp` 127.0.0.1:PORT (all other listeners false), `domains` [\"example.net\"], user rcpt@example.net, `limits.maxConnections`/`maxConnectionsPerIp` 2000, `log.level` warn, a fresh `dataDir` per run.",
    "Postfix main.cf: `defer_transports = smtp`, `mydestination =`, `mynetworks = 127.0.0.0/8`, `smtpd_peername_lookup = no`, `smtp_dns_support_level = disabled`, `in_flow_delay` 1s or 0, `chroot = n` for every service, private `queue_directory`.",
    "",
  );
  parts.push("<!-- ingest:end -->", "");
  writeFileSync(outPath, splice(outPath, parts.join("\n")));
}

if (import.meta.main) {
  const json = process.argv[2] ?? `${REPO}/bench/results/latest.json`;
  const out = process.argv[3] ?? `${REPO}/bench/RESULTS.md`;
  renderResults(JSON.parse(readFileSync(json, "utf8")) as Results, out);
  process.stderr.write(`wrote ${out}\n`);
}
