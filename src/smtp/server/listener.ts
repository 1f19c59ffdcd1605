// Glue between a runtime Transport and SMTP sessions: connection limits, reply
// backpressure, timeouts (one sweep timer for all sessions) and graceful shutdown.

import type { Conn, ConnHandler, Listener, TlsOptions, Transport } from "../../runtime/types.ts";
import type { SpoolWriter } from "../../spool/types.ts";
import type { SessionPolicy } from "./policy.ts";
import { SmtpSession } from "./session.ts";

export interface SmtpServiceOptions {
  transport: Transport;
  host: string;
  port: number;
  /** implicit TLS (submissions, port 465) */
  implicitTls: boolean;
  tls?: TlsOptions;
  policy: SessionPolicy;
  begin(): SpoolWriter;
  limits: { maxConnections: number; maxConnectionsPerIp: number };
  timeouts: { commandMs: number; dataMs: number };
  now?: () => number;
  log?: (event: string, fields: Record<string, unknown>) => void;
  onCommitted?: (id: string, size: number) => void;
}

/** replies waiting in the adapter beyond this: stop reading the client */
const MAX_OUTPUT_BUFFER = 1 << 20;
/** a finished session's socket is destroyed when its last replies are not read within this (or the command timeout, if shorter) */
const MAX_LINGER_MS = 10_000;
/** pipelined input kept while a session waits, beyond this: stop reading the client */
const MAX_HELD_INPUT = 256 * 1024;
const enc = new TextEncoder();

let sessionCounter = 0;
function newSessionId(): string {
  sessionCounter = (sessionCounter + 1) % 1679616;
  return Date.now().toString(36).slice(-5) + sessionCounter.toString(36).padStart(4, "0");
}

export class SmtpService {
  private listener: Listener | undefined;
  private readonly sessions = new Map<Conn, SmtpSession>();
  private readonly perIp = new Map<string, number>();
  private readonly paused = new Set<Conn>();
  /** sessions that are over but whose socket is still open: since when */
  private readonly lingering = new Map<Conn, number>();
  private sweep: ReturnType<typeof setInterval> | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: SmtpServiceOptions) {
    this.now = opts.now ?? Date.now;
  }

  get port(): number {
    return this.listener?.port ?? 0;
  }

  get connections(): number {
    return this.sessions.size;
  }

  async start(): Promise<void> {
    const o = this.opts;
    this.listener = await o.transport.listen(
      { host: o.host, port: o.port, tls: o.implicitTls ? o.tls : undefined },
      this.handler(),
    );
    this.sweep = setInterval(() => this.checkTimeouts(), 1000);
    (this.sweep as { unref?: () => void }).unref?.();
  }

  private handler(): ConnHandler {
    return {
      open: (conn) => this.open(conn),
      data: (conn, chunk) => {
        const s = this.sessions.get(conn);
        if (!s) return;
        s.feed(chunk);
        // input held while the session waits (fsync, TLS, password check) is bounded
        if (s.busy && s.heldBytes > MAX_HELD_INPUT) this.setReading(conn, false);
      },
      drain: (conn) => {
        const s = this.sessions.get(conn);
        if (!s || s.closed || conn.buffered >= MAX_OUTPUT_BUFFER) return;
        if (!s.busy) this.setReading(conn, true);
        s.outputReady();
      },
      close: (conn) => this.closed(conn),
    };
  }

  private open(conn: Conn): void {
    const o = this.opts;
    const ip = conn.remoteAddress;
    const n = (this.perIp.get(ip) ?? 0) + 1;
    this.perIp.set(ip, n);
    if (this.sessions.size >= o.limits.maxConnections || n > o.limits.maxConnectionsPerIp) {
      this.sessions.set(conn, undefined as unknown as SmtpSession); // counted until close
      conn.write(enc.encode(`421 4.7.0 ${o.policy.hostname} too many connections, try again later\r\n`));
      conn.end();
      return;
    }
    const session = new SmtpSession(newSessionId(), o.policy, {
      send: (bytes) => {
        if (!conn.write(bytes) && conn.buffered >= MAX_OUTPUT_BUFFER) this.setReading(conn, false);
      },
      startTls: async () => {
        if (!o.tls) throw new Error("no certificate");
        await conn.startTls(o.tls);
        return conn.tlsInfo() ?? { protocol: "TLS", cipher: "unknown" };
      },
      close: () => conn.end(),
      congested: () => conn.buffered >= MAX_OUTPUT_BUFFER,
      begin: o.begin,
      now: this.now,
      delay: (ms, fn) => setTimeout(fn, ms),
      committed: (id, size) => {
        o.log?.("queued", { session: session.id, id, size, client: ip });
        o.onCommitted?.(id, size);
      },
      wantInput: (on) => this.setReading(conn, on),
    }, { address: ip, port: conn.remotePort }, conn.secure ? conn.tlsInfo() : undefined);
    this.sessions.set(conn, session);
    o.log?.("connect", { session: session.id, client: ip, listener: o.policy.listener });
    session.greet();
  }

  /** pause/resume the socket only on a change (each is a native call) */
  private setReading(conn: Conn, on: boolean): void {
    if (on === !this.paused.has(conn)) return;
    if (on) {
      this.paused.delete(conn);
      conn.resume();
    } else {
      this.paused.add(conn);
      conn.pause();
    }
  }

  private closed(conn: Conn): void {
    this.paused.delete(conn);
    if (!this.sessions.has(conn)) return;
    const s = this.sessions.get(conn);
    this.sessions.delete(conn);
    this.lingering.delete(conn);
    const ip = conn.remoteAddress;
    const n = (this.perIp.get(ip) ?? 1) - 1;
    if (n <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, n);
    s?.connectionLost();
  }

  private checkTimeouts(): void {
    const t = this.now();
    const { commandMs, dataMs } = this.opts.timeouts;
    for (const [conn, s] of this.sessions) {
      if (!s || s.closed) {
        this.dropLingering(conn, t, Math.min(commandMs, MAX_LINGER_MS));
        continue;
      }
      if (s.busy) continue;
      if (t - s.lastActivity > (s.inBody ? dataMs : commandMs)) s.timeout();
    }
  }

  /**
   * A session that is over (421, 221) waits for its last replies to be flushed before
   * the socket closes; a client that never reads would keep it forever. Cut it off.
   */
  private dropLingering(conn: Conn, t: number, graceMs: number): void {
    const since = this.lingering.get(conn);
    if (since === undefined) this.lingering.set(conn, t);
    else if (t - since >= graceMs) conn.destroy();
  }

  /** Stop accepting new connections. */
  async stopListening(): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = undefined;
    await this.listener?.close();
  }

  /** Ask every session to finish (force: 421 now); `connections` tells when all are gone. */
  drain(force: boolean): void {
    for (const [conn, s] of this.sessions) {
      if (s) s.shutdown(force);
      else if (force) conn.destroy();
    }
  }
}
