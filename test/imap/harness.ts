// Drive an ImapSession with strings over the fake store (no sockets).
import { type ImapPolicy, ImapSession } from "../../src/imap/session.ts";
import { FakeImapStore } from "../helpers/fake-imap-store.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

export function imapPolicy(store: FakeImapStore, over: Partial<ImapPolicy> = {}): ImapPolicy {
  return {
    hostname: "imap.test",
    tlsAvailable: true,
    allowInsecureAuth: true,
    maxLine: 2048,
    maxLiteral: 100_000,
    maxAuthFailures: 3,
    maxErrors: 20,
    maxCommandsPerSecond: 100_000,
    authFailureDelayMs: () => 0,
    authenticate: (u, p) => Promise.resolve(u.toLowerCase() === "alice@x.test" && p === "pw" ? "alice@x.test" : null),
    store,
    ...over,
  };
}

export class ImapHarness {
  readonly sends: string[] = [];
  closed = false;
  tls = 0;
  readonly session: ImapSession;
  constructor(readonly store = new FakeImapStore(), over: Partial<ImapPolicy> = {}, secure = false) {
    this.session = new ImapSession("T", imapPolicy(store, over), {
      send: (b) => this.sends.push(dec.decode(b)),
      startTls: () => {
        this.tls++;
        return Promise.resolve();
      },
      close: () => (this.closed = true),
      now: () => 1_700_000_000_000,
      delay: (_ms, fn) => queueMicrotask(fn),
      drained: () => Promise.resolve(),
    }, secure);
    this.session.greet();
  }

  /** feed bytes, let async steps run, return everything sent since */
  async send(s: string | Uint8Array): Promise<string> {
    const start = this.sends.length;
    this.session.feed(typeof s === "string" ? enc.encode(s) : s);
    for (let i = 0; i < 30; i++) await new Promise((r) => setImmediate(r));
    return this.sends.slice(start).join("");
  }

  async login(): Promise<void> {
    const r = await this.send("L1 LOGIN alice@x.test pw\r\n");
    if (!r.includes("L1 OK")) throw new Error(r);
  }

  box() {
    return this.store.box("alice@x.test");
  }

  async deliver(folder: string, msg: string, flags: string[] = [], date = 1_700_000_000_000): Promise<number> {
    return await this.box().get(folder).append(enc.encode(msg), flags, date);
  }
}

export function msg(subject: string, body = "hello\r\n", extra = ""): string {
  return `From: "Bob B" <bob@y.test>\r\nTo: alice@x.test, "C, D" <cd@z.test>\r\nSubject: ${subject}\r\n` +
    `Date: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <${subject.replace(/\W/g, "")}@y.test>\r\n${extra}\r\n${body}`;
}
