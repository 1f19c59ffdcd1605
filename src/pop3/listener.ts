// Glue between a runtime Transport and POP3 sessions: connection limits, output
// backpressure for streamed RETR, the idle timeout (one sweep timer for all
// sessions) and graceful shutdown.

import type { Conn, ConnHandler, Listener, TlsOptions, Transport } from "../runtime/types.ts";
import { Pop3Session } from "./session.ts";
import type { Pop3Policy } from "./types.ts";

export interface Pop3ServiceOptions {
  transport: Transport;
  host: string;
  port: number;
  /** implicit TLS (pop3s, RFC 8314 §3.3) */
  implicitTls: boolean;
  tls?: TlsOptions;
  policy: Pop3Policy;
  limits: { maxConnections: number; maxConnectionsPerIp: number };
  /** RFC 1939 §3: the autologout timer must be at least 10 minutes */
  idleMs: number;
  /** how often idle sessions are looked for */
  sweepMs?: number;
  now?: () => number;
  log?: (event: string, fields: Record<string, unknown>) => void;
}

/** bytes waiting in the adapter beyond this: RETR waits for drain */
const HIGH_WATER = 256 * 1024;
const enc = new TextEncoder();

let sessionCounter = 0;
function newSessionId(): string {
  sessionCounter = (sessionCounter + 1) % 1679616;
  return "p" + Date.now().toString(36).slice(-4) + sessionCounter.toString(36).padStart(4, "0");
}

interface Entry {
  session: Pop3Session | undefined; // undefined: refused, counted until close
  waiters: (() => void)[];
}

export class Pop3Service {
  private listener: Listener | undefined;
  private readonly conns = new Map<Conn, Entry>();
  private readonly perIp = new Map<string, number>();
  private sweep: ReturnType<typeof setInterval> | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: Pop3ServiceOptions) {
    this.now = opts.now ?? Date.now;
  }

  get port(): number {
    return this.listener?.port ?? 0;
  }

  get connections(): number {
    return this.conns.size;
  }

  async start(): Promise<void> {
    const o = this.opts;
    this.listener = await o.transport.listen(
      { host: o.host, port: o.port, tls: o.implicitTls ? o.tls : undefined },
      this.handler(),
    );
    this.sweep = setInterval(() => this.checkTimeouts(), o.sweepMs ?? 1000);
    (this.sweep as { unref?: () => void }).unref?.();
  }

  private handler(): ConnHandler {
    return {
      open: (conn) => this.open(conn),
      data: (conn, chunk) => this.conns.get(conn)?.session?.feed(chunk),
      drain: (conn) => this.wake(conn),
      close: (conn) => this.closed(conn),
    };
  }

  private open(conn: Conn): void {
    const o = this.opts;
    const ip = conn.remoteAddress;
    const n = (this.perIp.get(ip) ?? 0) + 1;
    this.perIp.set(ip, n);
    const entry: Entry = { session: undefined, waiters: [] };
    if (this.conns.size >= o.limits.maxConnections || n > o.limits.maxConnectionsPerIp) {
      this.conns.set(conn, entry);
      conn.write(enc.encode("-ERR [SYS/TEMP] too many connections, try again later\r\n"));
      conn.end();
      return;
    }
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
    this.conns.set(conn, entry);
    o.log?.("connect", { session: session.id, client: ip, tls: conn.secure });
    session.greet();
  }

  /** the adapter's buffer drained (or the connection closed): let RETR go on */
  private wake(conn: Conn): void {
    const e = this.conns.get(conn);
    if (!e || e.waiters.length === 0) return;
    const w = e.waiters;
    e.waiters = [];
    for (const fn of w) fn();
  }

  private closed(conn: Conn): void {
    const e = this.conns.get(conn);
    if (!e) return;
    this.wake(conn);
    this.conns.delete(conn);
    const ip = conn.remoteAddress;
    const n = (this.perIp.get(ip) ?? 1) - 1;
    if (n <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, n);
    e.session?.connectionLost();
  }

  private checkTimeouts(): void {
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

  /** Stop accepting new connections. */
  async stopListening(): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = undefined;
    await this.listener?.close();
  }

  /** Ask every session to finish (force: close now); `connections` tells when all are gone. */
  drain(force: boolean): void {
    for (const [conn, e] of this.conns) {
      if (e.session && !e.session.closed) e.session.shutdown(force);
      if (force) conn.destroy();
    }
  }
}
