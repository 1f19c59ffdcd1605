// The HTTP API benchmark: messages/s accepted durably (fsync on) through
//   POST /v1/messages           one message per request, JSON, 50 concurrent clients
//   POST /v1/messages/batch     1,000 templated recipients per request, JSON and msgpack
// side by side with SMTP ingest of the same messages (same size, one recipient each,
// same remote domain; bench/smtp-load.ts, pipelined, 50 sessions) in the same run.
//
//   ./node_modules/.bin/bun bench/http.ts [--runs 3] [--messages 20000] [--runtimes bun,deno]
//        [--loads smtp,single,batch-json,batch-msgpack] [--no-report]
//
// Every (load, run) gets a fresh Tern (empty spool), a warm-up (not measured, counted),
// the measured load, then its spool is counted (scanSpool) against what was accepted,
// and it is stopped by PID. Loads are interleaved within each run.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { parseArgs } from "node:util";
import { composeBatch } from "../src/http/compose.ts";
import { sizeOf } from "../src/http/template.ts";
import { recipient, template } from "./http-load.ts";
import { renderHttpSection, type HttpDoc, type HttpRun, type LoadName } from "./http-report.ts";
import { REMOTE_DOMAIN, startHttpTern, type HttpTern } from "./http-server.ts";
import { machineInfo } from "./lib/report.ts";
import { resetTreeHwm, treeCpuSeconds, vmHwmMb } from "./lib/procstat.ts";
import { BUN, cleanupOnSignal, REPO, run, type TernRuntime } from "./lib/servers.ts";

const LOADS: LoadName[] = ["smtp", "single", "batch-json", "batch-msgpack"];
const FILLER = 20;
const SMTP_SESSIONS = 50;
const SINGLE_CLIENTS = 50;
const BATCH = 1000;
const BATCH_CLIENTS = 4;

/** the size of the composed message, so the SMTP load sends the same number of bytes */
export async function composedSize(): Promise<number> {
  const [m] = await composeBatch({ ...template(FILLER), recipients: [recipient(12345, REMOTE_DOMAIN)] });
  return sizeOf(m.parts);
}

function loadArgs(load: LoadName, srv: HttpTern, messages: number, size: number): string[] {
  const http = (mode: string, clients: number) => [
    "bench/http-load.ts", "--json", "--port", String(srv.httpPort), "--token", srv.token, "--mode", mode,
    "--messages", String(messages), "--concurrency", String(clients), "--batch", String(BATCH),
    "--domain", REMOTE_DOMAIN, "--filler", String(FILLER),
  ];
  switch (load) {
    case "smtp":
      return ["bench/smtp-load.ts", "--json", "--port", String(srv.smtpPort), "--sessions", String(SMTP_SESSIONS),
        "--messages", String(messages), "--size", String(size), "--from", "news@bench.example", "--to", `user0@${REMOTE_DOMAIN}`];
    case "single":
      return http("single", SINGLE_CLIENTS);
    case "batch-json":
      return http("batch-json", BATCH_CLIENTS);
    case "batch-msgpack":
      return http("batch-msgpack", BATCH_CLIENTS);
  }
}

interface LoadOut {
  accepted: number;
  seconds: number;
  msgsPerSec: number;
  errors: string[];
  command: string;
}

async function runLoad(args: string[]): Promise<LoadOut> {
  const command = ["./node_modules/.bin/bun", ...args.map((a, i) => (args[i - 1] === "--token" ? "$TOKEN" : a))].join(" ");
  const { code, out, err } = await run(BUN, args, { cwd: REPO });
  try {
    const r = JSON.parse(out.trim().split("\n").pop() ?? "");
    return { accepted: r.accepted, seconds: r.seconds, msgsPerSec: r.msgsPerSec, errors: [...r.errors, ...err.split("\n").filter(Boolean)].slice(0, 10), command };
  } catch {
    return { accepted: 0, seconds: 0, msgsPerSec: 0, errors: [`load gave no result (code ${code}): ${err.slice(0, 300)}`], command };
  }
}

let current: HttpTern | null = null;

async function measure(runtime: TernRuntime, load: LoadName, messages: number, size: number, dir: string): Promise<HttpRun> {
  const srv = await startHttpTern(runtime, dir);
  current = srv;
  try {
    // warm-up: JIT, connections; counted in the spool, not in the figures
    const warm = await runLoad(loadArgs(load, srv, load.startsWith("batch") ? BATCH : 200, size));
    resetTreeHwm(srv.pid);
    const cpu0 = treeCpuSeconds(srv.pid);
    const r = await runLoad(loadArgs(load, srv, messages, size));
    const cpu = treeCpuSeconds(srv.pid) - cpu0;
    const rssMb = vmHwmMb(srv.pid);
    const stored = (await srv.count()) - warm.accepted;
    const loadavg = Number(readFileSync("/proc/loadavg", "latin1").split(" ")[0]);
    const errors = [...warm.errors, ...r.errors];
    const tag = `tern-${runtime} ${load}`;
    process.stderr.write(`  ${tag}: ${r.msgsPerSec} msgs/s, ${r.seconds.toFixed(2)} s, cpu ${cpu.toFixed(2)} s, rss ${rssMb.toFixed(0)} MB, stored ${stored}/${r.accepted} (sent ${messages}), load ${loadavg}\n`);
    if (stored !== r.accepted || r.accepted !== messages) process.stderr.write(`  !!! MISMATCH ${tag}: sent ${messages}, accepted ${r.accepted}, stored ${stored}\n`);
    for (const e of errors.slice(0, 3)) process.stderr.write(`  !!! ${tag}: ${e}\n`);
    return { runtime, load, sent: messages, accepted: r.accepted, stored, seconds: r.seconds, msgsPerSec: r.msgsPerSec, cpu, rssMb, loadavg, errors, command: r.command };
  } finally {
    current = null;
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** the server being measured, handed to cleanupOnSignal */
function takeCurrent() {
  const srv = current;
  current = null;
  return srv;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    options: {
      runs: { type: "string", default: "3" },
      messages: { type: "string", default: "20000" },
      runtimes: { type: "string", default: "bun" },
      loads: { type: "string", default: LOADS.join(",") },
      "no-report": { type: "boolean", default: false },
      out: { type: "string", default: `${REPO}/bench/RESULTS.md` },
    },
  });
  const runs = Number(values.runs);
  const messages = Number(values.messages);
  const runtimes = values.runtimes!.split(",") as TernRuntime[];
  const loads = values.loads!.split(",") as LoadName[];
  for (const l of loads) if (!LOADS.includes(l)) throw new Error(`--loads: unknown load ${l} (expected ${LOADS.join(", ")})`);
  const root = mkdtempSync(`${tmpdir()}/tern-http-bench-`);
  cleanupOnSignal(root, takeCurrent);
  const size = await composedSize();
  const started = new Date();
  const t0 = performance.now();
  const results: HttpRun[] = [];
  let seq = 0;
  try {
    for (let run = 1; run <= runs; run++) {
      for (const runtime of runtimes) {
        process.stderr.write(`== run ${run}/${runs}, Tern on ${runtime}, ${messages} messages of ${size} B each\n`);
        for (const load of loads) results.push(await measure(runtime, load, messages, size, `${root}/${++seq}-${runtime}-${load}`));
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const doc: HttpDoc = {
    started: started.toISOString(),
    minutes: (performance.now() - t0) / 60000,
    argv: process.argv.slice(2),
    machine: await machineInfo(),
    spec: { runs, messages, size, smtpSessions: SMTP_SESSIONS, singleClients: SINGLE_CLIENTS, batch: BATCH, batchClients: BATCH_CLIENTS },
    results,
  };
  if (values["no-report"]) {
    process.stdout.write(JSON.stringify(doc, null, 1) + "\n");
    return;
  }
  mkdirSync(`${REPO}/bench/results`, { recursive: true });
  writeFileSync(`${REPO}/bench/results/http-latest.json`, JSON.stringify(doc, null, 1));
  renderHttpSection(doc, values.out!);
  process.stderr.write(`done in ${doc.minutes.toFixed(1)} min: ${values.out}\n`);
}

if (import.meta.main) await main();
