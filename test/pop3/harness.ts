// Drive a Pop3Session with strings and collect its responses (no sockets).
import { MaildropLocks } from "../../src/pop3/locks.ts";
import { Pop3Session, type Pop3Policy } from "../../src/pop3/session.ts";
import { FakeStore } from "../helpers/fake-store.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

export const ALICE = "alice@tern.test";
export const PASSWORD = "secret pw";

export function testPolicy(store: FakeStore, over: Partial<Pop3Policy> = {}): Pop3Policy {
  return {
    hostname: "pop.tern.test",
    allowInsecureAuth: false,
    tlsAvailable: true,
    maxLineLength: 255,
    maxErrors: 10,
    maxAuthFailures: 3,
    authFailureDelayMs: (n) => n * 100,
    authenticate: (u, p) =>
      Promise.resolve((u.toLowerCase() === ALICE || u.toLowerCase() === "bob@tern.test") && p === PASSWORD ? u.toLowerCase() : null),
    store,
    locks: new MaildropLocks(),
    ...over,
  };
}

export class Pop3Harness {
  readonly out: string[] = [];
  closed = false;
  tlsStarted = 0;
  delays: number[] = [];
  clock = 1_700_000_000_000;
  readonly session: Pop3Session;

  constructor(readonly policy: Pop3Policy, secure = false) {
    this.session = new Pop3Session("P1", policy, {
      send: (b) => {
        this.out.push(dec.decode(b));
        return true;
      },
      drained: () => Promise.resolve(),
      startTls: () => {
        this.tlsStarted++;
        return Promise.resolve();
      },
      close: () => (this.closed = true),
      now: () => this.clock,
      delay: (ms, fn) => {
        this.delays.push(ms);
        setTimeout(fn, 0);
      },
    }, secure);
    this.session.greet();
  }

  /** feed bytes, wait until the session is idle, return what it sent since the last call */
  async send(s: string | Uint8Array): Promise<string> {
    const start = this.out.length;
    this.session.feed(typeof s === "string" ? enc.encode(s) : s);
    await this.settle();
    return this.out.slice(start).join("");
  }

  async settle(): Promise<void> {
    for (let i = 0; i < 200; i++) {
      await new Promise((r) => setTimeout(r, 0));
      if (!this.session.busy) {
        await new Promise((r) => setTimeout(r, 0));
        if (!this.session.busy) return;
      }
    }
    throw new Error("session stayed busy");
  }

  /** USER/PASS as alice (the connection must allow plaintext) */
  async login(user = ALICE): Promise<string> {
    return this.send(`USER ${user}\r\nPASS ${PASSWORD}\r\n`);
  }
}
