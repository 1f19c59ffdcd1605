// The ingest benchmark: durable SMTP ingest, Tern (Bun, Deno) side by side with Postfix
// (queue only, delivery deferred) and smtp-sink (no disk: the ceiling).
//
//   ./node_modules/.bin/bun bench/ingest.ts [--runs 3] [--scale 1] [--servers a,b] [--loads a,b]
//        [--sizes 2048,51200] [--sessions 1,10,50] [--no-big] [--out bench/RESULTS.md]
//
// For every (size, sessions) cell and every run, each server is started fresh (empty
// spool/queue), loaded, measured (CPU of its process tree, peak RSS), its stored count
// checked against what was sent, and stopped by PID. Writes RESULTS.md (tables, medians
// of the runs) and bench/results/latest.json.

import { chmodSync, readFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { parseArgs } from "node:util";
import { runLoad, type LoadKind } from "./lib/loads.ts";
import { resetTreeHwm, treeCpuSeconds, treeHwmMb, vmHwmMb } from "./lib/procstat.ts";
import { cleanupOnSignal, REPO, startPostfix, startSink, startTern, type Server } from "./lib/servers.ts";
import { machineInfo, renderResults, type BigRun, type Results, type Row, type RunResult } from "./lib/report.ts";

export type ServerKind = "tern-bun" | "tern-deno" | "postfix" | "postfix-ifd0" | "smtp-sink";
let suspend = true; // --no-suspend: let the queue attempt each message (see "Benchmark: SMTP ingest" in README.md)
const STARTERS: Record<ServerKind, (dir: string) => Promise<Server>> = {
  "tern-bun": (dir) => startTern({ runtime: "bun", dir, suspend }),
  "tern-deno": (dir) => startTern({ runtime: "deno", dir, suspend }),
  postfix: (dir) => startPostfix(dir, "1s"), // the default in_flow_delay
  "postfix-ifd0": (dir) => startPostfix(dir, "0"),
  "smtp-sink": (dir) => startSink(dir),
};

const COMBOS: { server: ServerKind; load: LoadKind }[] = [
  { server: "tern-bun", load: "smtp-source" },
  { server: "tern-deno", load: "smtp-source" },
  { server: "postfix", load: "smtp-source" },
  { server: "postfix-ifd0", load: "smtp-source" },
  { server: "smtp-sink", load: "smtp-source" },
  { server: "tern-bun", load: "smtp-load" },
  { server: "tern-deno", load: "smtp-load" },
  { server: "smtp-sink", load: "smtp-load" },
];

/** messages per run: 20,000 for 2 KB at 10/50 sessions, scaled down for 1 session and 50 KB */
function baseCount(size: number, sessions: number): number {
  if (size <= 4096) return sessions === 1 ? 2000 : 20000;
  return sessions === 1 ? 1000 : 5000;
}

/**
 * Postfix ingests ~250 msgs/s here: 20,000 messages would take 80 s per run and variant
 * (16 min for its four 2 KB rows alone), so its runs are capped (after a warm-up, a rate
 * is a rate). --postfix-full lifts the cap.
 */
function postfixCap(size: number): number {
  return size <= 4096 ? 4000 : 2000;
}

/** warm-up messages before each measured run: two per session */
const warmCount = (sessions: number) => 2 * sessions;

const BIG_SIZE = 100 * 1000 * 1000;

async function measureOne(kind: ServerKind, load: LoadKind, size: number, sessions: number, messages: number, dir: string): Promise<RunResult> {
  const srv = await STARTERS[kind](dir);
  current = srv;
  try {
    // warm-up (JIT, Postfix's smtpd processes), not measured but counted in the store
    const warm = await runLoad(load, { port: srv.port, sessions, messages: warmCount(sessions), size });
    if (srv.count) await srv.count(); // let Postfix settle
    resetTreeHwm(srv.pid);
    const cpu0 = treeCpuSeconds(srv.pid);
    const r = await runLoad(load, { port: srv.port, sessions, messages, size });
    r.errors.unshift(...warm.errors);
    const storedAll = srv.count ? await srv.count() : undefined;
    const stored = storedAll === undefined ? undefined : storedAll - warm.accepted;
    const cpu = treeCpuSeconds(srv.pid) - cpu0;
    const rssMb = srv.pid === srv.mainPid && !kind.startsWith("postfix") ? vmHwmMb(srv.mainPid) : treeHwmMb(srv.pid);
    const loadavg = Number(readFileSync("/proc/loadavg", "latin1").split(" ")[0]);
    const res: RunResult = { loadavg, msgsPerSec: r.msgsPerSec, seconds: r.seconds, cpu, rssMb, sent: r.sent, accepted: r.accepted, errors: r.errors, command: r.command };
    if (r.latencyMs) res.latencyMs = r.latencyMs;
    if (stored !== undefined) res.stored = stored;
    const expect = r.accepted;
    const tag = `${kind} ${load} ${size}B x${sessions}`;
    process.stderr.write(
      `  ${tag}: ${Math.round(r.msgsPerSec)} msgs/s, ${r.seconds.toFixed(2)} s, cpu ${cpu.toFixed(2)} s, rss ${rssMb.toFixed(0)} MB` +
        (stored !== undefined ? `, stored ${stored}/${expect}` : "") + "\n",
    );
    if (stored !== undefined && stored !== expect) {
      process.stderr.write(`  !!! MISMATCH ${tag}: ${stored} messages stored, ${expect} accepted/sent\n`);
    }
    for (const e of r.errors.slice(0, 3)) process.stderr.write(`  !!! ${tag}: ${e}\n`);
    return res;
  } finally {
    current = null;
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** the server being measured, stopped on SIGINT/SIGTERM */
let current: Server | null = null;

/** the server being measured, handed to cleanupOnSignal */
function takeCurrent() {
  const srv = current;
  current = null;
  return srv;
}

async function measureBig(runtime: "bun" | "deno", dir: string): Promise<BigRun> {
  const srv = await startTern({ runtime, dir, maxMessageSize: 2 * BIG_SIZE, suspend });
  current = srv;
  try {
    const warm = await runLoad("smtp-load", { port: srv.port, sessions: 1, messages: 1, size: 2048 });
    const before = vmHwmMb(srv.mainPid);
    const r = await runLoad("smtp-load", { port: srv.port, sessions: 1, messages: 1, size: BIG_SIZE });
    const after = vmHwmMb(srv.mainPid);
    const stored = await srv.count!();
    const errors = [...warm.errors, ...r.errors];
    process.stderr.write(`  100 MB tern-${runtime}: hwm ${before.toFixed(0)} -> ${after.toFixed(0)} MB, ${r.seconds.toFixed(2)} s, stored ${stored}/2\n`);
    if (stored !== warm.accepted + r.accepted) process.stderr.write(`  !!! MISMATCH 100 MB tern-${runtime}: stored ${stored}\n`);
    for (const e of errors) process.stderr.write(`  !!! 100 MB tern-${runtime}: ${e}\n`);
    return { runtime, beforeMb: before, afterMb: after, seconds: r.seconds, stored, accepted: warm.accepted + r.accepted, errors, command: r.command };
  } finally {
    current = null;
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    options: {
      runs: { type: "string", default: "3" },
      scale: { type: "string", default: "1" },
      servers: { type: "string" },
      loads: { type: "string" },
      sizes: { type: "string", default: "2048,51200" },
      sessions: { type: "string", default: "1,10,50" },
      "no-big": { type: "boolean", default: false },
      "postfix-full": { type: "boolean", default: false },
      "no-suspend": { type: "boolean", default: false },
      out: { type: "string", default: `${REPO}/bench/RESULTS.md` },
    },
  });
  const root = mkdtempSync(`${tmpdir()}/tern-bench-`);
  chmodSync(root, 0o755); // Postfix's unprivileged processes must reach their queue below it
  cleanupOnSignal(root, takeCurrent);
  suspend = !values["no-suspend"];
  try {
    await benchmark(values, root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

type Values = { runs?: string; scale?: string; servers?: string; loads?: string; sizes?: string; sessions?: string; "no-big"?: boolean; "postfix-full"?: boolean; "no-suspend"?: boolean; out?: string };

async function benchmark(values: Values, root: string): Promise<void> {
  const runs = Number(values.runs);
  const scale = Number(values.scale);
  const servers = values.servers?.split(",");
  const loads = values.loads?.split(",");
  const combos = COMBOS.filter((c) => (!servers || servers.includes(c.server)) && (!loads || loads.includes(c.load)));
  const sizes = values.sizes!.split(",").map(Number);
  const sessionsList = values.sessions!.split(",").map(Number);
  const started = new Date();
  const t0 = performance.now();
  const rows: Row[] = [];
  let seq = 0;
  for (const size of sizes) {
    for (const sessions of sessionsList) {
      const messages = Math.max(sessions, Math.round(baseCount(size, sessions) * scale));
      const cell = combos
        // in_flow_delay only bites when Postfix's queue manager falls behind: not at 1 session
        .filter((c) => !(c.server === "postfix" && sessions === 1 && !values["postfix-full"]))
        .map((c) => ({
          ...c, size, sessions, runs: [] as RunResult[],
          messages: c.server.startsWith("postfix") && !values["postfix-full"] ? Math.min(messages, postfixCap(size)) : messages,
        }));
      rows.push(...cell);
      for (let run = 1; run <= runs; run++) {
        process.stderr.write(`== ${size} B, ${sessions} sessions, ${messages} messages (Postfix ${cell.find((r) => r.server.startsWith("postfix"))?.messages ?? "-"}), run ${run}/${runs}\n`);
        // interleave the servers within a run, so ratios come from the same moment
        for (const row of cell) {
          const dir = `${root}/${++seq}-${row.server}`;
          mkdirSync(dir, { recursive: true });
          row.runs.push(await measureOne(row.server, row.load, size, sessions, row.messages, dir));
        }
      }
    }
  }
  const big: BigRun[] = [];
  const wantBig = !values["no-big"] && (!servers || servers.some((s) => s.startsWith("tern")));
  if (wantBig) {
    for (let run = 1; run <= runs; run++) {
      for (const rt of ["bun", "deno"] as const) {
        if (servers && !servers.includes(`tern-${rt}`)) continue;
        big.push(await measureBig(rt, `${root}/${++seq}-big-${rt}`));
      }
    }
  }
  const results: Results = {
    started: started.toISOString(),
    minutes: (performance.now() - t0) / 60000,
    argv: process.argv.slice(2),
    runs,
    machine: await machineInfo(),
    rows,
    big,
  };
  mkdirSync(`${REPO}/bench/results`, { recursive: true });
  writeFileSync(`${REPO}/bench/results/latest.json`, JSON.stringify(results, null, 1));
  renderResults(results, values.out!);
  process.stderr.write(`done in ${results.minutes.toFixed(1)} min: ${values.out}\n`);
}

if (import.meta.main) await main();
