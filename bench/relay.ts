// The outbound relay benchmark: end-to-end relay of N messages to 10 destination domains,
// all routed to one Postfix smtp-sink on loopback. Tern (Bun, Deno) side by side with a
// private Postfix (relayhost = [127.0.0.1]:SINK) under the same load, in the same run.
//
//   ./node_modules/.bin/bun bench/relay.ts [--runs 3] [--messages 10000] [--sizes 2048,51200]
//        [--servers tern-bun,tern-deno,postfix] [--sessions 50] [--no-report]
//
// Per run: a fresh smtp-sink and a fresh MTA (empty queue); inject N messages over SMTP
// (bench/smtp-load.ts runLoad, pipelined, N/10 to each domain, --sessions spread over the
// domains) from this process; time from the first injection until smtp-sink counted N
// (its -c counters); CPU of the MTA's process tree and its peak RSS; then stop the MTA
// (it closes its pooled connections) and read how many SMTP sessions the sink saw.
// Writes bench/results/relay-latest.json and the section of bench/RESULTS.md between
// <!-- relay:begin --> and <!-- relay:end -->.

import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { parseArgs } from "node:util";
import { resetTreeHwm, treeCpuSeconds, treeHwmMb } from "./lib/procstat.ts";
import type { Server } from "./lib/servers.ts";
import { runLoad } from "./smtp-load.ts";
import { domains, type Sink, startCountingSink, startPostfixRelay, startTernRelay } from "./relay-servers.ts";
import { type RelayRun, writeRelayReport } from "./relay-report.ts";

export type RelayServer = "tern-bun" | "tern-deno" | "postfix";

const STARTERS: Record<RelayServer, (dir: string, sinkPort: number) => Promise<Server>> = {
  "tern-bun": (dir, p) => startTernRelay("bun", dir, p),
  "tern-deno": (dir, p) => startTernRelay("deno", dir, p),
  postfix: (dir, p) => startPostfixRelay(dir, p),
};

/** Give up on a run when the sink has not counted N after this long. */
const RUN_TIMEOUT_MS = 300_000;

async function inject(port: number, n: number, size: number, sessions: number): Promise<{ accepted: number; errors: string[] }> {
  const ds = domains();
  const perDomainSessions = Math.max(1, Math.round(sessions / ds.length));
  const results = await Promise.all(ds.map((d, i) => {
    const count = Math.floor(n / ds.length) + (i < n % ds.length ? 1 : 0);
    return runLoad({
      host: "127.0.0.1", port, sessions: perDomainSessions, messages: count, size,
      from: "sender@tern.bench", to: `rcpt@${d}`, helo: "load.bench", bdat: false,
    });
  }));
  return { accepted: results.reduce((a, r) => a + r.accepted, 0), errors: results.flatMap((r) => r.errors).slice(0, 10) };
}

export async function relayOnce(server: RelayServer, n: number, size: number, sessions: number): Promise<RelayRun> {
  const dir = mkdtempSync(`${tmpdir()}/tern-relay-bench-`);
  chmodSync(dir, 0o755); // Postfix's unprivileged processes must reach their queue below it
  let sink: Sink | undefined;
  let mta: Server | undefined;
  try {
    sink = await startCountingSink(`${dir}/sink`);
    mta = await STARTERS[server](`${dir}/${server}`, sink.port);
    resetTreeHwm(mta.pid);
    const cpu0 = treeCpuSeconds(mta.pid);
    const t0 = performance.now();
    const injected = inject(mta.port, n, size, sessions);
    const inj = await injected;
    const injectSeconds = (performance.now() - t0) / 1000;
    const done = await sink.waitMessages(n, RUN_TIMEOUT_MS);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = treeCpuSeconds(mta.pid) - cpu0;
    const rssMb = treeHwmMb(mta.pid);
    const accepted = sink.messages();
    await mta.stop();
    mta = undefined;
    // every pooled connection is closed now: the sink's session counter is final
    await new Promise((r) => setTimeout(r, 300));
    const errors = [...inj.errors];
    if (inj.accepted !== n) errors.unshift(`the MTA accepted ${inj.accepted} of ${n} injected`);
    if (!done) errors.unshift(`the sink counted only ${accepted} of ${n} after ${RUN_TIMEOUT_MS / 1000} s`);
    if (accepted > n) errors.unshift(`the sink counted ${accepted} messages for ${n} sent (duplicates)`);
    return {
      server, size, messages: n, sessions, injected: inj.accepted, delivered: accepted, seconds, injectSeconds,
      msgsPerSec: done ? n / seconds : 0, connections: sink.sessions(), cpuSeconds: cpu, rssMb, errors,
    };
  } finally {
    await mta?.stop().catch(() => {});
    await sink?.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      runs: { type: "string", default: "3" },
      messages: { type: "string", default: "10000" },
      sizes: { type: "string", default: "2048,51200" },
      servers: { type: "string", default: "tern-bun,tern-deno,postfix" },
      sessions: { type: "string", default: "50" },
      "no-report": { type: "boolean", default: false },
    },
  });
  const runs = Number(values.runs);
  const n = Number(values.messages);
  const sessions = Number(values.sessions);
  const sizes = values.sizes!.split(",").map(Number);
  const servers = values.servers!.split(",") as RelayServer[];
  for (const s of servers) if (!(s in STARTERS)) throw new Error(`--servers: unknown server ${JSON.stringify(s)} (${Object.keys(STARTERS).join(", ")})`);
  const all: RelayRun[] = [];
  const started = Date.now();
  for (const size of sizes) {
    for (let r = 0; r < runs; r++) {
      // interleave the servers within each round: machine noise hits them alike
      for (const server of servers) {
        const x = await relayOnce(server, n, size, sessions);
        all.push(x);
        process.stderr.write(
          `relay ${server} ${size} B run ${r + 1}/${runs}: ${x.delivered}/${n} in ${x.seconds.toFixed(2)} s = ${Math.round(x.msgsPerSec)} msgs/s, ` +
            `${x.connections} connections, cpu ${x.cpuSeconds.toFixed(1)} s, rss ${Math.round(x.rssMb)} MB${x.errors.length ? `; ${x.errors.join("; ")}` : ""}\n`,
        );
      }
    }
  }
  const command = `./node_modules/.bin/bun bench/relay.ts ${process.argv.slice(2).join(" ")}`.trim();
  writeRelayReport(all, { command, runs, messages: n, sessions, minutes: (Date.now() - started) / 60000 }, !values["no-report"]);
}

if (import.meta.main) {
  main().catch((e) => {
    process.stderr.write(`relay bench: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
  });
}
