// The plumbing of an SMTP server session: its state, the reply buffer and its
// flushing, the error count, the wait for asynchronous steps (spool, TLS, password
// check), timeouts and shutdown. The commands themselves are in session.ts.

import { SmtpReceiver } from "../../proto/smtp/receiver.ts";
import * as R from "../../proto/smtp/replies.ts";
import { type Reply, reply } from "../../proto/smtp/replies.ts";
import { BdatChunk } from "./intake.ts";
import type { SessionPolicy } from "./policy.ts";
import type { Phase, SessionHost } from "./session-host.ts";

const enc = new TextEncoder();

export abstract class SessionCore {
  protected phase: Phase = { kind: "fresh" };
  protected readonly rx: SmtpReceiver;
  protected out = "";
  protected helo = "";
  protected esmtp = false;
  protected tls: { protocol: string; cipher: string } | undefined;
  protected authUser: string | undefined;
  protected errors = 0;
  protected authFailures = 0;
  protected draining = false;
  protected readonly bdat = new BdatChunk();
  /** parsing stopped because the host's output is congested */
  protected outputBlocked = false;
  lastActivity: number;

  constructor(
    readonly id: string,
    protected readonly policy: SessionPolicy,
    protected readonly host: SessionHost,
    protected readonly client: { address: string; port: number },
    secure: { protocol: string; cipher: string } | undefined,
  ) {
    this.tls = secure;
    this.lastActivity = host.now();
    this.rx = new SmtpReceiver({
      line: (l) => this.onLine(l),
      lineTooLong: () => this.fail(reply(R.C500, "5.5.2", "line too long")),
      body: (c) => this.onBody(c),
      dataEnd: (cr, lf) => this.onDataEnd(cr, lf),
      bdatEnd: () => this.onBdatEnd(),
    }, policy.maxLineLength);
  }

  greet(): void {
    this.out += `220 ${this.policy.hostname} ESMTP Tern ready\r\n`; // RFC 2034 §3: no enhanced code on the greeting
    this.flush();
  }

  get inTransaction(): boolean {
    const k = this.phase.kind;
    return k === "mail" || k === "data" || k === "bdat" || k === "busy";
  }

  /** are we inside a message body (the data timeout applies)? */
  get inBody(): boolean {
    return this.phase.kind === "data" || this.phase.kind === "bdat" && this.rx.modeKind === "bdat";
  }

  /** waiting for the spool, TLS or a password check (no timeout applies) */
  get busy(): boolean {
    return this.phase.kind === "busy";
  }

  get closed(): boolean {
    return this.phase.kind === "closed";
  }

  feed(chunk: Uint8Array): void {
    if (this.phase.kind === "closed") return;
    this.lastActivity = this.host.now();
    this.rx.feed(chunk);
    this.flush();
  }

  /** the host's output drained below its limit: parse what was held back */
  outputReady(): void {
    if (!this.outputBlocked || this.phase.kind === "closed" || this.phase.kind === "busy") return;
    this.outputBlocked = false;
    this.host.wantInput?.(true);
    this.rx.resume();
    this.flush();
  }

  /** the connection is gone: nothing half-received may survive */
  connectionLost(): void {
    this.abortMessage();
    this.phase = { kind: "closed" };
  }

  timeout(): void {
    this.terminate(reply(R.C421, "4.4.2", `${this.policy.hostname} timeout exceeded, closing`));
  }

  /** graceful shutdown: finish the transaction in progress, then 421 */
  shutdown(force: boolean): void {
    if (force || !this.inTransaction) {
      this.terminate(reply(R.C421, "4.3.2", `${this.policy.hostname} service shutting down`));
    } else this.draining = true;
  }

  protected terminate(r: Reply): void {
    if (this.phase.kind === "closed") return;
    this.abortMessage();
    this.send(r);
    this.flush();
    this.phase = { kind: "closed" };
    this.rx.pause();
    this.host.close();
  }

  protected abortMessage(): void {
    const p = this.phase;
    if (p.kind === "data" || p.kind === "bdat") p.msg.writer.abort();
  }

  protected send(r: Reply): void {
    const text = r.code >= 400 ? withSession(r, this.id) : r;
    this.out += R.formatReply(text);
  }

  protected flush(): void {
    if (this.out === "") return;
    const bytes = enc.encode(this.out);
    this.out = "";
    this.host.send(bytes); // RFC 2920 §3.1: a pipelined group's replies go out together
  }

  protected fail(r: Reply): void {
    this.send(r);
    // RFC 5321 §4.5.3.1: too many errors → 421 and close
    if (++this.errors >= this.policy.maxErrors) {
      this.terminate(reply(R.C421, "4.7.0", "too many errors, closing"));
    }
  }

  /** a long pipelined group: send what is gathered, stop parsing while the client lags */
  protected flushPipelined(): void {
    this.flush();
    if (this.phase.kind === "closed" || this.phase.kind === "busy" || !this.host.congested?.()) return;
    this.outputBlocked = true;
    this.rx.pause(); // the rest of the chunk is held by the receiver
    this.host.wantInput?.(false);
  }

  /** an asynchronous step finished: reply, then process pipelined input */
  protected afterAsync(next: Phase, r: Reply): void {
    if (this.phase.kind === "closed") return;
    this.phase = next;
    this.send(r);
    if (this.draining && !this.inTransaction) {
      return this.terminate(reply(R.C421, "4.3.2", `${this.policy.hostname} service shutting down`));
    }
    this.host.wantInput?.(true);
    this.rx.resume();
    this.flush();
  }

  /**
   * Hold pipelined input until an asynchronous step answers. The receiver keeps what
   * arrives meanwhile; the host stops reading the socket only when that grows past a
   * bound (see heldBytes): pausing the transport around every commit cost ~7% of ingest CPU.
   */
  protected waitAsync(): void {
    this.phase = { kind: "busy" };
    this.rx.pause();
    this.flush();
  }

  /** pipelined input received while busy, not yet processed */
  get heldBytes(): number {
    return this.rx.heldBytes;
  }

  protected resetTransaction(): void {
    this.abortMessage();
    if (this.phase.kind !== "fresh") this.phase = { kind: "ready" };
  }

  protected abstract onLine(raw: Uint8Array): void;
  protected abstract onBody(chunk: Uint8Array): void;
  protected abstract onDataEnd(bareCr: boolean, bareLf: boolean): void;
  protected abstract onBdatEnd(): void;
}

function withSession(r: Reply, id: string): Reply {
  const lines = Array.isArray(r.text) ? r.text : [r.text];
  return { ...r, text: [...lines.slice(0, -1), `${lines[lines.length - 1]} [${id}]`] };
}
