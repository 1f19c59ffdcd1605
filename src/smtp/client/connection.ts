// One outbound SMTP connection: a runtime Conn plus a FIFO of commands waiting for
// their replies. Replies are matched in order, so pipelining (RFC 2920) falls out:
// write several commands at once, then collect their replies in the same order.
// One timer per connection, armed for the reply at the head of the FIFO or for a
// blocked write (RFC 5321 §4.5.3.2 timeouts). Outcomes never reject: a failure of
// the connection resolves every waiter with an error, so no promise goes unhandled.

import { line } from "../../proto/smtp/client-command.ts";
import { ReplyParser, type SmtpReply } from "../../proto/smtp/client-reply.ts";
import type { ClientTlsOptions, Conn, ConnHandler, Dialer } from "../../runtime/types.ts";

export type FailureKind = "io" | "timeout" | "protocol" | "tls";

export class ClientFailure {
  constructor(readonly kind: FailureKind, readonly message: string) {}
}

export type Outcome =
  | { type: "reply"; reply: SmtpReply }
  | { type: "error"; error: ClientFailure };

export type OnOutcome = (o: Outcome) => void;

interface Pending {
  label: string;
  timeoutMs: number;
  done: OnOutcome;
}

export interface Command {
  cmd: string;
  label: string;
  timeoutMs: number;
}

export interface DialTarget {
  /** address to dial (IP or name) */
  address: string;
  port: number;
  implicitTls?: ClientTlsOptions;
  connectTimeoutMs: number;
  greetingTimeoutMs: number;
}

export class SmtpConnection implements ConnHandler {
  conn: Conn | undefined;
  failure: ClientFailure | undefined;
  private readonly parser = new ReplyParser();
  private readonly fifo: Pending[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private armedFor: object | undefined;
  private drainWaiter: { resolve: () => void; timeoutMs: number } | undefined;
  /** a body buffer back from the socket (takeBuffer / giveBack) */
  private spare: Uint8Array | undefined;
  private readonly drainToken = {};

  /** Dial and wait for the greeting (RFC 5321 §4.3.1). */
  static async open(dialer: Dialer, t: DialTarget): Promise<{ sc: SmtpConnection; greeting: Outcome }> {
    const sc = new SmtpConnection();
    const greeting = sc.expect("greeting", t.greetingTimeoutMs);
    try {
      await dialer.connect(
        { host: t.address, port: t.port, timeoutMs: t.connectTimeoutMs, tls: t.implicitTls },
        sc,
      );
    } catch (e) {
      const msg = `connect to ${t.address}:${t.port} failed: ${(e as Error).message}`;
      sc.fail(new ClientFailure(t.implicitTls ? "tls" : "io", msg));
    }
    return { sc, greeting: await greeting };
  }

  get usable(): boolean {
    return this.failure === undefined && this.conn !== undefined;
  }

  get secure(): boolean {
    return this.conn?.secure ?? false;
  }

  // ---- ConnHandler

  open(conn: Conn): void {
    this.conn = conn;
  }

  data(_conn: Conn, chunk: Uint8Array): void {
    for (const ev of this.parser.feed(chunk)) {
      switch (ev.type) {
        case "reply": {
          const p = this.fifo.shift();
          if (!p) return this.fail(new ClientFailure("protocol", `unexpected reply ${ev.reply.code} from server`));
          this.rearm();
          p.done(ev);
          break;
        }
        case "error":
          return this.fail(new ClientFailure("protocol", ev.reason));
        default:
          ev satisfies never;
      }
    }
  }

  drain(_conn: Conn): void {
    const w = this.drainWaiter;
    if (!w) return;
    this.drainWaiter = undefined;
    this.rearm();
    w.resolve();
  }

  close(_conn: Conn, error?: Error): void {
    const why = error ? `connection lost: ${error.message}` : "connection closed by server";
    this.fail(new ClientFailure("io", why));
  }

  // ---- commands

  /** Wait for one more reply (greeting, or a command already written). */
  expect(label: string, timeoutMs: number): Promise<Outcome> {
    return new Promise((done) => this.expectCb(label, timeoutMs, done));
  }

  /** Callback form of expect(): no promise per reply (BDAT chunks). */
  expectCb(label: string, timeoutMs: number, done: OnOutcome): void {
    if (this.failure) return done({ type: "error", error: this.failure });
    this.fifo.push({ label, timeoutMs, done });
    this.rearm();
  }

  /** Write one command and wait for its reply. */
  send(c: Command): Promise<Outcome> {
    const p = this.expect(c.label, c.timeoutMs);
    this.write(line(c.cmd));
    return p;
  }

  /** Write several commands in one write (RFC 2920 §3.1); replies in the same order. */
  sendMany(cs: Command[]): Promise<Outcome>[] {
    const ps = cs.map((c) => this.expect(c.label, c.timeoutMs));
    this.write(line(cs.map((c) => c.cmd).join("\r\n")));
    return ps;
  }

  /** Raw write; false = wait for drained() before writing much more. `released`: see Conn.write. */
  write(bytes: Uint8Array, released?: () => void): boolean {
    if (!this.conn || this.failure) return false;
    return this.conn.write(bytes, released);
  }

  /**
   * A buffer of at least `size` bytes for a message body: the last one the socket gave
   * back when it is big enough (fresh memory costs page faults on every use), else new.
   */
  takeBuffer(size: number): Uint8Array {
    const b = this.spare;
    if (b !== undefined && b.length >= size) {
      this.spare = undefined;
      return b;
    }
    return new Uint8Array(size);
  }

  /** a buffer the socket no longer holds, for takeBuffer() */
  giveBack(b: Uint8Array): void {
    if (this.spare === undefined || this.spare.length < b.length) this.spare = b;
  }

  /** Resolves when the conn drained; returns the failure instead when the connection died. */
  drained(timeoutMs: number): Promise<ClientFailure | undefined> {
    if (this.failure) return Promise.resolve(this.failure);
    return new Promise((resolve) => {
      this.drainWaiter = { resolve: () => resolve(this.failure), timeoutMs };
      this.rearm();
    });
  }

  /** RFC 3207: upgrade after "220 Ready to start TLS". */
  async startTls(dialer: Dialer, opts: ClientTlsOptions): Promise<ClientFailure | undefined> {
    const conn = this.conn;
    if (!conn || this.failure) return this.failure ?? new ClientFailure("io", "not connected");
    this.parser.reset(); // RFC 3207 §4.2: discard anything received before the handshake
    try {
      await dialer.startTlsClient(conn, opts);
      return this.failure;
    } catch (e) {
      const f = new ClientFailure("tls", `TLS handshake failed: ${(e as Error).message}`);
      this.fail(f);
      return f;
    }
  }

  /** Polite close: QUIT (RFC 5321 §4.1.1.10), then end without waiting for the reply. */
  quit(): void {
    if (this.conn && !this.failure) {
      this.conn.write(line("QUIT"));
      this.conn.end();
    }
    this.fail(new ClientFailure("io", "closed by us"));
  }

  /** Drop at once (any protocol or I/O error). */
  destroy(reason: string): void {
    this.fail(new ClientFailure("io", reason));
  }

  fail(f: ClientFailure): void {
    if (this.failure) return;
    this.failure = f;
    this.disarm();
    this.conn?.destroy();
    const waiting = this.fifo.splice(0);
    for (const p of waiting) p.done({ type: "error", error: f });
    const w = this.drainWaiter;
    this.drainWaiter = undefined;
    w?.resolve();
  }

  // ---- the one timer

  private rearm(): void {
    const head = this.fifo[0];
    const want: object | undefined = head ?? (this.drainWaiter ? this.drainToken : undefined);
    if (want === this.armedFor) return;
    this.disarm();
    if (!want) return;
    const ms = head ? head.timeoutMs : this.drainWaiter!.timeoutMs;
    const label = head ? `reply to ${head.label}` : "the server to read data";
    this.armedFor = want;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.armedFor = undefined;
      this.fail(new ClientFailure("timeout", `timeout after ${ms} ms waiting for ${label}`));
    }, ms);
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = undefined;
  }
}
