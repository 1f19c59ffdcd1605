// Glue between a runtime Transport and IMAP sessions: connection limits, output
// backpressure, the autologout sweep and shutdown. Used for the STARTTLS port
// (listen.imap) and the implicit-TLS port (listen.imaps, RFC 8314 §3.2).

import type { Conn, ConnHandler, Listener, TlsOptions, Transport } from "../runtime/types.ts";
import { type ImapPolicy, ImapSession } from "./session.ts";

export interface ImapServiceOptions {
  transport: Transport;
  host: string;
  port: number;
  implicitTls: boolean;
  tls?: TlsOptions;
  policy: ImapPolicy;
  limits: { maxConnections: number; maxConnectionsPerIp: number };
  /** RFC 3501 §5.4: at least 30 minutes */
  idleTimeoutMs?: number;
  now?: () => number;
  log?: (event: string, fields: Record<string, unknown>) => void;
}

/** stop reading from the client / wait in FETCH while this much output is queued */
const MAX_OUTPUT_BUFFER = 1 << 20;
const enc = new TextEncoder();
let counter = 0;

interface Entry {
  session: ImapSession | undefined;
  waiters: (() => void)[];
}

export class ImapService {
  private listener: Listener | undefined;
  private readonly conns = new Map<Conn, Entry>();
  private readonly perIp = new Map<string, number>();
  private sweep: ReturnType<typeof setInterval> | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: ImapServiceOptions) {
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
    this.listener = await o.transport.listen({ host: o.host, port: o.port, tls: o.implicitTls ? o.tls : undefined }, this.handler());
    this.sweep = setInterval(() => this.checkTimeouts(), 5000);
    (this.sweep as { unref?: () => void }).unref?.();
  }

  private handler(): ConnHandler {
    return {
      open: (conn) => this.open(conn),
      data: (conn, chunk) => this.conns.get(conn)?.session?.feed(chunk),
      drain: (conn) => this.onDrain(conn),
      close: (conn) => this.closed(conn),
    };
  }

  private onDrain(conn: Conn): void {
    const e = this.conns.get(conn);
    if (!e || conn.buffered >= MAX_OUTPUT_BUFFER) return;
    if (e.session && !e.session.closed) conn.resume();
    const w = e.waiters;
    e.waiters = [];
    for (const fn of w) fn();
  }

  private open(conn: Conn): void {
    const o = this.opts;
    const ip = conn.remoteAddress;
    const n = (this.perIp.get(ip) ?? 0) + 1;
    this.perIp.set(ip, n);
    const entry: Entry = { session: undefined, waiters: [] };
    this.conns.set(conn, entry);
    if (this.conns.size > o.limits.maxConnections || n > o.limits.maxConnectionsPerIp) {
      conn.write(enc.encode(`* BYE too many connections, try again later\r\n`));
      conn.end();
      return;
    }
    const id = Date.now().toString(36).slice(-5) + (++counter).toString(36);
    const session = new ImapSession(id, o.policy, {
      send: (bytes) => {
        if (!conn.write(bytes) && conn.buffered >= MAX_OUTPUT_BUFFER) conn.pause();
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

  private closed(conn: Conn): void {
    const e = this.conns.get(conn);
    if (!e) return;
    this.conns.delete(conn);
    const ip = conn.remoteAddress;
    const n = (this.perIp.get(ip) ?? 1) - 1;
    if (n <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, n);
    e.session?.connectionLost();
    for (const fn of e.waiters) fn();
  }

  private checkTimeouts(): void {
    const t = this.now();
    const limit = this.opts.idleTimeoutMs ?? 30 * 60_000;
    for (const e of this.conns.values()) {
      const s = e.session;
      if (s && !s.closed && !s.busy && t - s.lastActivity > limit) s.timeout();
    }
  }

  async stopListening(): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = undefined;
    await this.listener?.close();
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
