// A pipelining SMTP load generator (smtp-source never pipelines).
//
//   bun bench/smtp-load.ts --port 2525 [--host 127.0.0.1] [--sessions 50] [--messages 400]
//       [--size 2048] [--from sender@bench.example] [--to rcpt@example.net] [--bdat] [--json]
//
// Each of N sessions connects, sends EHLO, then sends M messages over the same
// connection. Per message: MAIL, RCPT and DATA in ONE write (RFC 2920 §3.1: DATA may be
// the last command of a group), wait for the three replies, then the body and the
// end-of-data dot in one write, and wait for the final reply. With --bdat the whole
// transaction (MAIL, RCPT, BDAT n LAST + body) is one write (RFC 3030 §2). Latency is
// MAIL written → final reply read. Prints msgs/s and latency percentiles.

import { connect, type Socket } from "node:net";
import { parseArgs } from "node:util";
import { intArg, latencySummary, r2 } from "./lib/stats.ts";

export interface LoadOptions {
  host: string;
  port: number;
  sessions: number;
  /** total messages, spread over the sessions */
  messages: number;
  size: number;
  from: string;
  to: string;
  helo: string;
  bdat: boolean;
}

export interface LoadResult {
  sessions: number;
  sent: number;
  accepted: number;
  failed: number;
  seconds: number;
  msgsPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  errors: string[];
}

const CRLF = "\r\n";
const WRITE_SLICE = 256 * 1024;
const MAX_ERRORS_KEPT = 10;

/** A message of exactly `size` bytes (headers + 76-char lines), no line starting with ".". */
export function makeMessage(size: number, to: string, from: string): Uint8Array {
  const head =
    `From: <${from}>${CRLF}To: <${to}>${CRLF}Subject: tern bench${CRLF}` +
    `Message-ID: <bench.${size}@bench.example>${CRLF}Date: Thu, 1 Jan 2026 00:00:00 +0000${CRLF}${CRLF}`;
  const out = new Uint8Array(Math.max(size, head.length + 2));
  out.set(new TextEncoder().encode(head), 0);
  let i = head.length;
  const line = 78; // 76 chars + CRLF
  while (i < out.length) {
    const rest = out.length - i;
    // never leave a tail shorter than CRLF + one char for the last line
    const n = rest <= line ? rest : rest - line < 3 ? rest - 3 : line;
    out.fill(0x78, i, i + n - 2); // "x"
    out[i + n - 2] = 0x0d;
    out[i + n - 1] = 0x0a;
    i += n;
  }
  return out;
}

/** Reads SMTP replies off a socket; next() resolves with the next complete reply. */
class ReplyReader {
  private buf = "";
  private replies: string[] = [];
  private waiters: ((r: string) => void)[] = [];
  private closedWith: string | undefined;

  constructor(sock: Socket) {
    sock.on("data", (b: Buffer) => this.feed(b.toString("latin1")));
    sock.on("error", (e: Error) => this.close(`socket error: ${e.message}`));
    sock.on("close", () => this.close("connection closed"));
  }

  private feed(s: string): void {
    this.buf += s;
    let start = 0;
    for (;;) {
      const eol = this.buf.indexOf(CRLF, start);
      if (eol < 0) break;
      const line = this.buf.slice(start, eol);
      start = eol + 2;
      this.pending.push(line);
      if (line.length < 4 || line[3] !== "-") {
        this.push(this.pending.join("\n"));
        this.pending = [];
      }
    }
    this.buf = this.buf.slice(start);
  }

  private pending: string[] = [];

  private push(r: string): void {
    const w = this.waiters.shift();
    if (w) w(r);
    else this.replies.push(r);
  }

  private close(why: string): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = why;
    for (const w of this.waiters.splice(0)) w(`000 ${why}`);
  }

  next(): Promise<string> {
    const r = this.replies.shift();
    if (r !== undefined) return Promise.resolve(r);
    if (this.closedWith !== undefined) return Promise.resolve(`000 ${this.closedWith}`);
    return new Promise((res) => this.waiters.push(res));
  }
}

const code = (r: string) => Number(r.slice(0, 3));

async function writeAll(sock: Socket, data: Uint8Array): Promise<void> {
  for (let i = 0; i < data.length; i += WRITE_SLICE) {
    const ok = sock.write(data.subarray(i, Math.min(data.length, i + WRITE_SLICE)));
    if (!ok) await new Promise<void>((r) => sock.once("drain", () => r()));
  }
}

interface SessionStats {
  accepted: number;
  failed: number;
  latencies: number[];
  errors: string[];
}

async function session(o: LoadOptions, count: number, body: Uint8Array, st: SessionStats): Promise<void> {
  const sock = connect({ host: o.host, port: o.port });
  sock.setNoDelay(true);
  const rr = new ReplyReader(sock);
  const fail = (what: string, r: string, n: number) => {
    st.failed += n;
    if (st.errors.length < MAX_ERRORS_KEPT) st.errors.push(`${what}: ${r.split("\n")[0]}`);
  };
  const greet = await rr.next();
  if (code(greet) !== 220) return fail("greeting", greet, count);
  sock.write(`EHLO ${o.helo}${CRLF}`);
  const ehlo = await rr.next();
  if (code(ehlo) !== 250) return fail("EHLO", ehlo, count);
  const caps = ehlo.toUpperCase();
  if (!caps.includes("PIPELINING")) return fail("EHLO", "server does not announce PIPELINING", count);
  if (o.bdat && !caps.includes("CHUNKING")) return fail("EHLO", "server does not announce CHUNKING", count);
  const envelope = `MAIL FROM:<${o.from}>${CRLF}RCPT TO:<${o.to}>${CRLF}`;
  const head = Buffer.from(o.bdat ? `${envelope}BDAT ${body.length} LAST${CRLF}` : `${envelope}DATA${CRLF}`, "latin1");
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    if (o.bdat) {
      if (body.length <= WRITE_SLICE) sock.write(Buffer.concat([head, body]));
      else {
        sock.write(head);
        await writeAll(sock, body);
      }
    } else sock.write(head);
    const mail = await rr.next();
    const rcpt = await rr.next();
    const data = await rr.next();
    if (code(mail) === 0 || code(rcpt) === 0 || code(data) === 0) return fail("connection", data, count - i);
    if (o.bdat) {
      if (code(mail) !== 250 || code(rcpt) !== 250 || code(data) !== 250) {
        fail("transaction", code(mail) !== 250 ? mail : code(rcpt) !== 250 ? rcpt : data, 1);
        continue;
      }
    } else {
      if (code(mail) !== 250 || code(rcpt) !== 250 || code(data) !== 354) {
        fail("transaction", code(mail) !== 250 ? mail : code(rcpt) !== 250 ? rcpt : data, 1);
        if (code(data) === 354) sock.write(`.${CRLF}`); // end the accepted DATA without a body
        if (code(data) === 354) await rr.next();
        sock.write(`RSET${CRLF}`);
        await rr.next();
        continue;
      }
      await writeAll(sock, body);
      sock.write(`.${CRLF}`);
      const done = await rr.next();
      if (code(done) === 0) return fail("connection", done, count - i);
      if (code(done) !== 250) {
        fail("end of data", done, 1);
        continue;
      }
    }
    st.latencies.push(performance.now() - t0);
    st.accepted++;
  }
  sock.write(`QUIT${CRLF}`);
  await rr.next();
  sock.end();
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const body = makeMessage(o.size, o.to, o.from);
  const st: SessionStats = { accepted: 0, failed: 0, latencies: [], errors: [] };
  const per = Math.floor(o.messages / o.sessions);
  const extra = o.messages % o.sessions;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: o.sessions }, (_, i) =>
      session(o, per + (i < extra ? 1 : 0), body, st).catch((e) => {
        st.errors.push(`session ${i}: ${(e as Error).message}`);
      }),
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  return {
    sessions: o.sessions,
    sent: o.messages,
    accepted: st.accepted,
    failed: o.messages - st.accepted,
    seconds: r2(seconds),
    msgsPerSec: Math.round(st.accepted / seconds),
    latencyMs: latencySummary(st.latencies),
    errors: st.errors,
  };
}

async function cli(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string" },
      sessions: { type: "string", default: "10" },
      messages: { type: "string", default: "1000" },
      size: { type: "string", default: "2048" },
      from: { type: "string", default: "sender@bench.example" },
      to: { type: "string", default: "rcpt@example.net" },
      helo: { type: "string", default: "bench.local" },
      bdat: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
  });
  const o: LoadOptions = {
    host: values.host!,
    port: intArg("port", values.port, 1),
    sessions: intArg("sessions", values.sessions, 1),
    messages: intArg("messages", values.messages, 1),
    size: intArg("size", values.size, 256),
    from: values.from!,
    to: values.to!,
    helo: values.helo!,
    bdat: values.bdat === true,
  };
  const r = await runLoad(o);
  if (values.json) process.stdout.write(JSON.stringify(r) + "\n");
  else {
    process.stdout.write(
      `${r.accepted}/${r.sent} accepted in ${r.seconds}s with ${r.sessions} sessions: ${r.msgsPerSec} msgs/s; ` +
        `latency ms p50 ${r.latencyMs.p50} p90 ${r.latencyMs.p90} p99 ${r.latencyMs.p99} max ${r.latencyMs.max}\n`,
    );
    for (const e of r.errors) process.stdout.write(`  error: ${e}\n`);
  }
  return r.failed === 0 ? 0 : 1;
}

if (import.meta.main) {
  try {
    process.exitCode = await cli(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`smtp-load: ${(e as Error).message}\n`);
    process.exitCode = 2;
  }
}
