// The listener glue shared by the SMTP, POP3 and IMAP services: transport.listen,
// one sweep timer for all sessions, per-IP and total connection accounting with
// refusal, and session ids. Each protocol keeps its own greeting, refusal text,
// idle rules, backpressure and drain handling in its listener file.

import type { Conn, Listener, TlsOptions, Transport } from "../runtime/types.ts";

export interface ServiceOptions {
  transport: Transport;
  host: string;
  port: number;
  /** implicit TLS (submissions, pop3s, imaps: RFC 8314 §3) */
  implicitTls: boolean;
  tls?: TlsOptions;
  limits: { maxConnections: number; maxConnectionsPerIp: number };
  now?: () => number;
  log?: (event: string, fields: Record<string, unknown>) => void;
}

const enc = new TextEncoder();

/**
 * A listening service whose connections map to protocol entries of type E.
 * Subclasses handle the connection events and the periodic idle sweep.
 */
export abstract class ServiceBase<E> {
  private listener: Listener | undefined;
  /** every open connection, refused ones included (counted until close) */
  protected readonly conns = new Map<Conn, E>();
  private readonly perIp = new Map<string, number>();
  private sweep: ReturnType<typeof setInterval> | undefined;
  protected readonly now: () => number;

  /** sweepMs: how often checkTimeouts runs */
  constructor(private readonly base: ServiceOptions, private readonly sweepMs: number) {
    this.now = base.now ?? Date.now;
  }

  get port(): number {
    return this.listener?.port ?? 0;
  }

  get connections(): number {
    return this.conns.size;
  }

  async start(): Promise<void> {
    const o = this.base;
    this.listener = await o.transport.listen(
      { host: o.host, port: o.port, tls: o.implicitTls ? o.tls : undefined },
      {
        open: (conn) => this.open(conn),
        data: (conn, chunk) => this.data(conn, chunk),
        drain: (conn) => this.drained(conn),
        close: (conn) => this.closed(conn),
      },
    );
    this.sweep = setInterval(() => this.checkTimeouts(), this.sweepMs);
    (this.sweep as { unref?: () => void }).unref?.();
  }

  /** Stop accepting new connections. */
  async stopListening(): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = undefined;
    await this.listener?.close();
  }

  /** a connection was accepted: admit() it, then start its session */
  protected abstract open(conn: Conn): void;
  protected abstract data(conn: Conn, chunk: Uint8Array): void;
  /** the adapter's output buffer drained */
  protected abstract drained(conn: Conn): void;
  /** the connection is gone: release() it */
  protected abstract closed(conn: Conn): void;
  /** runs every sweepMs: idle and lingering sessions */
  protected abstract checkTimeouts(): void;

  /**
   * Count a new connection under `entry`. Over the total or per-IP limit it is sent
   * `refusal` and ended (still counted until it closes) and false is returned.
   */
  protected admit(conn: Conn, entry: E, refusal: string): boolean {
    const ip = conn.remoteAddress;
    const n = (this.perIp.get(ip) ?? 0) + 1;
    this.perIp.set(ip, n);
    const full = this.conns.size >= this.base.limits.maxConnections || n > this.base.limits.maxConnectionsPerIp;
    this.conns.set(conn, entry);
    if (!full) return true;
    conn.write(enc.encode(refusal));
    conn.end();
    return false;
  }

  /** Forget a closed connection; its entry, or undefined when it was not counted. */
  protected release(conn: Conn): E | undefined {
    if (!this.conns.has(conn)) return undefined;
    const e = this.conns.get(conn) as E;
    this.conns.delete(conn);
    const ip = conn.remoteAddress;
    const n = (this.perIp.get(ip) ?? 1) - 1;
    if (n <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, n);
    return e;
  }
}

/**
 * Session ids for logs: `prefix`, the last `timeChars` of the clock in base 36, then a
 * counter padded to `pad` digits (wrapping there); pad 0: unpadded, never wraps.
 */
export function sessionIds(prefix: string, timeChars: number, pad = 4): () => string {
  const wrap = pad > 0 ? 36 ** pad : Infinity;
  let counter = 0;
  return () => {
    counter = (counter + 1) % wrap;
    return prefix + Date.now().toString(36).slice(-timeChars) + counter.toString(36).padStart(pad, "0");
  };
}
