// Drive an SmtpSession with strings and collect its replies (no sockets).
import { SmtpSession } from "../../src/smtp/server/session.ts";
import type { SessionPolicy } from "../../src/smtp/server/policy.ts";
import { MemSpool } from "./memspool.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

export function testPolicy(over: Partial<SessionPolicy> = {}): SessionPolicy {
  return {
    hostname: "mx.test",
    listener: "smtp",
    maxMessageSize: 10_000,
    maxRecipients: 5,
    maxErrors: 10,
    maxAuthFailures: 3,
    maxLineLength: 512,
    allowInsecureAuth: false,
    tlsAvailable: true,
    requireAuth: false,
    isLocalDomain: (d) => d === "local.test",
    localUserExists: (a) => a === "alice@local.test" || a.startsWith("postmaster@"),
    isTrusted: (ip) => ip === "10.0.0.1",
    authenticate: (u, p) => Promise.resolve(u === "alice@local.test" && p === "secret" ? u : null),
    authFailureDelayMs: () => 0,
    ...over,
  };
}

export class Harness {
  readonly spool = new MemSpool();
  readonly sends: string[] = [];
  closed = false;
  tlsStarted = 0;
  readonly session: SmtpSession;

  constructor(policy: SessionPolicy = testPolicy(), ip = "192.0.2.1", secure = false) {
    this.session = new SmtpSession("S1", policy, {
      send: (b) => this.sends.push(dec.decode(b)),
      startTls: () => {
        this.tlsStarted++;
        return Promise.resolve({ protocol: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256" });
      },
      close: () => (this.closed = true),
      begin: this.spool.begin,
      now: () => 1_700_000_000_000,
      delay: (_ms, fn) => queueMicrotask(fn),
    }, { address: ip, port: 40000 }, secure ? { protocol: "TLSv1.3", cipher: "X" } : undefined);
    this.session.greet();
  }

  /** feed bytes, wait for async steps, return all replies sent since the last call */
  async send(s: string | Uint8Array): Promise<string> {
    const start = this.sends.length;
    this.session.feed(typeof s === "string" ? enc.encode(s) : s);
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
    return this.sends.slice(start).join("");
  }

  codes(out: string): number[] {
    return out.split("\r\n").filter((l) => /^\d{3} /.test(l)).map((l) => Number(l.slice(0, 3)));
  }
}
