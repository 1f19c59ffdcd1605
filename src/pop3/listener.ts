// Glue between a runtime Transport and POP3 sessions: connection limits, output
// backpressure for streamed RETR, the idle timeout (one sweep timer for all
// sessions) and graceful shutdown.

import { ServiceBase, type ServiceOptions, sessionIds } from "../net/service-base.ts";
import type { Conn } from "../runtime/types.ts";
import { Pop3Session } from "./session.ts";
import type { Pop3Policy } from "./types.ts";

/** implicitTls: pop3s, RFC 8314 §3.3 */
export interface Pop3ServiceOptions extends ServiceOptions {
  policy: Pop3Policy;
  /** RFC 1939 §3: the autologout timer must be at least 10 minutes */
  idleMs: number;
  /** how often idle sessions are looked for */
  sweepMs?: number;
}

/** bytes waiting in the adapter beyond this: RETR waits for drain */
const HIGH_WATER = 256 * 1024;

const newSessionId = sessionIds("p", 4);

interface Entry {
  session: Pop3Session | undefined; // undefined: refused, counted until close
  waiters: (() => void)[];
}

export class Pop3Service extends ServiceBase<Entry> {
  constructor(private readonly opts: Pop3ServiceOptions) {
    super(opts, opts.sweepMs ?? 1000);
  }

  protected data(conn: Conn, chunk: Uint8Array): void {
    this.conns.get(conn)?.session?.feed(chunk);
  }

  protected open(conn: Conn): void {
    const o = this.opts;
    const ip = conn.remoteAddress;
    const entry: Entry = { session: undefined, waiters: [] };
    if (!this.admit(conn, entry, "-ERR [SYS/TEMP] too many connections, try again later\r\n")) return;
    const session = new Pop3Session(newSessionId(), o.policy, {
      send: (bytes) => conn.write(bytes) || conn.buffered < HIGH_WATER,
      drained: () => (this.conns.has(conn) ? new Promise<void>((resolve) => entry.waiters.push(resolve)) : Promise.resolve()),
      startTls: () => (o.tls ? conn.startTls(o.tls) : Promise.reject(new Error("no certificate"))),
      close: () => conn.end(),
      now: this.now,
      delay: (ms, fn) => setTimeout(fn, ms),
      wantInput: (on) => (on ? conn.resume() : conn.pause()),
      log: o.log && ((event, fields) => o.log!(event, { ...fields, client: ip })),
    }, conn.secure);
    entry.session = session;
    o.log?.("connect", { session: session.id, client: ip, tls: conn.secure });
    session.greet();
  }

  /** the adapter's buffer drained (or the connection closed): let RETR go on */
  protected drained(conn: Conn): void {
    const e = this.conns.get(conn);
    if (!e || e.waiters.length === 0) return;
    const w = e.waiters;
    e.waiters = [];
    for (const fn of w) fn();
  }

  protected closed(conn: Conn): void {
    if (!this.conns.has(conn)) return;
    this.drained(conn);
    this.release(conn)?.session?.connectionLost();
  }

  protected checkTimeouts(): void {
    const t = this.now();
    for (const [conn, e] of this.conns) {
      const s = e.session;
      if (!s || s.closed) continue;
      if (t - s.lastActivity > this.opts.idleMs) {
        s.timeout();
        conn.destroy(); // RFC 1939 §3: no response; a client that stopped reading cannot hold us
      }
    }
  }

  /** Ask every session to finish (force: close now); `connections` tells when all are gone. */
  drain(force: boolean): void {
    for (const [conn, e] of this.conns) {
      if (e.session && !e.session.closed) e.session.shutdown(force);
      if (force) conn.destroy();
    }
  }
}
