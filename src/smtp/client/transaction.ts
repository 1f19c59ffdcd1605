// One mail transaction on an open session: [RSET] MAIL RCPT... DATA|BDAT, pipelined
// when the server offers PIPELINING (RFC 2920), body streamed from the spool with
// dot-stuffing (RFC 5321 §4.5.2) or in BDAT chunks (RFC 3030), honouring backpressure.
// Per-recipient outcomes: 2xx delivered, 4xx deferred, 5xx failed. A connection-level
// failure (I/O, timeout, 421, protocol) leaves the undecided recipients in `retry`.

import { bdat, DATA, mailFrom, needsUtf8, rcptTo, RSET } from "../../proto/smtp/client-command.ts";
import { DotStuffer } from "../../proto/smtp/client-dotstuff.ts";
import { concatBytes } from "../../core/bytes.ts";
import { replyText, type SmtpReply } from "../../proto/smtp/client-reply.ts";
import type { DeliveryResult, RecipientOutcome } from "../../queue/types.ts";
import type { QueuedMessage, Recipient } from "../../spool/types.ts";
import type { Command, OnOutcome, Outcome } from "./connection.ts";
import type { ClientOptions } from "./options.ts";
import type { Session } from "./session.ts";

const C250 = 250;
const C354 = 354; // RFC 5321 §4.1.1.4 start mail input
const C421 = 421; // RFC 5321 §3.8 service closing: a connection-level failure

export interface TxInput {
  msg: QueuedMessage;
  rcpts: Recipient[];
  body: () => AsyncIterable<Uint8Array>;
  /** the whole body read into buf at off: its size, or undefined (stream it with body()) */
  readInto?: (buf: Uint8Array, off: number) => number | undefined;
  /** the connection carried a transaction before: RSET first (RFC 5321 §4.1.1.5) */
  reused: boolean;
}

export interface TxResult {
  done: DeliveryResult[];
  /** undecided recipients: try them on another connection / target */
  retry: Recipient[];
  /** why `retry` is not empty */
  error?: string;
  /** the connection can carry another transaction */
  reusable: boolean;
}

/** The outcome a reply means for a recipient (RFC 5321 §4.2.1 reply classes). */
export function outcomeOf(r: SmtpReply, host: string): RecipientOutcome {
  const text = replyText(r);
  if (r.code < 300) return { status: "delivered", reply: text, host };
  if (r.code < 500) return { status: "deferred", reply: text, host };
  return { status: "failed", reply: text, host, enhanced: r.enhanced || undefined };
}

const all = (rs: Recipient[], o: RecipientOutcome): DeliveryResult[] => rs.map((recipient) => ({ recipient, outcome: o }));
const retry = (done: DeliveryResult[], rs: Recipient[], error: string): TxResult => ({ done, retry: rs, error, reusable: false });

/** Checks that need no command: SMTPUTF8, SIZE, BINARYMIME against the server's capabilities. */
function precheck(s: Session, t: TxInput): TxResult | undefined {
  const env = t.msg.envelope;
  const utf8 = env.smtputf8 || needsUtf8(env.mailFrom) || t.rcpts.some((r) => needsUtf8(r.address));
  const bad = (reply: string, enhanced: string): TxResult => ({
    done: all(t.rcpts, { status: "failed", reply, host: s.host, enhanced }),
    retry: [],
    reusable: true,
  });
  if (utf8 && !s.caps.smtputf8) {
    // RFC 6531 §3.2: no SMTPUTF8 at the server → cannot deliver this message
    return bad(`553 5.6.7 message needs SMTPUTF8 but ${s.host} does not support it`, "5.6.7");
  }
  if (s.caps.size && t.msg.size > s.caps.size) {
    // RFC 1870 §6: the message is larger than the server's declared maximum
    return bad(`552 5.3.4 message size ${t.msg.size} exceeds ${s.host}'s limit of ${s.caps.size}`, "5.3.4");
  }
  if (env.body === "BINARYMIME" && !(s.caps.binaryMime && s.caps.chunking)) {
    // RFC 3030 §3: BINARYMIME needs BDAT; we do not convert
    return bad(`554 5.6.3 message is BINARYMIME but ${s.host} does not support it`, "5.6.3");
  }
  return undefined;
}

function envelopeCommands(s: Session, t: TxInput, o: ClientOptions): Command[] {
  const env = t.msg.envelope;
  const caps = s.caps;
  const out: Command[] = [];
  if (t.reused) out.push({ cmd: RSET, label: "RSET", timeoutMs: o.timeouts.mail });
  const utf8 = caps.smtputf8 && (env.smtputf8 || needsUtf8(env.mailFrom) || t.rcpts.some((r) => needsUtf8(r.address)));
  const body = env.body === "BINARYMIME" ? "BINARYMIME" : env.body === "8BITMIME" && caps.eightBitMime ? "8BITMIME" : undefined;
  const mail = mailFrom(env.mailFrom, {
    size: caps.size !== undefined ? t.msg.size : undefined,
    body,
    smtputf8: utf8,
    ret: caps.dsn ? env.dsn?.ret : undefined,
    envid: caps.dsn ? env.dsn?.envid : undefined,
  });
  out.push({ cmd: mail, label: "MAIL FROM", timeoutMs: o.timeouts.mail });
  for (const r of t.rcpts) {
    const cmd = rcptTo(r.address, caps.dsn ? { notify: r.notify, orcpt: r.orcpt } : {});
    out.push({ cmd, label: "RCPT TO", timeoutMs: o.timeouts.rcpt });
  }
  if (!caps.chunking) out.push({ cmd: DATA, label: "DATA", timeoutMs: o.timeouts.dataInit });
  return out;
}

export async function runTransaction(s: Session, t: TxInput, o: ClientOptions): Promise<TxResult> {
  const pre = precheck(s, t);
  if (pre) return pre;
  const cmds = envelopeCommands(s, t, o);
  // RFC 2920 §3.1: RSET, MAIL, every RCPT and DATA in one write
  const piped = s.caps.pipelining ? s.sc.sendMany(cmds) : undefined;
  let i = 0;
  const next = (): Promise<Outcome> => (piped ? piped[i++]! : s.sc.send(cmds[i++]!));
  if (t.reused) {
    const r = await next();
    if (r.type === "error") return retry([], t.rcpts, r.error.message);
    if (r.reply.code !== C250) return retry([], t.rcpts, `RSET: ${replyText(r.reply)}`);
  }
  const m = await next();
  if (m.type === "error") return retry([], t.rcpts, m.error.message);
  if (m.reply.code === C421) return retry([], t.rcpts, replyText(m.reply));
  if (m.reply.code !== C250) return mailRefused(s, t, m.reply, piped, o);
  const done: DeliveryResult[] = [];
  const accepted: Recipient[] = [];
  for (let k = 0; k < t.rcpts.length; k++) {
    const r = await next();
    const rcpt = t.rcpts[k]!;
    if (r.type === "error") return retry(done, [...accepted, ...t.rcpts.slice(k)], r.error.message);
    if (r.reply.code === C421) return retry(done, [...accepted, ...t.rcpts.slice(k)], replyText(r.reply));
    if (r.reply.code >= 200 && r.reply.code < 300) accepted.push(rcpt);
    else done.push({ recipient: rcpt, outcome: outcomeOf(r.reply, s.host) });
  }
  if (s.caps.chunking) {
    if (accepted.length === 0) return { done, retry: [], reusable: true };
    return finish(s, done, accepted, await sendBdat(s, t, o));
  }
  if (!piped && accepted.length === 0) return { done, retry: [], reusable: true };
  const d = await next();
  if (d.type === "error") return retry(done, accepted, d.error.message);
  if (accepted.length === 0) {
    // pipelined DATA after every RCPT failed: the server should refuse it (RFC 2920 §3.1)
    if (d.reply.code === C354) return { done, retry: [], reusable: await endEmptyData(s, o) };
    return { done, retry: [], reusable: true };
  }
  if (d.reply.code === C421) return retry(done, accepted, replyText(d.reply));
  if (d.reply.code !== C354) {
    done.push(...all(accepted, outcomeOf(d.reply, s.host)));
    return { done, retry: [], reusable: true };
  }
  return finish(s, done, accepted, await sendData(s, t, o));
}

/** MAIL refused (4xx/5xx): every recipient gets that outcome; drain the pipelined replies. */
async function mailRefused(
  s: Session,
  t: TxInput,
  reply: SmtpReply,
  piped: Promise<Outcome>[] | undefined,
  o: ClientOptions,
): Promise<TxResult> {
  const done = all(t.rcpts, outcomeOf(reply, s.host));
  if (!piped) return { done, retry: [], reusable: true };
  const rest = await Promise.all(piped.slice(piped.length - t.rcpts.length - (s.caps.chunking ? 0 : 1)));
  const last = rest[rest.length - 1]!;
  if (last.type === "error") return { done, retry: [], reusable: false };
  if (!s.caps.chunking && last.reply.code === C354) return { done, retry: [], reusable: await endEmptyData(s, o) };
  return { done, retry: [], reusable: true };
}

/** The server wrongly started DATA with no recipient: end it with an empty body. */
async function endEmptyData(s: Session, o: ClientOptions): Promise<boolean> {
  const p = s.sc.expect("end of data", o.timeouts.dataEnd);
  s.sc.write(new Uint8Array([46, 13, 10]));
  await p;
  return false; // do not trust this connection any further
}

type BodyResult = { type: "reply"; reply: SmtpReply } | { type: "error"; message: string } | { type: "local"; message: string };

function finish(s: Session, done: DeliveryResult[], accepted: Recipient[], b: BodyResult): TxResult {
  switch (b.type) {
    case "error":
      return retry(done, accepted, b.message);
    case "local":
      // reading our own spool failed: not the remote's fault, do not try another target
      done.push(...all(accepted, { status: "deferred", reply: `451 4.3.0 ${b.message}`, host: s.host }));
      return { done, retry: [], reusable: false };
    case "reply":
      if (b.reply.code === C421) return retry(done, accepted, replyText(b.reply));
      done.push(...all(accepted, outcomeOf(b.reply, s.host)));
      return { done, retry: [], reusable: true };
    default:
      return b satisfies never;
  }
}

/** bodies up to this size go out in one write (sendDataWhole) */
const WHOLE_MAX = 1024 * 1024;

/** room for the dots stuffing may add before the copy path is taken, and for CRLF.CRLF */
const stuffRoom = (size: number) => (size >> 5) + 64;

/**
 * DATA body of a small message in one write: read straight into a buffer the
 * connection reuses, dot-stuffed in place, CRLF.CRLF after it. Undefined when the
 * body must be streamed (too large, or the spool cannot read it at once).
 */
async function sendDataWhole(s: Session, t: TxInput, o: ClientOptions): Promise<BodyResult | undefined> {
  const sc = s.sc;
  const buf = sc.takeBuffer(t.msg.size + stuffRoom(t.msg.size));
  let n: number | undefined;
  try {
    n = t.readInto!(buf, 0);
  } catch (e) {
    sc.destroy("spool read failed");
    return { type: "local", message: `cannot read message ${t.msg.id}: ${(e as Error).message}` };
  }
  if (n === undefined) {
    sc.giveBack(buf);
    return undefined;
  }
  const st = new DotStuffer();
  const len = st.stuffInPlace(buf.subarray(0, buf.length - 5), n);
  if (len < 0) {
    sc.giveBack(buf);
    return endData(s, concatBytes([st.push(buf.subarray(0, n)), st.end()]), o); // many line-initial dots: copy
  }
  const end = st.end();
  buf.set(end, len);
  return endData(s, buf.subarray(0, len + end.length), o, () => sc.giveBack(buf));
}

/** the last body bytes (ending with CRLF.CRLF) and the reply to them */
async function endData(s: Session, last: Uint8Array, o: ClientOptions, released?: () => void): Promise<BodyResult> {
  const sc = s.sc;
  if (sc.failure) return { type: "error", message: sc.failure.message };
  const fin = sc.expect("end of data", o.timeouts.dataEnd); // RFC 5321 §4.5.3.2.6
  sc.write(last, released);
  const r = await fin;
  return r.type === "reply" ? r : { type: "error", message: r.error.message };
}

/** DATA body: dot-stuffed, streamed, waiting for `drain` when the socket is full. */
async function sendData(s: Session, t: TxInput, o: ClientOptions): Promise<BodyResult> {
  const sc = s.sc;
  if (t.readInto && t.msg.size <= WHOLE_MAX) {
    const r = await sendDataWhole(s, t, o);
    if (r) return r;
  }
  const st = new DotStuffer();
  // each chunk goes out when the next one is read: the last one leaves in the same write
  // as the end of data (one write per message for bodies read in one piece)
  let held: Uint8Array | undefined;
  try {
    for await (const chunk of t.body()) {
      if (sc.failure) break;
      const out = st.push(chunk);
      if (held && !sc.write(held)) {
        held = out;
        const f = await sc.drained(o.timeouts.dataBlock);
        if (f) return { type: "error", message: f.message };
        continue;
      }
      held = out;
    }
  } catch (e) {
    sc.destroy("spool read failed");
    return { type: "local", message: `cannot read message ${t.msg.id}: ${(e as Error).message}` };
  }
  return endData(s, held ? concatBytes([held, st.end()]) : st.end(), o);
}

/** RFC 3030 BDAT: one chunk per spool read, then "BDAT 0 LAST". */
async function sendBdat(s: Session, t: TxInput, o: ClientOptions): Promise<BodyResult> {
  const sc = s.sc;
  let refused: Outcome | undefined;
  const onChunk: OnOutcome = (r) => {
    if (!refused && (r.type === "error" || r.reply.code !== C250)) refused = r;
  };
  try {
    for await (const chunk of t.body()) {
      if (chunk.length === 0) continue;
      if (s.caps.pipelining) sc.expectCb("BDAT", o.timeouts.dataBlock, onChunk);
      const wait = s.caps.pipelining ? undefined : sc.expect("BDAT", o.timeouts.dataBlock);
      sc.write(bdat(chunk.length, false));
      if (!sc.write(chunk)) {
        const f = await sc.drained(o.timeouts.dataBlock);
        if (f) return { type: "error", message: f.message };
      }
      if (wait) onChunk(await wait);
      if (refused || sc.failure) break;
    }
  } catch (e) {
    sc.destroy("spool read failed");
    return { type: "local", message: `cannot read message ${t.msg.id}: ${(e as Error).message}` };
  }
  if (!refused && !sc.failure) {
    const fin = sc.expect("BDAT LAST", o.timeouts.dataEnd);
    sc.write(bdat(0, true));
    onChunk(await fin);
    if (!refused) return await fin as BodyResult;
  }
  const r = refused ?? { type: "error" as const, error: sc.failure! };
  if (r.type === "error") return { type: "error", message: r.error.message };
  sc.destroy("BDAT refused"); // the rest of the chunks are in flight: this connection is out of sync
  return r;
}
