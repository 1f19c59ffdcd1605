// One SMTP server session (RFC 5321): the state machine between the byte receiver
// and the spool. No sockets here: bytes arrive through feed(), replies leave through
// the injected SessionHost, messages go to the injected spool.

import { type Command, parseCommand } from "../../proto/smtp/command.ts";
import { SmtpReceiver } from "../../proto/smtp/receiver.ts";
import * as R from "../../proto/smtp/replies.ts";
import { type Reply, reply } from "../../proto/smtp/replies.ts";
import { SASL_MECHANISMS, SaslExchange, type SaslStep } from "../../proto/smtp/sasl.ts";
import { CommitRejected, SpoolError, type ClientInfo, type Envelope, type SpoolWriter } from "../../spool/types.ts";
import type { SessionPolicy } from "./policy.ts";
import { protocolName, receivedHeader } from "../../proto/smtp/received.ts";
import { addRecipient, beginTransaction, type Transaction } from "./transaction.ts";

export interface SessionHost {
  /** send reply bytes (the host batches and handles backpressure) */
  send(bytes: Uint8Array): void;
  /** upgrade to TLS; resolves with the negotiated parameters */
  startTls(): Promise<{ protocol: string; cipher: string }>;
  /** flush and close the connection */
  close(): void;
  begin(): SpoolWriter;
  now(): number;
  /** one-shot timer, for the AUTH failure delay only */
  delay(ms: number, fn: () => void): void;
  /** a message was committed (for logs and metrics) */
  committed?(id: string, size: number): void;
  /** stop (false) or restart (true) reading from the client while an async step runs */
  wantInput?(on: boolean): void;
  /**
   * true while the client is not reading its replies fast enough: the session stops
   * parsing pipelined commands until outputReady() (RFC 2920 §3.1 lets us wait)
   */
  congested?(): boolean;
}

/** reply bytes gathered before they are handed to the host mid-chunk */
const OUT_FLUSH = 16 * 1024;

type Phase =
  | { kind: "fresh" } // before EHLO/HELO
  | { kind: "ready" } // greeted, no transaction
  | { kind: "mail"; tx: Transaction } // MAIL given, RCPTs being added
  | { kind: "data"; tx: Transaction; msg: Incoming } // DATA body streaming
  | { kind: "bdat"; tx: Transaction; msg: Incoming } // between/inside BDAT chunks
  | { kind: "auth"; sasl: SaslExchange }
  | { kind: "busy" } // waiting for spool, TLS or password check
  | { kind: "closed" };

interface Incoming {
  writer: SpoolWriter;
  size: number;
  tooBig: boolean;
}

const enc = new TextEncoder();
const utf8 = new TextDecoder("utf-8", { fatal: true });

export class SmtpSession {
  private phase: Phase = { kind: "fresh" };
  private readonly rx: SmtpReceiver;
  private out = "";
  private helo = "";
  private esmtp = false;
  private tls: { protocol: string; cipher: string } | undefined;
  private authUser: string | undefined;
  private errors = 0;
  private authFailures = 0;
  private draining = false;
  /** the current BDAT chunk was refused (bad sequence): read and drop it */
  private bdatDiscard = false;
  private bdatLast = false;
  private bdatSize = 0;
  /** parsing stopped because the host's output is congested */
  private outputBlocked = false;
  lastActivity: number;

  constructor(
    readonly id: string,
    private readonly policy: SessionPolicy,
    private readonly host: SessionHost,
    private readonly client: { address: string; port: number },
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

  private terminate(r: Reply): void {
    if (this.phase.kind === "closed") return;
    this.abortMessage();
    this.send(r);
    this.flush();
    this.phase = { kind: "closed" };
    this.rx.pause();
    this.host.close();
  }

  private abortMessage(): void {
    const p = this.phase;
    if (p.kind === "data" || p.kind === "bdat") p.msg.writer.abort();
  }

  private send(r: Reply): void {
    const text = r.code >= 400 ? withSession(r, this.id) : r;
    this.out += R.formatReply(text);
  }

  private flush(): void {
    if (this.out === "") return;
    const bytes = enc.encode(this.out);
    this.out = "";
    this.host.send(bytes); // RFC 2920 §3.1: a pipelined group's replies go out together
  }

  private fail(r: Reply): void {
    this.send(r);
    // RFC 5321 §4.5.3.1: too many errors → 421 and close
    if (++this.errors >= this.policy.maxErrors) {
      this.terminate(reply(R.C421, "4.7.0", "too many errors, closing"));
    }
  }

  private onLine(raw: Uint8Array): void {
    let line: string;
    try {
      line = utf8.decode(raw);
    } catch {
      return this.fail(reply(R.C500, "5.5.2", "command is not valid UTF-8"));
    }
    if (this.phase.kind === "auth") return this.saslStep(this.phase.sasl.next(line.trim()));
    this.command(parseCommand(line));
    if (this.out.length >= OUT_FLUSH) this.flushPipelined();
  }

  /** a long pipelined group: send what is gathered, stop parsing while the client lags */
  private flushPipelined(): void {
    this.flush();
    if (this.phase.kind === "closed" || this.phase.kind === "busy" || !this.host.congested?.()) return;
    this.outputBlocked = true;
    this.rx.pause(); // the rest of the chunk is held by the receiver
    this.host.wantInput?.(false);
  }

  private command(cmd: Command): void {
    switch (cmd.verb) {
      case "EHLO":
      case "HELO":
        return this.onHelo(cmd.verb === "EHLO", cmd.domain);
      case "MAIL":
        return this.onMail(cmd.arg);
      case "RCPT":
        return this.onRcpt(cmd.arg);
      case "DATA":
        return this.onData();
      case "BDAT":
        return this.onBdat(cmd.size, cmd.last);
      case "RSET":
        this.resetTransaction();
        return this.send(reply(R.C250, "2.0.0", "reset"));
      case "NOOP":
        return this.send(reply(R.C250, "2.0.0", "ok"));
      case "QUIT":
        this.abortMessage();
        this.send(reply(R.C221, "2.0.0", `${this.policy.hostname} closing connection`));
        this.flush();
        this.phase = { kind: "closed" };
        this.rx.pause();
        return this.host.close();
      case "VRFY": // RFC 5321 §3.5.3: never reveal users
        return this.send(reply(R.C252, "2.5.2", "cannot VRFY user, but will accept message and attempt delivery"));
      case "EXPN":
        return this.send(reply(R.C502, "5.5.1", "EXPN not available"));
      case "HELP":
        return this.send(reply(R.C214, "2.0.0", ["Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT",
          "VRFY HELP STARTTLS AUTH; see RFC 5321"]));
      case "STARTTLS":
        return this.onStartTls();
      case "AUTH":
        return this.onAuth(cmd.mechanism, cmd.initial);
      case "syntax":
        return this.fail(reply(R.C501, "5.5.4", cmd.message));
      case "unknown":
        return this.fail(reply(R.C500, "5.5.1", `command ${cmd.word.slice(0, 32)} not recognised`));
      default: {
        const never: never = cmd;
        throw new Error(`unhandled ${JSON.stringify(never)}`);
      }
    }
  }

  private onHelo(esmtp: boolean, domain: string): void {
    if (this.inTransaction) this.resetTransaction(); // RFC 5321 §4.1.4: EHLO resets
    this.helo = domain;
    this.esmtp = esmtp;
    this.phase = { kind: "ready" };
    if (!esmtp) return this.send(reply(R.C250, "2.0.0", `${this.policy.hostname} hello ${domain}`));
    const ext = [`${this.policy.hostname} hello ${domain}`, "PIPELINING", `SIZE ${this.policy.maxMessageSize}`,
      "8BITMIME", "SMTPUTF8", "CHUNKING", "ENHANCEDSTATUSCODES", "DSN"];
    if (!this.tls && this.policy.tlsAvailable) ext.push("STARTTLS");
    if (this.authOffered()) ext.push(`AUTH ${SASL_MECHANISMS.join(" ")}`);
    ext.push("HELP");
    // RFC 2034 §3: the EHLO reply carries no enhanced status codes
    this.out += ext.map((l, i) => `250${i === ext.length - 1 ? " " : "-"}${l}\r\n`).join("");
  }

  private authOffered(): boolean {
    return !this.authUser && (this.tls !== undefined || this.policy.allowInsecureAuth);
  }

  private onMail(arg: string): void {
    const p = this.phase;
    if (p.kind === "fresh") return this.fail(reply(R.C503, "5.5.1", "send EHLO or HELO first"));
    if (p.kind !== "ready") return this.fail(reply(R.C503, "5.5.1", "nested MAIL command"));
    if (this.policy.requireAuth && !this.authUser) {
      return this.fail(reply(R.C530, "5.7.0", "authentication required")); // RFC 4954 §6
    }
    const r = beginTransaction(arg, this.policy, this.host.now());
    if (!r.ok) return this.fail(r.reply);
    this.phase = { kind: "mail", tx: r.value };
    this.send(reply(R.C250, "2.1.0", "sender ok"));
  }

  private onRcpt(arg: string): void {
    const p = this.phase;
    if (p.kind !== "mail") return this.fail(reply(R.C503, "5.5.1", "need MAIL before RCPT"));
    const r = addRecipient(p.tx, arg, {
      policy: this.policy,
      authenticated: this.authUser !== undefined,
      clientIp: this.client.address,
    });
    if (!r.ok) return this.fail(r.reply);
    p.tx.rcptTo.push(r.value);
    this.send(reply(R.C250, "2.1.5", "recipient ok"));
  }

  private onData(): void {
    const p = this.phase;
    if (p.kind === "bdat") return this.fail(reply(R.C503, "5.5.1", "DATA not allowed after BDAT"));
    if (p.kind !== "mail") return this.fail(reply(R.C503, "5.5.1", "need MAIL before DATA"));
    if (p.tx.rcptTo.length === 0) return this.fail(reply(R.C554, "5.5.1", "no valid recipients")); // RFC 5321 §3.3
    this.phase = { kind: "data", tx: p.tx, msg: this.openMessage(p.tx) };
    this.rx.setMode({ kind: "data" });
    this.send(reply(R.C354, "2.0.0", "end data with <CR><LF>.<CR><LF>"));
  }

  private onBdat(size: number, last: boolean): void {
    const p = this.phase;
    let ok = false;
    if (p.kind === "mail" && p.tx.rcptTo.length > 0) {
      this.phase = { kind: "bdat", tx: p.tx, msg: this.openMessage(p.tx) };
      ok = true;
    } else if (p.kind === "bdat") ok = true;
    // RFC 3030 §2: the chunk is read even when the command is refused
    this.bdatDiscard = !ok;
    this.bdatLast = last;
    this.bdatSize = size;
    if (size === 0) return this.onBdatEnd();
    this.rx.setMode({ kind: "bdat", remaining: size });
  }

  private onBdatEnd(): void {
    if (this.bdatDiscard) {
      this.bdatDiscard = false;
      const p = this.phase;
      const why = p.kind === "mail" ? "no valid recipients" : "need MAIL and RCPT before BDAT";
      return this.fail(reply(p.kind === "mail" ? R.C554 : R.C503, "5.5.1", why));
    }
    const p = this.phase;
    if (p.kind !== "bdat") return;
    if (!this.bdatLast) return this.send(reply(R.C250, "2.0.0", `${this.bdatSize} octets received`));
    this.finishMessage(p.tx, p.msg);
  }

  private openMessage(tx: Transaction): Incoming {
    const writer = this.host.begin();
    const header = receivedHeader({
      client: this.clientInfo(),
      hostname: this.policy.hostname,
      id: writer.id,
      protocol: protocolName(this.esmtp, this.tls !== undefined, this.authUser !== undefined, tx.smtputf8),
      auth: this.authUser,
      for: tx.rcptTo.length === 1 ? tx.rcptTo[0].address : undefined,
      time: this.host.now(),
    });
    writer.write(enc.encode(header));
    return { writer, size: 0, tooBig: false };
  }

  private onBody(chunk: Uint8Array): void {
    const p = this.phase;
    if (p.kind !== "data" && p.kind !== "bdat") return; // a refused BDAT chunk is dropped
    if (this.bdatDiscard) return;
    const msg = p.msg;
    msg.size += chunk.length;
    if (msg.tooBig) return;
    if (msg.size > this.policy.maxMessageSize) {
      msg.tooBig = true; // keep reading to the end, store nothing more
      return;
    }
    msg.writer.write(chunk);
  }

  private onDataEnd(bareCr: boolean, bareLf: boolean): void {
    const p = this.phase;
    if (p.kind !== "data") return;
    if (bareCr || bareLf) {
      p.msg.writer.abort();
      this.phase = { kind: "ready" };
      // RFC 5321 §2.3.8: CR and LF only as CRLF (the SMTP smuggling defence)
      return this.send(reply(R.C550, "5.6.0", `message refused: bare ${bareCr ? "CR" : "LF"} in DATA (RFC 5321 §2.3.8)`));
    }
    this.finishMessage(p.tx, p.msg);
  }

  private finishMessage(tx: Transaction, msg: Incoming): void {
    if (msg.tooBig) {
      msg.writer.abort();
      this.phase = { kind: "ready" };
      return this.send(reply(R.C552, "5.3.4", `message exceeds fixed maximum size of ${this.policy.maxMessageSize} bytes`));
    }
    this.waitAsync();
    msg.writer.commit(this.envelope(tx)).then(
      (q) => {
        this.host.committed?.(q.id, q.size);
        this.afterAsync({ kind: "ready" }, reply(R.C250, "2.0.0", `queued as ${q.id}`));
      },
      (err) => {
        const r = err instanceof CommitRejected
          ? reply(err.code, err.status, err.text) // a filter's verdict (e.g. 554 5.7.1 virus)
          : err instanceof SpoolError
          ? reply(R.C452, "4.3.1", "insufficient system storage, try again later")
          : reply(R.C451, "4.3.0", "local error in processing, try again later");
        this.afterAsync({ kind: "ready" }, r);
      },
    );
  }

  /** an asynchronous step finished: reply, then process pipelined input */
  private afterAsync(next: Phase, r: Reply): void {
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
  private waitAsync(): void {
    this.phase = { kind: "busy" };
    this.rx.pause();
    this.flush();
  }

  /** pipelined input received while busy, not yet processed */
  get heldBytes(): number {
    return this.rx.heldBytes;
  }

  private resetTransaction(): void {
    this.abortMessage();
    if (this.phase.kind !== "fresh") this.phase = { kind: "ready" };
  }

  private envelope(tx: Transaction): Envelope {
    return {
      mailFrom: tx.mailFrom,
      rcptTo: tx.rcptTo,
      dsn: tx.dsn,
      body: tx.body,
      smtputf8: tx.smtputf8 || undefined,
      auth: this.authUser,
      client: this.clientInfo(),
      receivedAt: tx.startedAt,
    };
  }

  private clientInfo(): ClientInfo {
    return { ...this.client, helo: this.helo, listener: this.policy.listener, tls: this.tls };
  }

  private onStartTls(): void {
    if (this.tls) return this.fail(reply(R.C503, "5.5.1", "TLS already active")); // RFC 3207 §4
    if (!this.policy.tlsAvailable) return this.fail(reply(R.C454, "4.7.0", "TLS not available"));
    if (this.inTransaction) return this.fail(reply(R.C503, "5.5.1", "STARTTLS not allowed in a transaction"));
    this.send(reply(R.C220, "2.0.0", "ready to start TLS"));
    this.waitAsync();
    this.rx.discardBuffered(); // RFC 3207 §4.2 / CVE-2011-0411: no plaintext command survives the upgrade
    this.host.startTls().then(
      (info) => {
        // bytes held since startTls() was called are already TLS-era (the adapter
        // delivers no plaintext after it): they are kept and replayed below
        this.tls = info;
        // RFC 3207 §4.2: forget everything learned before TLS
        this.helo = "";
        this.esmtp = false;
        this.authUser = undefined;
        this.phase = { kind: "fresh" };
        this.host.wantInput?.(true);
        this.rx.resume();
        this.flush();
      },
      () => this.connectionLost(),
    );
  }

  private onAuth(mechanism: string, initial?: string): void {
    if (this.phase.kind === "fresh") return this.fail(reply(R.C503, "5.5.1", "send EHLO first"));
    if (this.authUser) return this.fail(reply(R.C503, "5.5.1", "already authenticated")); // RFC 4954 §4
    if (this.inTransaction) return this.fail(reply(R.C503, "5.5.1", "AUTH not allowed in a transaction"));
    if (!this.authOffered()) return this.fail(reply(R.C538, "5.7.11", "encryption required for authentication"));
    const sasl = new SaslExchange(mechanism);
    this.phase = { kind: "auth", sasl };
    this.saslStep(sasl.start(initial));
  }

  private saslStep(step: SaslStep): void {
    switch (step.kind) {
      case "challenge":
        return this.send(reply(R.C334, "", step.text));
      case "error":
        this.phase = { kind: "ready" };
        return this.fail(step.reply);
      case "credentials":
        return this.checkCredentials(step.user, step.password);
      default: {
        const never: never = step;
        throw new Error(`bad step ${JSON.stringify(never)}`);
      }
    }
  }

  private checkCredentials(user: string, password: string): void {
    this.waitAsync();
    this.policy.authenticate(user, password).then((identity) => {
      if (identity) {
        this.authUser = identity;
        return this.afterAsync({ kind: "ready" }, reply(R.C235, "2.7.0", "authentication succeeded"));
      }
      const n = ++this.authFailures;
      this.host.delay(this.policy.authFailureDelayMs(n), () => {
        if (n >= this.policy.maxAuthFailures) {
          return this.terminate(reply(R.C421, "4.7.0", "too many authentication failures, closing"));
        }
        this.afterAsync({ kind: "ready" }, reply(R.C535, "5.7.8", "authentication credentials invalid"));
      });
    }, () => this.afterAsync({ kind: "ready" }, reply(R.C454, "4.7.0", "temporary authentication failure")));
  }
}

function withSession(r: Reply, id: string): Reply {
  const lines = Array.isArray(r.text) ? r.text : [r.text];
  return { ...r, text: [...lines.slice(0, -1), `${lines[lines.length - 1]} [${id}]`] };
}
