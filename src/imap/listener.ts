// Glue between a runtime Transport and IMAP sessions: connection limits, output
// backpressure, the autologout sweep and shutdown. Used for the STARTTLS port
// (listen.imap) and the implicit-TLS port (listen.imaps, RFC 8314 §3.2).

import { ServiceBase, type ServiceOptions, sessionIds } from "../net/service-base.ts";
import type { Conn } from "../runtime/types.ts";
import { type ImapPolicy, ImapSession } from "./session.ts";

export interface ImapServiceOptions extends ServiceOptions {
  policy: ImapPolicy;
  /** RFC 3501 §5.4: at least 30 minutes */
  idleTimeoutMs?: number;
}

/** stop reading from the client / wait in FETCH while this much output is queued */
const MAX_OUTPUT_BUFFER = 1 << 20;

const newSessionId = sessionIds("", 5, 0);

interface Entry {
  session: ImapSession | undefined;
  waiters: (() => void)[];
}

export class ImapService extends ServiceBase<Entry> {
  constructor(private readonly opts: ImapServiceOptions) {
    super(opts, 5000);
  }

  protected data(conn: Conn, chunk: Uint8Array): void {
    this.conns.get(conn)?.session?.feed(chunk);
  }

  protected drained(conn: Conn): void {
    const e = this.conns.get(conn);
    if (!e || conn.buffered >= MAX_OUTPUT_BUFFER) return;
    if (e.session && !e.session.closed) conn.resume();
    const w = e.waiters;
    e.waiters = [];
    for (const fn of w) fn();
  }

  protected open(conn: Conn): void {
    const o = this.opts;
    const ip = conn.remoteAddress;
    const entry: Entry = { session: undefined, waiters: [] };
    if (!this.admit(conn, entry, `* BYE too many connections, try again later\r\n`)) return;
    const id = newSessionId();
    const session = new ImapSession(id, o.policy, {
      send: (bytes, released) => {
        if (!conn.write(bytes, released) && conn.buffered >= MAX_OUTPUT_BUFFER) conn.pause();
      },
      startTls: () => {
        if (!o.tls) return Promise.reject(new Error("no certificate"));
        return conn.startTls(o.tls);
      },
      close: () => conn.end(),
      now: this.now,
      delay: (ms, fn) => setTimeout(fn, ms),
      drained: () => {
        if (conn.buffered < MAX_OUTPUT_BUFFER) return Promise.resolve();
        return new Promise<void>((r) => entry.waiters.push(r));
      },
    }, conn.secure);
    entry.session = session;
    o.log?.("imap connect", { session: id, client: ip });
    session.greet();
  }

  protected closed(conn: Conn): void {
    const e = this.release(conn);
    if (!e) return;
    e.session?.connectionLost();
    for (const fn of e.waiters) fn();
  }

  protected checkTimeouts(): void {
    const t = this.now();
    const limit = this.opts.idleTimeoutMs ?? 30 * 60_000;
    for (const e of this.conns.values()) {
      const s = e.session;
      if (s && !s.closed && !s.busy && t - s.lastActivity > limit) s.timeout();
    }
  }

  /** BYE to every session (force: drop the connections at once) */
  drain(force: boolean): void {
    for (const [conn, e] of this.conns) {
      if (force) conn.destroy();
      else if (e.session) e.session.shutdown();
      else conn.end();
    }
  }
}
