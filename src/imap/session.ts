// One IMAP session (RFC 3501 §3): NOT AUTHENTICATED → AUTHENTICATED ⇄ SELECTED →
// LOGOUT. No sockets here: bytes arrive through feed(), responses leave through the
// injected host. Commands run one at a time; the receiver is paused meanwhile.

import { type Command, parseCommand } from "../proto/imap/command.ts";
import { ImapReceiver, type TooLong } from "../proto/imap/receiver.ts";
import { Out } from "../proto/imap/response.ts";
import type { MailStore, UserMailbox } from "../store/types.ts";
import { capabilities, decodePlain } from "./auth.ts";
import { bad, type Ctx, type Done, no } from "./context.ts";
import { runCommand } from "./dispatch.ts";
import type { MailboxView } from "./view.ts";

export interface ImapHost {
  /** `released`: see Conn.write */
  send(bytes: Uint8Array, released?: () => void): void;
  /** upgrade the connection; no plaintext-era bytes are delivered after the call */
  startTls(): Promise<void>;
  close(): void;
  now(): number;
  /** one-shot timer (failed-login delay, rate limiting) */
  delay(ms: number, fn: () => void): void;
  /** resolves when the connection's output buffer is low again */
  drained(): Promise<void>;
}

export interface ImapPolicy {
  hostname: string;
  tlsAvailable: boolean;
  allowInsecureAuth: boolean;
  /** bytes in one command line (literals not counted) */
  maxLine: number;
  /** bytes in one literal after login (APPEND size limit) */
  maxLiteral: number;
  maxAuthFailures: number;
  /** BAD commands before BYE */
  maxErrors: number;
  /** commands per second before the session is slowed down */
  maxCommandsPerSecond: number;
  authFailureDelayMs(failures: number): number;
  authenticate(user: string, password: string): Promise<string | null>;
  store: MailStore;
}

/** before login, literals are small (a user name or password) */
const PREAUTH_LITERAL = 8192;
const dec = new TextDecoder("utf-8");

type Mode =
  | { kind: "command" }
  | { kind: "busy" }
  | { kind: "idle"; tag: string }
  | { kind: "sasl"; tag: string }
  | { kind: "closed" };

export class ImapSession implements Ctx {
  private mode: Mode = { kind: "command" };
  private readonly rx: ImapReceiver;
  private out = new Out();
  private user: string | undefined;
  private box: UserMailbox | undefined;
  private unsubscribe: (() => void) | undefined;
  private errors = 0;
  private authFailures = 0;
  private windowStart = 0;
  private windowCount = 0;
  view: MailboxView | undefined;
  condstore = false;
  lastActivity: number;

  constructor(readonly id: string, readonly policy: ImapPolicy, private readonly host: ImapHost, public secure: boolean) {
    this.lastActivity = host.now();
    this.rx = new ImapReceiver({
      command: (b) => this.onCommand(b),
      continuation: () => this.sendNow("+ Ready for literal data\r\n"),
      tooLong: (kind, head) => this.onTooLong(kind, head),
    }, { maxLine: policy.maxLine, maxLiteral: PREAUTH_LITERAL });
  }

  get mailbox(): UserMailbox {
    return this.box!;
  }

  get closed(): boolean {
    return this.mode.kind === "closed";
  }

  /** waiting for the store or a password check (timeouts do not apply) */
  get busy(): boolean {
    return this.mode.kind === "busy";
  }

  greet(): void {
    this.sendNow(`* OK [CAPABILITY ${this.caps()}] ${this.policy.hostname} Tern IMAP ready\r\n`);
  }

  feed(chunk: Uint8Array): void {
    if (this.mode.kind === "closed") return;
    this.lastActivity = this.host.now();
    this.rx.feed(chunk);
    this.flush();
  }

  connectionLost(): void {
    this.mode = { kind: "closed" };
    this.unsubscribe?.();
    this.rx.pause();
  }

  timeout(): void {
    this.bye("Autologout; idle for too long"); // RFC 3501 §5.4
  }

  shutdown(): void {
    this.bye("Server shutting down");
  }

  // --- Ctx -------------------------------------------------------------------------
  untagged(line: string): void {
    this.out.text(line + "\r\n");
  }
  emit(o: Out): void {
    this.out.append(o);
  }
  drained(): Promise<void> {
    this.flush();
    return this.host.drained();
  }
  send(bytes: Uint8Array, released: () => void): void {
    this.flush();
    this.host.send(bytes, released);
  }
  now(): number {
    return this.host.now();
  }

  // --- internals -------------------------------------------------------------------
  private caps(): string {
    return capabilities({
      secure: this.secure, tlsAvailable: this.policy.tlsAvailable, allowInsecureAuth: this.policy.allowInsecureAuth,
      authenticated: this.user !== undefined,
    }, this.policy.maxLiteral);
  }

  private sendNow(s: string): void {
    this.out.text(s);
    this.flush();
  }

  private flush(): void {
    if (this.out.empty) return;
    const out = this.out;
    this.out = new Out();
    this.host.send(out.toBytes()); // text runs encoded once; a lone byte piece goes as it is
  }

  private bye(text: string): void {
    if (this.mode.kind === "closed") return;
    this.out.text(`* BYE ${text}\r\n`);
    this.flush();
    this.connectionLost();
    this.host.close();
  }

  private tagged(tag: string, d: Done): void {
    this.out.text(`${tag} ${d.status} ${d.text}\r\n`);
    if (d.status === "BAD" && ++this.errors >= this.policy.maxErrors) this.bye("Too many errors");
  }

  private onTooLong(kind: TooLong, head: Uint8Array): void {
    const text = dec.decode(head);
    const sp = text.indexOf(" ");
    const tag = sp > 0 ? text.slice(0, sp) : "*";
    switch (kind) {
      case "line":
        return this.tagged(tag, bad("line too long"));
      case "literal": // RFC 7889 §4: TOOBIG
        return this.tagged(tag, no(`[TOOBIG] literal larger than ${this.rx.maxLiteral} bytes`));
      case "literal-nonsync": // RFC 7888 §4: we cannot skip the bytes safely
        this.tagged(tag, bad(`[TOOBIG] literal larger than ${this.rx.maxLiteral} bytes`));
        return this.bye("Literal too big");
      default: {
        const never: never = kind;
        throw new Error(`bad kind ${String(never)}`);
      }
    }
  }

  private onCommand(bytes: Uint8Array): void {
    const m = this.mode;
    switch (m.kind) {
      case "idle":
        return this.endIdle(m.tag, bytes);
      case "sasl":
        return this.saslResponse(m.tag, dec.decode(bytes).trim());
      case "closed":
      case "busy":
        return;
      case "command":
        break;
      default: {
        const never: never = m;
        throw new Error(`bad mode ${String(never)}`);
      }
    }
    const p = parseCommand(bytes);
    if (p.kind === "bad") return this.tagged(p.tag, bad(p.message));
    this.execute(p.tag, p.cmd);
  }

  private execute(tag: string, cmd: Command): void {
    this.mode = { kind: "busy" };
    this.rx.pause();
    this.run(tag, cmd).then(
      (d) => this.finish(tag, cmd, d),
      (e) => this.finish(tag, cmd, no(`[SERVERBUG] ${e instanceof Error ? e.message : String(e)}`)),
    );
  }

  private async run(tag: string, cmd: Command): Promise<Done | undefined> {
    switch (cmd.name) {
      case "CAPABILITY":
        this.untagged(`* CAPABILITY ${this.caps()}`);
        return { status: "OK", text: "CAPABILITY completed" };
      case "LOGOUT":
        this.untagged(`* BYE ${this.policy.hostname} logging out`);
        this.tagged(tag, { status: "OK", text: "LOGOUT completed" });
        this.flush();
        this.connectionLost();
        this.host.close();
        return undefined;
      case "STARTTLS":
        return this.startTls(tag);
      case "LOGIN":
        if (this.user) return bad("already authenticated");
        if (!this.secure && !this.policy.allowInsecureAuth) return no("[PRIVACYREQUIRED] use STARTTLS first"); // RFC 3501 §6.2.3
        return this.login(cmd.user, cmd.password);
      case "AUTHENTICATE":
        return this.authenticate(tag, cmd.mechanism, cmd.initial);
      case "IDLE":
        if (!this.user) return bad("log in first");
        this.mode = { kind: "idle", tag };
        this.view?.sync(true, this.condstore, (l) => this.untagged(l));
        this.sendNow("+ idling\r\n"); // RFC 2177 §3
        this.rx.resume();
        return undefined;
      default:
        if (!this.user) return bad(`${cmd.name} needs authentication`);
        return runCommand(this, cmd);
    }
  }

  private finish(tag: string, cmd: Command, d: Done | undefined): void {
    if (this.mode.kind === "closed") return;
    if (d) {
      if (this.view && (d.status === "OK" || cmd.name !== "SELECT")) {
        const seqCmd = (cmd.name === "FETCH" || cmd.name === "STORE" || cmd.name === "SEARCH" || cmd.name === "COPY") && !cmd.uid;
        this.view.sync(!seqCmd, this.condstore, (l) => this.untagged(l)); // RFC 3501 §7.4.1
      }
      this.tagged(tag, d);
    }
    this.flush();
    if (this.mode.kind === "busy") this.mode = { kind: "command" };
    if (this.mode.kind !== "command") return;
    if (this.rateExceeded()) this.host.delay(1000, () => this.rx.resume());
    else this.rx.resume();
  }

  private rateExceeded(): boolean {
    const t = this.host.now();
    if (t - this.windowStart >= 1000) {
      this.windowStart = t;
      this.windowCount = 0;
    }
    return ++this.windowCount > this.policy.maxCommandsPerSecond;
  }

  private startTls(tag: string): Promise<Done | undefined> | Done {
    if (this.secure) return bad("TLS already active");
    if (!this.policy.tlsAvailable) return no("TLS not available");
    if (this.user) return bad("STARTTLS is only allowed before login"); // RFC 3501 §6.2.1
    this.tagged(tag, { status: "OK", text: "Begin TLS negotiation now" });
    this.flush();
    this.rx.discardBuffered(); // RFC 3501 §6.2.1: no plaintext command survives the upgrade
    return this.host.startTls().then(() => {
      this.secure = true;
      return undefined;
    }, () => {
      this.connectionLost();
      this.host.close();
      return undefined;
    });
  }

  private async login(user: string, password: string): Promise<Done> {
    const who = await this.policy.authenticate(user, password);
    if (!who) return this.authFailed();
    this.user = who;
    this.box = await this.policy.store.mailbox(who);
    this.rx.maxLiteral = this.policy.maxLiteral;
    const me = who.toLowerCase();
    this.unsubscribe = this.policy.store.onChange((address, folder) => {
      if (address.toLowerCase() === me) this.changed(folder);
    });
    return { status: "OK", text: `[CAPABILITY ${this.caps()}] logged in` };
  }

  private authFailed(): Promise<Done> {
    this.authFailures++;
    const ms = this.policy.authFailureDelayMs(this.authFailures);
    return new Promise((resolve) => {
      this.host.delay(ms, () => {
        if (this.authFailures >= this.policy.maxAuthFailures) {
          this.tagged("*", no("[AUTHENTICATIONFAILED] too many failures"));
          this.bye("Too many authentication failures");
        }
        resolve(no("[AUTHENTICATIONFAILED] invalid credentials"));
      });
    });
  }

  private authenticate(tag: string, mechanism: string, initial: string | undefined): Promise<Done> | Done | undefined {
    if (this.user) return bad("already authenticated");
    if (mechanism !== "PLAIN") return no("[CANNOT] only AUTHENTICATE PLAIN is supported");
    if (!this.secure && !this.policy.allowInsecureAuth) return no("[PRIVACYREQUIRED] use STARTTLS first");
    if (initial !== undefined) return this.saslPlain(initial === "=" ? "" : initial);
    this.mode = { kind: "sasl", tag };
    this.sendNow("+ \r\n"); // RFC 3501 §6.2.2: empty challenge
    this.rx.resume();
    return undefined;
  }

  private saslPlain(b64: string): Promise<Done> | Done {
    const creds = decodePlain(b64);
    if (!creds) return bad("malformed SASL PLAIN response");
    return this.login(creds.user, creds.password);
  }

  private saslResponse(tag: string, line: string): void {
    if (line === "*") {
      this.mode = { kind: "command" };
      return this.tagged(tag, bad("AUTHENTICATE cancelled")); // RFC 3501 §6.2.2
    }
    this.mode = { kind: "busy" };
    this.rx.pause();
    Promise.resolve(this.saslPlain(line)).then(
      (d) => this.finish(tag, { name: "NOOP" }, d),
      (e) => this.finish(tag, { name: "NOOP" }, no(`[SERVERBUG] ${String(e)}`)),
    );
  }

  private endIdle(tag: string, bytes: Uint8Array): void {
    this.mode = { kind: "command" };
    if (dec.decode(bytes).trim().toUpperCase() !== "DONE") return this.tagged(tag, bad("expected DONE")); // RFC 2177 §3
    this.tagged(tag, { status: "OK", text: "IDLE terminated" });
  }

  /** the store changed a folder of this user: an IDLE client hears about it now */
  private changed(folder: string): void {
    if (this.mode.kind !== "idle" || !this.view || this.view.name !== folder) return;
    this.view.sync(true, this.condstore, (l) => this.untagged(l));
    this.flush();
  }
}
