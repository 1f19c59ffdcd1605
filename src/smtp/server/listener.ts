// Glue between a runtime Transport and SMTP sessions: connection limits, reply
// backpressure, timeouts (one sweep timer for all sessions) and graceful shutdown.

import { ServiceBase, type ServiceOptions, sessionIds } from "../../net/service-base.ts";
import type { Conn } from "../../runtime/types.ts";
import type { SpoolWriter } from "../../spool/types.ts";
import type { SessionPolicy } from "./policy.ts";
import { SmtpSession } from "./session.ts";

export interface SmtpServiceOptions extends ServiceOptions {
  policy: SessionPolicy;
  begin(): SpoolWriter;
  timeouts: { commandMs: number; dataMs: number };
  onCommitted?: (id: string, size: number) => void;
}

/** replies waiting in the adapter beyond this: stop reading the client */
const MAX_OUTPUT_BUFFER = 1 << 20;
/** a finished session's socket is destroyed when its last replies are not read within this (or the command timeout, if shorter) */
const MAX_LINGER_MS = 10_000;
/** pipelined input kept while a session waits, beyond this: stop reading the client */
const MAX_HELD_INPUT = 256 * 1024;

const newSessionId = sessionIds("", 5);

/** sessions by connection; null: refused, counted until close */
export class SmtpService extends ServiceBase<SmtpSession | null> {
  private readonly paused = new Set<Conn>();
  /** sessions that are over but whose socket is still open: since when */
  private readonly lingering = new Map<Conn, number>();

  constructor(private readonly opts: SmtpServiceOptions) {
    super(opts, 1000);
  }

  protected data(conn: Conn, chunk: Uint8Array): void {
    const s = this.conns.get(conn);
    if (!s) return;
    s.feed(chunk);
    // input held while the session waits (fsync, TLS, password check) is bounded
    if (s.busy && s.heldBytes > MAX_HELD_INPUT) this.setReading(conn, false);
  }

  protected drained(conn: Conn): void {
    const s = this.conns.get(conn);
    if (!s || s.closed || conn.buffered >= MAX_OUTPUT_BUFFER) return;
    if (!s.busy) this.setReading(conn, true);
    s.outputReady();
  }

  protected open(conn: Conn): void {
    const o = this.opts;
    const ip = conn.remoteAddress;
    if (!this.admit(conn, null, `421 4.7.0 ${o.policy.hostname} too many connections, try again later\r\n`)) return;
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
    this.conns.set(conn, session);
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

  protected closed(conn: Conn): void {
    this.paused.delete(conn);
    const s = this.release(conn);
    if (s === undefined) return;
    this.lingering.delete(conn);
    s?.connectionLost();
  }

  protected checkTimeouts(): void {
    const t = this.now();
    const { commandMs, dataMs } = this.opts.timeouts;
    for (const [conn, s] of this.conns) {
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

  /** Ask every session to finish (force: 421 now); `connections` tells when all are gone. */
  drain(force: boolean): void {
    for (const [conn, s] of this.conns) {
      if (s) s.shutdown(force);
      else if (force) conn.destroy();
    }
  }
}
