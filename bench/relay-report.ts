// Report of the relay benchmark: medians of the runs per (size, server), ratios against
// Postfix from the same run, written to bench/results/relay-latest.json and to the
// section of bench/RESULTS.md between <!-- relay:begin --> and <!-- relay:end -->
// (the ingest renderer leaves that section alone).

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { machineInfo } from "./lib/report.ts";
import { REPO } from "./lib/servers.ts";
import { fmt1, fmt2, fmtInt, kb, median, ratio, table } from "./lib/stats.ts";

export interface RelayRun {
  server: string;
  size: number;
  messages: number;
  sessions: number;
  /** messages the MTA acknowledged (250) */
  injected: number;
  /** messages smtp-sink counted */
  delivered: number;
  /** first injection → the sink has all N */
  seconds: number;
  /** first injection → the last 250 from the MTA */
  injectSeconds: number;
  msgsPerSec: number;
  /** SMTP sessions the sink saw (= TCP connections: smtp-sink answers each with a session) */
  connections: number;
  cpuSeconds: number;
  rssMb: number;
  errors: string[];
}

export interface RelayMeta {
  command: string;
  runs: number;
  messages: number;
  sessions: number;
  minutes: number;
}

const BEGIN = "<!-- relay:begin -->";
const END = "<!-- relay:end -->";

interface Cell {
  server: string;
  size: number;
  msgsPerSec: number;
  seconds: number;
  injectSeconds: number;
  connections: number;
  cpuSeconds: number;
  cpuMsPerMsg: number;
  rssMb: number;
  runs: number[];
  errors: string[];
}

function cells(all: RelayRun[]): Cell[] {
  const keys = [...new Set(all.map((r) => `${r.size}|${r.server}`))];
  return keys.map((k) => {
    const rs = all.filter((r) => `${r.size}|${r.server}` === k);
    const m = (f: (r: RelayRun) => number) => median(rs.map(f));
    return {
      server: rs[0]!.server,
      size: rs[0]!.size,
      msgsPerSec: m((r) => r.msgsPerSec),
      seconds: m((r) => r.seconds),
      injectSeconds: m((r) => r.injectSeconds),
      connections: m((r) => r.connections),
      cpuSeconds: m((r) => r.cpuSeconds),
      cpuMsPerMsg: m((r) => (1000 * r.cpuSeconds) / r.messages),
      rssMb: m((r) => r.rssMb),
      runs: rs.map((r) => Math.round(r.msgsPerSec)),
      errors: rs.flatMap((r) => r.errors),
    };
  });
}

function render(all: RelayRun[], meta: RelayMeta, machine: Record<string, string>): string {
  const cs = cells(all);
  const out = [
    BEGIN,
    "## Outbound relay: Tern vs Postfix, end to end into smtp-sink",
    "",
    `${fmtInt(meta.messages)} messages per run to 10 domains, all routed to one Postfix \`smtp-sink\` on loopback ` +
      `(Tern: config \`routes\`; Postfix: \`relayhost = [127.0.0.1]:SINK\`). Injected over SMTP by bench/smtp-load.ts ` +
      `(pipelined, ${meta.sessions} sessions over the 10 domains) into a fresh MTA each run; the time runs from the first ` +
      `injection until the sink has counted all ${fmtInt(meta.messages)} (its \`-c\` counters). Medians of ${meta.runs} runs; ` +
      `servers interleaved within each round. Connections = SMTP sessions the sink saw (read after the MTA stopped). ` +
      `CPU = user+sys of the MTA's process tree over the run; RSS = peak (Postfix: sum over its processes, an upper bound). ` +
      `Both MTAs fsync every accepted message before the 250. Machine: ${machine.nproc} × ${machine.cpu}, ${machine.memory}, ${machine.os}. ` +
      `Whole run: ${fmt1(meta.minutes)} min.`,
    "",
  ];
  for (const size of [...new Set(cs.map((c) => c.size))]) {
    const pf = cs.find((c) => c.size === size && c.server === "postfix");
    out.push(`### ${kb(size)} messages`, "");
    out.push(table(
      ["server", "msgs/s end to end", "vs Postfix", "runs (msgs/s)", "s to all delivered", "s to all accepted", "connections", "CPU s", "CPU ms/msg", "peak RSS MB"],
      cs.filter((c) => c.size === size).map((c) => [
        c.server, fmtInt(c.msgsPerSec), pf ? ratio(c.msgsPerSec, pf.msgsPerSec) : "–", c.runs.join(", "),
        fmt2(c.seconds), fmt2(c.injectSeconds), fmtInt(c.connections), fmt1(c.cpuSeconds), fmt2(c.cpuMsPerMsg), fmtInt(c.rssMb),
      ]),
    ), "");
    const errs = cs.filter((c) => c.size === size && c.errors.length);
    for (const c of errs) out.push(`- ${c.server}: ${[...new Set(c.errors)].slice(0, 3).join("; ")}`);
    if (errs.length) out.push("");
  }
  out.push("Exact command:", "", "```", meta.command, "```", "", END);
  return out.join("\n");
}

export async function writeRelayReport(all: RelayRun[], meta: RelayMeta, toResults: boolean): Promise<void> {
  const machine = await machineInfo();
  const md = render(all, meta, machine);
  process.stdout.write(md + "\n");
  if (!toResults) return;
  mkdirSync(`${REPO}/bench/results`, { recursive: true });
  writeFileSync(`${REPO}/bench/results/relay-latest.json`, JSON.stringify({ meta, machine, runs: all }, null, 2) + "\n");
  const path = `${REPO}/bench/RESULTS.md`;
  const text = existsSync(path) ? readFileSync(path, "utf8") : "";
  const b = text.indexOf(BEGIN);
  const e = text.indexOf(END);
  const next = b >= 0 && e > b ? text.slice(0, b) + md + text.slice(e + END.length) : `${text.replace(/\n*$/, "\n\n")}${md}\n`;
  writeFileSync(path, next);
}
