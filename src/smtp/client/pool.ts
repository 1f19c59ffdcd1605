// Connection pool per destination (key from the Destination: domains on the same MX
// set share it). A lease is one connection slot: at most maxConnections leases plus
// idle connections per destination; callers beyond that wait FIFO. Released healthy
// connections stay idle (LIFO reuse) until idleTimeout; one sweep timer for the
// whole pool closes the expired ones.

import type { Limits } from "./options.ts";
import { TokenBucket } from "./rate.ts";
import type { Session } from "./session.ts";

export interface Lease {
  /** an idle connection handed over for reuse, if any */
  session: Session | undefined;
  /** the pool is closed: do not deliver */
  closed: boolean;
}

export class DestinationPool {
  readonly idle: Session[] = [];
  active = 0;
  readonly waiters: ((l: Lease) => void)[] = [];
  readonly bucket: TokenBucket | undefined;

  constructor(readonly key: string, readonly limits: Limits, now: () => number) {
    this.bucket = limits.messagesPerSecond > 0 ? new TokenBucket(limits.messagesPerSecond, now) : undefined;
  }
}

export interface PoolStats {
  /** TCP connections opened (sessions established) */
  opened: number;
  /** transactions that reused an idle connection */
  reused: number;
  /** connections leased right now */
  inUse: number;
  idle: number;
  /** callers waiting for a connection slot */
  waiting: number;
}

export class Pool {
  private readonly pools = new Map<string, DestinationPool>();
  private sweepTimer: ReturnType<typeof setTimeout> | undefined;
  private sweepAt = Infinity;
  private closed = false;
  opened = 0;
  reused = 0;

  constructor(private readonly now: () => number) {}

  destination(key: string, limits: () => Limits): DestinationPool {
    let p = this.pools.get(key);
    if (!p) {
      p = new DestinationPool(key, limits(), this.now);
      this.pools.set(key, p);
    }
    return p;
  }

  acquire(p: DestinationPool): Promise<Lease> {
    if (this.closed) return Promise.resolve({ session: undefined, closed: true });
    while (p.idle.length > 0) {
      const s = p.idle.pop()!;
      if (!s.sc.usable) continue; // closed by the server while idle
      p.active++;
      return Promise.resolve({ session: s, closed: false });
    }
    if (p.active < p.limits.maxConnections) {
      p.active++;
      return Promise.resolve({ session: undefined, closed: false });
    }
    return new Promise((resolve) => p.waiters.push(resolve));
  }

  /** Give the slot back, with the connection when it may carry more messages. */
  release(p: DestinationPool, s: Session | undefined): void {
    p.active--;
    let keep = s;
    if (keep && (this.closed || !keep.sc.usable || keep.messages >= p.limits.maxMessagesPerConnection)) {
      keep.sc.quit();
      keep = undefined;
    }
    const w = p.waiters.shift();
    if (w) {
      p.active++;
      w({ session: keep, closed: false });
      return;
    }
    if (!keep) return;
    keep.idleSince = this.now();
    p.idle.push(keep);
    this.armSweep(keep.idleSince + p.limits.idleTimeoutMs);
  }

  stats(): PoolStats {
    let inUse = 0;
    let idle = 0;
    let waiting = 0;
    for (const p of this.pools.values()) {
      inUse += p.active;
      idle += p.idle.filter((s) => s.sc.usable).length;
      waiting += p.waiters.length;
    }
    return { opened: this.opened, reused: this.reused, inUse, idle, waiting };
  }

  /** Close idle connections (QUIT), stop the sweep, refuse new leases, release waiters. */
  close(): void {
    this.closed = true;
    if (this.sweepTimer !== undefined) clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const p of this.pools.values()) {
      for (const s of p.idle.splice(0)) s.sc.quit();
      for (const w of p.waiters.splice(0)) w({ session: undefined, closed: true });
      p.bucket?.close();
    }
  }

  private armSweep(at: number): void {
    if (this.closed || at >= this.sweepAt) return;
    if (this.sweepTimer !== undefined) clearTimeout(this.sweepTimer);
    this.sweepAt = at;
    this.sweepTimer = setTimeout(() => this.sweep(), Math.max(1, at - this.now()));
  }

  private sweep(): void {
    this.sweepTimer = undefined;
    this.sweepAt = Infinity;
    const t = this.now();
    let next = Infinity;
    for (const p of this.pools.values()) {
      for (let i = p.idle.length - 1; i >= 0; i--) {
        const s = p.idle[i]!;
        const expires = s.idleSince + p.limits.idleTimeoutMs;
        if (!s.sc.usable || expires <= t) {
          p.idle.splice(i, 1);
          s.sc.quit();
        } else if (expires < next) next = expires;
      }
    }
    if (next < Infinity) this.armSweep(next);
  }
}
