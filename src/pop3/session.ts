// One POP3 session (RFC 1939 §3): AUTHORIZATION → TRANSACTION → UPDATE. No sockets
// here: bytes arrive through feed(), responses leave through the injected host,
// messages come from the injected store. Commands run one at a time in order;
// pipelined ones (RFC 2449 §6.6) wait in a short queue while one is asynchronous.

import { type Pop3Command, parseCommand } from "../proto/pop3/command.ts";
import { LineReader } from "../proto/pop3/lines.ts";
import * as P from "../proto/pop3/responses.ts";
import { decodePlain } from "../proto/pop3/sasl.ts";
import { capabilities } from "./capa.ts";
import { type Maildrop, openMaildrop } from "./maildrop.ts";
import { deleReply, listReply, noSuchMessage, rsetReply, statReply } from "./transaction.ts";
import { sendMessage } from "./transfer.ts";
import type { Pop3Host, Pop3Policy } from "./types.ts";

export type { Pop3Host, Pop3Policy } from "./types.ts";

type State =
  | { kind: "authorization"; user?: string }
  | { kind: "sasl" } // AUTH PLAIN sent "+ ", waiting for the response line
  | { kind: "transaction"; address: string; drop: Maildrop }
  | { kind: "update" } // QUIT given: expunging
  | { kind: "closed" };

type Input = { kind: "line"; text: string } | { kind: "tooLong" } | { kind: "badUtf8" };

/** queued pipelined commands beyond this: stop reading the client */
const MAX_QUEUED = 64;
const enc = new TextEncoder();
const utf8 = new TextDecoder("utf-8", { fatal: true });

export class Pop3Session {
  private state: State = { kind: "authorization" };
  private readonly reader: LineReader;
  private readonly queue: Input[] = [];
  private out = "";
  private secure: boolean;
  private errors = 0;
  private authFailures = 0;
  private lockHeld: string | undefined;
  private running = false; // an asynchronous command is in progress
  private draining = false;
  private inputOff = false;
  lastActivity: number;

  constructor(
    readonly id: string,
    private readonly policy: Pop3Policy,
    private readonly host: Pop3Host,
    secure: boolean,
  ) {
    this.secure = secure;
    this.lastActivity = host.now();
    this.reader = new LineReader({
      line: (l) => this.queue.push(decodeLine(l)),
      tooLong: () => this.queue.push({ kind: "tooLong" }),
    }, policy.maxLineLength);
  }

  greet(): void {
    this.out += P.ok(`${this.policy.hostname} Tern POP3 server ready`);
    this.flush();
  }

  get closed(): boolean {
    return this.state.kind === "closed";
  }

  /** waiting for the store, TLS or a password check */
  get busy(): boolean {
    return this.running;
  }

  /** the maildrop this session has locked, if any */
  get user(): string | undefined {
    return this.lockHeld;
  }

  feed(chunk: Uint8Array): void {
    if (this.closed) return;
    this.lastActivity = this.host.now();
    this.reader.feed(chunk);
    this.pump();
  }

  /** the connection is gone: RFC 1939 §6 — no UPDATE, nothing is deleted */
  connectionLost(): void {
    if (this.state.kind !== "update") this.releaseLock();
    this.state = { kind: "closed" };
    this.queue.length = 0;
  }

  /** RFC 1939 §3: autologout closes without a response and without UPDATE */
  timeout(): void {
    if (this.closed) return;
    this.host.log?.("timeout", { session: this.id });
    this.end();
  }

  /** server shutdown: finish the command in progress (unless forced), then close */
  shutdown(force: boolean): void {
    if (this.closed) return;
    if (this.running && !force) {
      this.draining = true;
      return;
    }
    this.terminate(P.err("server shutting down, try again later", P.CODE_SYS_TEMP));
  }

  private pump(): void {
    while (!this.running && this.queue.length > 0 && !this.closed) {
      const pending = this.handle(this.queue.shift()!);
      if (pending) {
        this.running = true;
        pending.catch((e) => this.internalError(e)).finally(() => this.resume());
      }
    }
    this.flush();
    if (this.draining && !this.running) this.shutdown(true);
    this.throttleInput();
  }

  private resume(): void {
    this.running = false;
    this.lastActivity = this.host.now();
    this.pump();
  }

  private throttleInput(): void {
    const off = this.queue.length > MAX_QUEUED;
    if (off !== this.inputOff && !this.closed) {
      this.inputOff = off;
      this.host.wantInput?.(!off);
    }
  }

  private handle(input: Input): Promise<void> | void {
    switch (input.kind) {
      case "tooLong":
        return this.error("line too long");
      case "badUtf8":
        return this.error("command is not valid UTF-8");
      case "line":
        return this.onLine(input.text);
    }
  }

  private onLine(text: string): Promise<void> | void {
    const st = this.state;
    switch (st.kind) {
      case "sasl":
        return this.saslResponse(text);
      case "authorization":
        return this.authorization(parseCommand(text), st);
      case "transaction":
        return this.transaction(parseCommand(text), st.drop);
      case "update":
      case "closed":
        return;
    }
  }

  private get plaintextOk(): boolean {
    return this.secure || this.policy.allowInsecureAuth;
  }

  private authorization(cmd: Pop3Command, st: { user?: string }): Promise<void> | void {
    switch (cmd.verb) {
      case "USER":
        if (!this.plaintextOk) return this.needTls();
        st.user = cmd.name;
        return this.reply(P.ok("send PASS"));
      case "PASS": {
        if (!this.plaintextOk) return this.needTls();
        const user = st.user;
        st.user = undefined;
        if (user === undefined) return this.error("USER first"); // RFC 1939 §7
        return this.login(user, cmd.password);
      }
      case "AUTH":
        return this.auth(cmd.mechanism, cmd.initial);
      case "APOP":
        return this.error("APOP is not supported, use USER/PASS or AUTH PLAIN");
      case "STLS":
        return this.stls();
      case "CAPA":
        return this.capa(false);
      case "QUIT":
        this.reply(P.ok(`${this.policy.hostname} signing off`));
        return this.end();
      case "STAT":
      case "LIST":
      case "UIDL":
      case "RETR":
      case "DELE":
      case "TOP":
      case "NOOP":
      case "RSET":
        return this.error(`${cmd.verb} is not allowed before login`);
      case "invalid":
        return this.error(cmd.reason);
      case "unknown":
        return this.error(`unknown command ${cmd.keyword}`);
    }
  }

  private transaction(cmd: Pop3Command, drop: Maildrop): Promise<void> | void {
    switch (cmd.verb) {
      case "STAT":
        return this.reply(statReply(drop));
      case "LIST":
      case "UIDL":
        return this.reply(listReply(drop, cmd.verb === "UIDL", cmd.msg));
      case "RETR":
        return this.retrieve(drop, cmd.msg);
      case "TOP":
        return this.retrieve(drop, cmd.msg, cmd.lines);
      case "DELE":
        return this.reply(deleReply(drop, cmd.msg));
      case "NOOP":
        return this.reply(P.ok());
      case "RSET":
        return this.reply(rsetReply(drop));
      case "QUIT":
        return this.update(drop);
      case "CAPA":
        return this.capa(true);
      case "USER":
      case "PASS":
      case "APOP":
      case "AUTH":
      case "STLS":
        return this.error(`${cmd.verb} is not allowed after login`);
      case "invalid":
        return this.error(cmd.reason);
      case "unknown":
        return this.error(`unknown command ${cmd.keyword}`);
    }
  }

  // ---- AUTHORIZATION

  private needTls(): void {
    // RFC 2595 §2.1: no plaintext passwords on a clear connection
    this.error("plaintext login is refused before STLS (use STLS or the pop3s port)");
  }

  private auth(mechanism: string | undefined, initial: string | undefined): Promise<void> | void {
    if (mechanism === undefined) {
      // a listing of mechanisms, as clients that predate CAPA expect
      return this.reply(P.multiline("supported mechanisms follow", this.plaintextOk ? ["PLAIN"] : []));
    }
    if (mechanism !== "PLAIN") return this.error(`mechanism ${mechanism} is not supported`);
    if (!this.plaintextOk) return this.needTls();
    if (initial !== undefined) return this.saslResponse(initial); // RFC 5034 §4: initial response
    this.state = { kind: "sasl" };
    this.reply(P.challenge());
  }

  private saslResponse(line: string): Promise<void> | void {
    this.state = { kind: "authorization" };
    const r = decodePlain(line);
    switch (r.kind) {
      case "credentials":
        return this.login(r.user, r.password);
      case "cancelled":
        return this.error("authentication cancelled"); // RFC 5034 §4
      case "error":
        return this.error(r.reason);
    }
  }

  private async login(user: string, password: string): Promise<void> {
    let identity: string | null;
    try {
      identity = await this.policy.authenticate(user, password);
    } catch (e) {
      this.host.log?.("auth error", { session: this.id, error: String(e) });
      return this.reply(P.err("authentication is unavailable, try again later", P.CODE_SYS_TEMP));
    }
    if (this.closed) return;
    if (identity === null) return this.authFailed(user);
    const opened = await openMaildrop(this.policy, identity);
    switch (opened.kind) {
      case "in-use":
        return this.reply(P.err("maildrop is in use by another session", P.CODE_IN_USE)); // RFC 2449 §8.1.1
      case "error":
        this.host.log?.("maildrop error", { session: this.id, user: identity, error: String(opened.error) });
        return this.reply(P.err("cannot open the maildrop, try again later", P.CODE_SYS_TEMP));
      case "ok":
        this.lockHeld = identity;
        if (this.closed) return this.releaseLock();
        this.state = { kind: "transaction", address: identity, drop: opened.drop };
        this.host.log?.("login", { session: this.id, user: identity, messages: opened.drop.count });
        return this.reply(P.ok(`${identity} has ${opened.drop.count} messages (${opened.drop.stat().size} octets)`));
    }
  }

  private async authFailed(user: string): Promise<void> {
    const n = ++this.authFailures;
    this.host.log?.("auth failed", { session: this.id, user, failures: n });
    const ms = this.policy.authFailureDelayMs(n);
    if (ms > 0) await new Promise<void>((r) => this.host.delay(ms, r));
    if (this.closed) return;
    if (n >= this.policy.maxAuthFailures) {
      return this.terminate(P.err("too many failed logins, closing", P.CODE_AUTH));
    }
    this.reply(P.err("invalid user name or password", P.CODE_AUTH)); // RFC 3206 §4
  }

  private stls(): Promise<void> | void {
    if (this.secure) return this.error("TLS is already active");
    if (!this.policy.tlsAvailable) return this.error("TLS is not available");
    this.reply(P.ok("begin TLS negotiation"));
    this.flush();
    // RFC 2595 §4: nothing the client sent before the handshake may be used after it
    this.reader.reset();
    this.queue.length = 0;
    this.state = { kind: "authorization" };
    return this.host.startTls().then(
      () => {
        this.secure = true;
      },
      (e) => {
        this.host.log?.("tls failed", { session: this.id, error: String(e) });
        this.connectionLost(); // the runtime closes the connection
      },
    );
  }

  private capa(authorized: boolean): void {
    const caps = capabilities({
      authorized,
      secure: this.secure,
      tlsAvailable: this.policy.tlsAvailable,
      plaintextOk: this.plaintextOk,
    });
    this.reply(P.multiline("capability list follows", caps));
  }

  // ---- TRANSACTION

  private async retrieve(drop: Maildrop, n: number, topLines?: number): Promise<void> {
    const r = drop.get(n);
    if (r.kind !== "ok") return this.reply(noSuchMessage(n, r));
    this.flush();
    const okLine = P.ok(topLines === undefined ? `${r.msg.size} octets` : "top of message follows");
    const session = this;
    const res = await sendMessage(() => drop.folder.read(r.msg.uid), okLine, {
      send: (b) => this.host.send(b),
      drained: () => this.host.drained(),
      get gone() {
        return session.closed;
      },
      progress: () => (this.lastActivity = this.host.now()),
    }, topLines);
    switch (res.kind) {
      case "sent":
        return;
      case "unreadable":
        this.host.log?.("read failed", { session: this.id, uid: r.msg.uid, error: String(res.error) });
        return this.reply(P.err(`message ${n} cannot be read (removed by another session?)`, P.CODE_SYS_TEMP));
      case "broken":
        if (res.error) this.host.log?.("read failed", { session: this.id, uid: r.msg.uid, error: String(res.error) });
        return this.end(); // the response cannot be completed: close (nothing is deleted)
    }
  }

  // ---- UPDATE

  private async update(drop: Maildrop): Promise<void> {
    this.state = { kind: "update" }; // RFC 1939 §6
    let line: string;
    try {
      const n = await drop.commit();
      line = P.ok(`${this.policy.hostname} signing off (${n} messages deleted)`);
    } catch (e) {
      this.host.log?.("expunge failed", { session: this.id, error: String(e) });
      line = P.err("some deleted messages were not removed", P.CODE_SYS_TEMP);
    } finally {
      this.releaseLock();
    }
    if (this.closed) return; // the connection dropped during the expunge
    this.reply(line);
    this.end();
  }

  // ---- plumbing

  private reply(text: string): void {
    this.out += text;
  }

  private error(text: string): void {
    this.reply(P.err(text));
    if (++this.errors >= this.policy.maxErrors) this.terminate(P.err("too many errors, closing"));
  }

  private internalError(e: unknown): void {
    this.host.log?.("internal error", { session: this.id, error: String(e) });
    this.terminate(P.err("internal error, closing", P.CODE_SYS_TEMP));
  }

  private terminate(text: string): void {
    if (this.closed) return;
    this.reply(text);
    this.end();
  }

  /** flush, release the lock (no UPDATE), close */
  private end(): void {
    if (this.closed) return;
    this.flush();
    if (this.state.kind !== "update") this.releaseLock();
    this.state = { kind: "closed" };
    this.queue.length = 0;
    this.host.close();
  }

  private releaseLock(): void {
    if (this.lockHeld === undefined) return;
    this.policy.locks.release(this.lockHeld);
    this.lockHeld = undefined;
  }

  private flush(): void {
    if (this.out === "" || this.closed) return;
    const bytes = enc.encode(this.out);
    this.out = "";
    this.host.send(bytes);
  }
}

function decodeLine(raw: Uint8Array): Input {
  try {
    return { kind: "line", text: utf8.decode(raw) };
  } catch {
    return { kind: "badUtf8" };
  }
}
