// One SMTP server session (RFC 5321): the command state machine between the byte
// receiver and the spool. No sockets here: bytes arrive through feed(), replies leave
// through the injected SessionHost, messages go to the injected spool. The plumbing
// (reply buffer, async waits, shutdown) is in session-core.ts, message intake in intake.ts.

import { type Command, parseCommand } from "../../proto/smtp/command.ts";
import * as R from "../../proto/smtp/replies.ts";
import { reply } from "../../proto/smtp/replies.ts";
import { SASL_MECHANISMS, SaslExchange, type SaslStep } from "../../proto/smtp/sasl.ts";
import type { ClientInfo } from "../../spool/types.ts";
import {
  appendBody, bareLineEndReply, commitFailureReply, envelope, type Incoming, type IntakeContext,
  openMessage, tooBigReply,
} from "./intake.ts";
import { SessionCore } from "./session-core.ts";
import { addRecipient, beginTransaction, type Transaction } from "./transaction.ts";

export type { SessionHost } from "./session-host.ts";

/** reply bytes gathered before they are handed to the host mid-chunk */
const OUT_FLUSH = 16 * 1024;

const utf8 = new TextDecoder("utf-8", { fatal: true });

export class SmtpSession extends SessionCore {
  protected onLine(raw: Uint8Array): void {
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
    this.bdat.begin(size, last, ok);
    if (size === 0) return this.onBdatEnd();
    this.rx.setMode({ kind: "bdat", remaining: size });
  }

  protected onBdatEnd(): void {
    if (this.bdat.discard) return this.fail(this.bdat.refusal(this.phase.kind === "mail"));
    const p = this.phase;
    if (p.kind !== "bdat") return;
    if (!this.bdat.last) return this.send(reply(R.C250, "2.0.0", `${this.bdat.size} octets received`));
    this.finishMessage(p.tx, p.msg);
  }

  private openMessage(tx: Transaction): Incoming {
    const writer = this.host.begin();
    return openMessage(writer, tx, this.intakeContext(), this.host.now());
  }

  protected onBody(chunk: Uint8Array): void {
    const p = this.phase;
    if (p.kind !== "data" && p.kind !== "bdat") return; // a refused BDAT chunk is dropped
    if (this.bdat.discard) return;
    appendBody(p.msg, chunk, this.policy.maxMessageSize);
  }

  protected onDataEnd(bareCr: boolean, bareLf: boolean): void {
    const p = this.phase;
    if (p.kind !== "data") return;
    if (bareCr || bareLf) {
      p.msg.writer.abort();
      this.phase = { kind: "ready" };
      return this.send(bareLineEndReply(bareCr)); // RFC 5321 §2.3.8
    }
    this.finishMessage(p.tx, p.msg);
  }

  private finishMessage(tx: Transaction, msg: Incoming): void {
    if (msg.tooBig) {
      msg.writer.abort();
      this.phase = { kind: "ready" };
      return this.send(tooBigReply(this.policy.maxMessageSize));
    }
    this.waitAsync();
    msg.writer.commit(envelope(tx, this.intakeContext())).then(
      (q) => {
        this.host.committed?.(q.id, q.size);
        this.afterAsync({ kind: "ready" }, reply(R.C250, "2.0.0", `queued as ${q.id}`));
      },
      (err) => this.afterAsync({ kind: "ready" }, commitFailureReply(err)),
    );
  }

  private intakeContext(): IntakeContext {
    const client: ClientInfo = { ...this.client, helo: this.helo, listener: this.policy.listener, tls: this.tls };
    return { client, hostname: this.policy.hostname, esmtp: this.esmtp, authUser: this.authUser };
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
