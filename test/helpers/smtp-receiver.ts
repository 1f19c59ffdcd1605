// A configurable SMTP receiver for tests of outbound delivery (port 0 on 127.0.0.1).
// It accepts, tempfails (4xx) or permfails (5xx) per recipient, drops mid-DATA,
// stalls at a chosen step, and advertises or omits PIPELINING, CHUNKING, STARTTLS,
// SMTPUTF8, 8BITMIME, SIZE, DSN, AUTH. Every byte received is recorded per
// connection (after TLS: the decrypted stream), every transaction byte-exact.
//
//   const rx = await startReceiver({ chunking: true, rcpt: (a) => a.startsWith("bad") ? "550 5.1.1 no" : undefined });
//   ... rx.transactions[0].body, rx.connections ...
//   await rx.close();

import { concatBytes } from "../../src/core/bytes.ts";
import { DataReceiver } from "../../src/proto/smtp/data-receiver.ts";
import { nodeTransport } from "../../src/runtime/node-net.ts";
import type { Conn, ConnHandler, Listener, TlsOptions } from "../../src/runtime/types.ts";

export type Step = "greeting" | "ehlo" | "mail" | "rcpt" | "data" | "dataEnd";

export interface ReceiverOptions {
  hostname?: string;
  /** the greeting line (default "220 <hostname> ESMTP test") — e.g. "421 4.3.2 busy" */
  greeting?: string;
  /** false: answer EHLO with 502 (HELO only) */
  ehlo?: boolean;
  pipelining?: boolean; // default true
  chunking?: boolean; // default false
  eightBitMime?: boolean; // default true
  smtputf8?: boolean; // default false
  dsn?: boolean; // default false
  /** advertise SIZE n */
  size?: number;
  /** certificate: advertise STARTTLS */
  tls?: TlsOptions;
  /** advertise AUTH and require it before MAIL */
  auth?: { user: string; password: string; mechanisms?: string[] };
  /** reply line for MAIL (undefined: 250) */
  mail?: (from: string, params: string) => string | undefined;
  /** reply line for one RCPT (undefined: 250) */
  rcpt?: (address: string, params: string) => string | undefined;
  /** reply line after the body (undefined: 250) */
  dataReply?: (tx: ReceivedTransaction) => string | undefined;
  /** close the connection after this many body bytes (DATA or BDAT) */
  dropMidData?: number;
  /** never answer from this step on (the connection stays open) */
  stallAt?: Step;
}

export interface ReceivedTransaction {
  mailFrom: string;
  mailParams: string;
  rcptTo: string[];
  rcptParams: string[];
  /** the body as delivered (dot-unstuffed / BDAT chunks joined) */
  body: Uint8Array;
  bdat: boolean;
  tls: boolean;
  auth?: string;
  /** bytes on the wire from the MAIL line to the end of data, exactly */
  raw: Uint8Array;
  /** the final reply line sent */
  reply: string;
  session: ReceiverSession;
}

export interface ReceiverSession {
  id: number;
  /** every byte received, in order (after STARTTLS: decrypted) */
  raw(): Uint8Array;
  /** command lines received (without CRLF) */
  commands: string[];
  /** sizes of the chunks as they arrived (data events) */
  chunks: number[];
  tls: boolean;
  closed: boolean;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const CRLF = "\r\n";

type Mode = "cmd" | "data" | "bdat" | "auth" | "stalled";

class Session implements ReceiverSession {
  commands: string[] = [];
  chunks: number[] = [];
  tls = false;
  closed = false;
  parts: Uint8Array[] = [];
  total = 0;
  mode: Mode = "cmd";
  buf = new Uint8Array(0);
  /** stream offset of buf[0] */
  bufAt = 0;
  ehlo = false;
  authUser: string | undefined;
  authStep: { mech: string; user?: string } | undefined;
  tx: { from: string; params: string; rcpts: string[]; rparams: string[]; start: number; body: Uint8Array[]; size: number; bdat: boolean } | undefined;
  bdatLeft = 0;
  bdatLast = false;
  readonly dr = new DataReceiver();
  constructor(readonly id: number, readonly conn: Conn) {}
  raw(): Uint8Array {
    return concatBytes(this.parts);
  }
}


export class SmtpReceiver {
  readonly host = "127.0.0.1";
  port = 0;
  /** connections accepted so far */
  connections = 0;
  sessions: ReceiverSession[] = [];
  transactions: ReceivedTransaction[] = [];
  private listener: Listener | undefined;
  private readonly live = new Map<Conn, Session>();
  private waiters: { pred: () => boolean; resolve: () => void }[] = [];

  constructor(readonly opts: ReceiverOptions) {}

  async start(): Promise<this> {
    this.listener = await nodeTransport.listen({ host: this.host, port: 0 }, this.handler);
    this.port = this.listener.port;
    return this;
  }

  /** connections open right now */
  get openConnections(): number {
    return this.live.size;
  }

  /** Resolve when `pred()` holds (checked after every connection/transaction event). */
  waitUntil(pred: () => boolean): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  /** Close every open connection at once (the listener stays up). */
  dropConnections(): void {
    for (const c of this.live.keys()) c.destroy();
  }

  async close(): Promise<void> {
    await this.listener?.close();
    for (const c of this.live.keys()) c.destroy();
  }

  private changed(): void {
    const keep = [];
    for (const w of this.waiters) (w.pred() ? w.resolve() : keep.push(w));
    this.waiters = keep;
  }

  private get name(): string {
    return this.opts.hostname ?? "rx.test";
  }

  // ---- ConnHandler

  private readonly handler: ConnHandler = {
    open: (c) => this.onOpen(c),
    data: (c, chunk) => this.onData(c, chunk),
    drain: () => {},
    close: (c) => this.onClose(c),
  };

  private onOpen(conn: Conn): void {
    this.connections++;
    const s = new Session(this.connections, conn);
    this.live.set(conn, s);
    this.sessions.push(s);
    this.changed();
    if (this.opts.stallAt === "greeting") s.mode = "stalled";
    else this.send(s, this.opts.greeting ?? `220 ${this.name} ESMTP test`);
  }

  private onData(conn: Conn, chunk: Uint8Array): void {
    const s = this.live.get(conn);
    if (!s) return;
    s.parts.push(chunk.slice());
    s.chunks.push(chunk.length);
    s.total += chunk.length;
    const b = new Uint8Array(s.buf.length + chunk.length);
    b.set(s.buf);
    b.set(chunk, s.buf.length);
    s.buf = b;
    this.process(s);
  }

  private onClose(conn: Conn): void {
    const s = this.live.get(conn);
    if (s) s.closed = true;
    this.live.delete(conn);
    this.changed();
  }

  // ---- protocol

  private send(s: Session, line: string): void {
    s.conn.write(enc.encode(line + CRLF));
  }

  /** Consume `n` bytes of the buffer. */
  private eat(s: Session, n: number): void {
    s.buf = s.buf.subarray(n);
    s.bufAt += n;
  }

  private process(s: Session): void {
    while (!s.closed && s.buf.length > 0) {
      switch (s.mode) {
        case "stalled":
          return;
        case "data":
          if (!this.dataBytes(s)) return;
          break;
        case "bdat":
          if (!this.bdatBytes(s)) return;
          break;
        case "cmd":
        case "auth": {
          const i = s.buf.indexOf(10);
          if (i < 0) return;
          const line = dec.decode(s.buf.subarray(0, i)).replace(/\r$/, "");
          const at = s.bufAt;
          this.eat(s, i + 1);
          if (s.mode === "auth") this.authLine(s, line);
          else if (this.command(s, line, at) === "tls") return;
          break;
        }
        default:
          return s.mode satisfies never;
      }
    }
  }

  private stall(s: Session, step: Step): boolean {
    if (this.opts.stallAt !== step) return false;
    s.mode = "stalled";
    return true;
  }

  private ehloLines(s: Session): string[] {
    const o = this.opts;
    const l = [this.name];
    if (o.pipelining !== false) l.push("PIPELINING");
    if (o.chunking) l.push("CHUNKING");
    if (o.eightBitMime !== false) l.push("8BITMIME");
    if (o.smtputf8) l.push("SMTPUTF8");
    if (o.dsn) l.push("DSN");
    if (o.size !== undefined) l.push(`SIZE ${o.size}`);
    if (o.tls && !s.tls) l.push("STARTTLS");
    if (o.auth) l.push(`AUTH ${(o.auth.mechanisms ?? ["PLAIN", "LOGIN"]).join(" ")}`);
    l.push("ENHANCEDSTATUSCODES");
    return l;
  }

  private command(s: Session, line: string, at: number): "tls" | void {
    s.commands.push(line);
    const verb = (/^\S+/.exec(line)?.[0] ?? "").toUpperCase();
    const arg = line.slice(verb.length).trim();
    switch (verb) {
      case "EHLO": {
        if (this.stall(s, "ehlo")) return;
        if (this.opts.ehlo === false) return this.send(s, "502 5.5.1 EHLO not implemented");
        s.ehlo = true;
        const l = this.ehloLines(s);
        return l.forEach((t, k) => this.send(s, `250${k === l.length - 1 ? " " : "-"}${t}`));
      }
      case "HELO":
        if (this.stall(s, "ehlo")) return;
        return this.send(s, `250 ${this.name}`);
      case "STARTTLS":
        if (!this.opts.tls || s.tls) return this.send(s, "502 5.5.1 no STARTTLS");
        this.send(s, "220 2.0.0 go ahead");
        s.buf = new Uint8Array(0); // RFC 3207 §4.2: nothing pipelined after STARTTLS counts
        s.conn.startTls(this.opts.tls).then(() => (s.tls = true), () => {});
        s.tx = undefined;
        s.authUser = undefined;
        return "tls";
      case "AUTH":
        return this.auth(s, arg);
      case "MAIL":
        return this.mail(s, arg, at);
      case "RCPT":
        return this.rcpt(s, arg);
      case "DATA":
        if (this.stall(s, "data")) return;
        if (!s.tx || s.tx.rcpts.length === 0) return this.send(s, "554 5.5.1 no valid recipients");
        s.mode = "data";
        s.dr.reset();
        return this.send(s, "354 go ahead");
      case "BDAT":
        return this.bdat(s, arg);
      case "RSET":
        s.tx = undefined;
        return this.send(s, "250 2.0.0 OK");
      case "NOOP":
        return this.send(s, "250 2.0.0 OK");
      case "QUIT":
        this.send(s, "221 2.0.0 bye");
        return s.conn.end();
      default:
        return this.send(s, "500 5.5.2 unknown command");
    }
  }

  private mail(s: Session, arg: string, at: number): void {
    if (this.stall(s, "mail")) return;
    if (this.opts.auth && !s.authUser) return this.send(s, "530 5.7.0 authentication required");
    const m = /^FROM:<([^>]*)>\s*(.*)$/i.exec(arg);
    if (!m) return this.send(s, "501 5.5.4 syntax");
    const r = this.opts.mail?.(m[1]!, m[2]!);
    if (r && !r.startsWith("2")) return this.send(s, r);
    s.tx = { from: m[1]!, params: m[2]!, rcpts: [], rparams: [], start: at, body: [], size: 0, bdat: false };
    this.send(s, r ?? "250 2.1.0 OK");
  }

  private rcpt(s: Session, arg: string): void {
    if (this.stall(s, "rcpt")) return;
    if (!s.tx) return this.send(s, "503 5.5.1 MAIL first");
    const m = /^TO:<([^>]*)>\s*(.*)$/i.exec(arg);
    if (!m) return this.send(s, "501 5.5.4 syntax");
    const r = this.opts.rcpt?.(m[1]!, m[2]!);
    if (r && !r.startsWith("2")) return this.send(s, r);
    s.tx.rcpts.push(m[1]!);
    s.tx.rparams.push(m[2]!);
    this.send(s, r ?? "250 2.1.5 OK");
  }

  private bdat(s: Session, arg: string): void {
    const m = /^(\d+)(\s+LAST)?$/i.exec(arg);
    if (!m) return this.send(s, "501 5.5.4 BDAT size [LAST]");
    if (!s.tx || s.tx.rcpts.length === 0) {
      s.mode = "stalled"; // out of sync on purpose: the chunk bytes would be read as commands
      return this.send(s, "554 5.5.1 no valid recipients");
    }
    s.tx.bdat = true;
    s.bdatLeft = Number(m[1]);
    s.bdatLast = !!m[2];
    s.mode = "bdat";
    if (s.bdatLeft === 0) this.bdatChunkDone(s);
  }

  /** Returns false when more bytes are needed. */
  private bdatBytes(s: Session): boolean {
    const n = Math.min(s.bdatLeft, s.buf.length);
    if (n > 0) this.body(s, s.buf.subarray(0, n));
    if (s.closed) return false;
    this.eat(s, n);
    s.bdatLeft -= n;
    if (s.bdatLeft > 0) return false;
    this.bdatChunkDone(s);
    return true;
  }

  private bdatChunkDone(s: Session): void {
    s.mode = "cmd";
    if (!s.bdatLast) return this.send(s, `250 2.0.0 ${s.tx!.size} bytes`);
    if (this.stall(s, "dataEnd")) return;
    this.finishTx(s, s.bufAt);
  }

  private dataBytes(s: Session): boolean {
    const end = s.dr.feed(s.buf, (b) => this.body(s, b));
    if (s.closed) return false;
    if (end < 0) {
      this.eat(s, s.buf.length);
      return false;
    }
    this.eat(s, end);
    s.mode = "cmd";
    if (this.stall(s, "dataEnd")) return false;
    this.finishTx(s, s.bufAt);
    return true;
  }

  private body(s: Session, b: Uint8Array): void {
    const tx = s.tx!;
    tx.body.push(b.slice());
    tx.size += b.length;
    if (this.opts.dropMidData !== undefined && tx.size >= this.opts.dropMidData) {
      s.closed = true; // stop processing now: the close event comes later
      s.mode = "stalled";
      s.conn.destroy();
    }
  }

  private finishTx(s: Session, end: number): void {
    const t = s.tx!;
    s.tx = undefined;
    const raw = s.raw().slice(t.start, end);
    const tx: ReceivedTransaction = {
      mailFrom: t.from,
      mailParams: t.params,
      rcptTo: t.rcpts,
      rcptParams: t.rparams,
      body: concatBytes(t.body),
      bdat: t.bdat,
      tls: s.tls,
      auth: s.authUser,
      raw,
      reply: "",
      session: s,
    };
    tx.reply = this.opts.dataReply?.(tx) ?? `250 2.0.0 queued as T${this.transactions.length + 1}`;
    this.transactions.push(tx);
    this.send(s, tx.reply);
    this.changed();
  }

  // ---- AUTH (RFC 4954): PLAIN (RFC 4616) and LOGIN

  private auth(s: Session, arg: string): void {
    const a = this.opts.auth;
    const [mech, initial] = arg.split(/\s+/);
    if (!a || s.authUser) return this.send(s, "503 5.5.1 no AUTH now");
    const m = (mech ?? "").toUpperCase();
    s.authStep = { mech: m };
    if (m === "PLAIN") {
      if (initial) return this.authLine(s, initial);
      s.mode = "auth";
      return this.send(s, "334 ");
    }
    if (m === "LOGIN") {
      s.mode = "auth";
      return this.send(s, "334 VXNlcm5hbWU6");
    }
    s.authStep = undefined;
    this.send(s, "504 5.5.4 mechanism not supported");
  }

  private authLine(s: Session, line: string): void {
    const a = this.opts.auth!;
    const st = s.authStep!;
    let text: string;
    try {
      text = atob(line.trim());
    } catch {
      s.mode = "cmd";
      return this.send(s, "501 5.5.2 bad base64");
    }
    if (st.mech === "LOGIN" && st.user === undefined) {
      st.user = text;
      s.mode = "auth";
      return this.send(s, "334 UGFzc3dvcmQ6");
    }
    s.mode = "cmd";
    s.authStep = undefined;
    const [user, pass] = st.mech === "PLAIN" ? text.split("\0").slice(1) : [st.user, text];
    if (user === a.user && pass === a.password) {
      s.authUser = user;
      return this.send(s, "235 2.7.0 authenticated");
    }
    this.send(s, "535 5.7.8 bad credentials");
  }
}

export function startReceiver(opts: ReceiverOptions = {}): Promise<SmtpReceiver> {
  return new SmtpReceiver(opts).start();
}
