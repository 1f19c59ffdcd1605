// An HTTP API load generator: POST /v1/messages (one message per request) or
// /v1/messages/batch (JSON or msgpack, N recipients per request, {{variables}}).
//
//   bun bench/http-load.ts --port 8025 --token T [--mode single|batch-json|batch-msgpack]
//       [--messages 20000] [--concurrency 50] [--batch 1000] [--domain bench-remote.example] [--json]
//
// Every request body is built before the clock starts; `concurrency` workers each send
// their share of the requests back to back over keep-alive connections. A request
// counts its messages as accepted only on 202 with one id per message.

import { parseArgs } from "node:util";
import { pack } from "msgpackr";
import { intArg, latencySummary, r2 } from "./lib/stats.ts";

export type HttpMode = "single" | "batch-json" | "batch-msgpack";
export const HTTP_MODES: HttpMode[] = ["single", "batch-json", "batch-msgpack"];

export interface HttpLoadOptions {
  host: string;
  port: number;
  token: string;
  mode: HttpMode;
  messages: number;
  concurrency: number;
  batch: number;
  domain: string;
  /** repeat the filler paragraph this many times (sets the message size) */
  filler: number;
}

export interface HttpLoadResult {
  mode: HttpMode;
  requests: number;
  sent: number;
  accepted: number;
  seconds: number;
  msgsPerSec: number;
  /** per request, ms */
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  errors: string[];
}

export const FROM = "News <news@bench.example>";
const FILLER = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. ";

/** The newsletter every mode sends: a templated subject and text (about 2 KB composed at filler 20). */
export function template(filler: number) {
  return {
    from: FROM,
    subject: "Your weekly digest, {{name}}",
    text: `Hello {{name}},\n\nyour account {{account}} has {{count}} new items.\n\n${FILLER.repeat(filler)}\n\n-- \nBench News\n`,
  };
}

export const recipient = (i: number, domain: string) => ({
  to: `user${i}@${domain}`,
  substitutions: { name: `User ${i}`, account: `AC-${100000 + i}`, count: i % 97 },
});

/** `{{name}}` filled in on the client: what a single-message client sends. */
function filled(s: string, vars: Record<string, string | number>): string {
  return s.replace(/\{\{(\w+)\}\}/g, (_, k: string) => String(vars[k]));
}

interface Req {
  body: Uint8Array<ArrayBuffer> | string;
  type: string;
  messages: number;
}

export function buildRequests(o: HttpLoadOptions): Req[] {
  const t = template(o.filler);
  const out: Req[] = [];
  if (o.mode === "single") {
    for (let i = 0; i < o.messages; i++) {
      const r = recipient(i, o.domain);
      const body = { from: t.from, to: [r.to], subject: filled(t.subject, r.substitutions), text: filled(t.text, r.substitutions) };
      out.push({ body: JSON.stringify(body), type: "application/json", messages: 1 });
    }
    return out;
  }
  for (let i = 0; i < o.messages; i += o.batch) {
    const n = Math.min(o.batch, o.messages - i);
    const body = { ...t, recipients: Array.from({ length: n }, (_, k) => recipient(i + k, o.domain)) };
    out.push(o.mode === "batch-json"
      ? { body: JSON.stringify(body), type: "application/json", messages: n }
      : { body: new Uint8Array(pack(body)), type: "application/msgpack", messages: n });
  }
  return out;
}

export async function runHttpLoad(o: HttpLoadOptions): Promise<HttpLoadResult> {
  const reqs = buildRequests(o);
  const url = `http://${o.host}:${o.port}/v1/messages${o.mode === "single" ? "" : "/batch"}`;
  const latencies: number[] = [];
  const errors: string[] = [];
  let accepted = 0;
  let next = 0;
  const worker = async () => {
    while (next < reqs.length) {
      const r = reqs[next++]!;
      const t0 = performance.now();
      try {
        const res = await fetch(url, {
          method: "POST",
          headers: { authorization: `Bearer ${o.token}`, "content-type": r.type },
          body: r.body,
        });
        const text = await res.text();
        latencies.push(performance.now() - t0);
        const got = res.status === 202 ? (o.mode === "single" ? (JSON.parse(text).id ? 1 : 0) : JSON.parse(text).ids.length) : 0;
        accepted += got;
        if (got !== r.messages && errors.length < 10) errors.push(`HTTP ${res.status}: ${text.slice(0, 200)}`);
      } catch (e) {
        if (errors.length < 10) errors.push(`request: ${(e as Error).message}`);
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(o.concurrency, reqs.length) }, worker));
  const seconds = (performance.now() - t0) / 1000;
  return {
    mode: o.mode,
    requests: reqs.length,
    sent: o.messages,
    accepted,
    seconds: r2(seconds),
    msgsPerSec: Math.round(accepted / seconds),
    latencyMs: latencySummary(latencies),
    errors,
  };
}

async function cli(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string" },
      token: { type: "string" },
      mode: { type: "string", default: "batch-json" },
      messages: { type: "string", default: "20000" },
      concurrency: { type: "string", default: "4" },
      batch: { type: "string", default: "1000" },
      domain: { type: "string", default: "bench-remote.example" },
      filler: { type: "string", default: "20" },
      json: { type: "boolean", default: false },
    },
  });
  if (!HTTP_MODES.includes(values.mode as HttpMode)) throw new Error(`--mode: expected one of ${HTTP_MODES.join(", ")}`);
  if (!values.token) throw new Error("--token: required (an API key: tern apikey add NAME)");
  const r = await runHttpLoad({
    host: values.host!, port: intArg("port", values.port, 1), token: values.token, mode: values.mode as HttpMode,
    messages: intArg("messages", values.messages, 1), concurrency: intArg("concurrency", values.concurrency, 1),
    batch: intArg("batch", values.batch, 1), domain: values.domain!, filler: intArg("filler", values.filler, 0),
  });
  if (values.json) process.stdout.write(JSON.stringify(r) + "\n");
  else {
    process.stdout.write(`${r.mode}: ${r.accepted}/${r.sent} accepted in ${r.seconds}s (${r.requests} requests): ${r.msgsPerSec} msgs/s; ` +
      `request latency ms p50 ${r.latencyMs.p50} p99 ${r.latencyMs.p99} max ${r.latencyMs.max}\n`);
    for (const e of r.errors) process.stdout.write(`  error: ${e}\n`);
  }
  return r.accepted === r.sent ? 0 : 1;
}

if (import.meta.main) {
  try {
    process.exitCode = await cli(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`http-load: ${(e as Error).message}\n`);
    process.exitCode = 2;
  }
}
