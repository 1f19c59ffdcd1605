// Group commit: every operation that needs durability (commit, update, remove)
// appends its record(s) and then waits here. One sync round (flush + fdatasync of the
// dirty segments) covers every waiter queued before the round started; waiters that
// arrive while a round is in flight go into the next round, which starts as soon as
// the current one ends. A lone waiter starts a round at once (after a microtask, so
// that waiters queued in the same tick share it) — no timers anywhere.
//
// When a segment fails, `failAffected` rejects (with SpoolError) exactly the waiters
// that have records in that segment at or beyond the failure limit; the others
// complete normally when their round ends.

import { type SegmentLog, toSpoolError } from "./log.ts";
import type { Segment } from "./segment.ts";
import type { SpoolError } from "./types.ts";

export interface Waiter {
  /** segments the waiter's records are in, and the end of its last record in each */
  segs: Segment[];
  ends: number[];
  ok(): void;
  fail(err: SpoolError): void;
  settled?: boolean;
}

/** does a waiter/owner with these segs/ends have bytes at or beyond `limit` in `seg`? */
export function dependsOn(segs: Segment[], ends: number[], seg: Segment, limit: number): boolean {
  for (let i = segs.length - 1; i >= 0; i--) {
    if (segs[i] === seg) return ends[i]! > limit;
  }
  return false;
}

export class GroupCommit {
  private next: Waiter[] = [];
  private inflight: Waiter[] = [];
  private running = false;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];
  /** number of sync rounds run (for tests and metrics) */
  rounds = 0;

  constructor(private readonly log: SegmentLog) {}

  add(w: Waiter): void {
    this.next.push(w);
    if (!this.running && !this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.start);
    }
  }

  private readonly start = (): void => {
    this.scheduled = false;
    if (this.running) return;
    this.running = true;
    void this.loop();
  };

  private async loop(): Promise<void> {
    try {
      while (this.next.length > 0) {
        const batch = this.next;
        this.next = [];
        this.inflight = batch;
        this.rounds++;
        try {
          await this.log.syncAll();
        } catch (e) {
          // syncAll reports I/O failures through fail(); anything else is a bug, but
          // must not leave committers hanging
          const err = toSpoolError(e, "spool sync failed");
          for (const w of batch) {
            if (w.settled) continue;
            w.settled = true;
            try {
              w.fail(err);
            } catch {
              // ignore
            }
          }
        }
        this.inflight = [];
        for (const w of batch) {
          if (w.settled) continue;
          w.settled = true;
          try {
            w.ok();
          } catch {
            // a waiter's callback must not break the loop
          }
        }
      }
    } finally {
      this.running = false;
      const idle = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of idle) f();
    }
  }

  /** Reject the waiters that depend on bytes of `seg` at or beyond `limit`. */
  failAffected(seg: Segment, limit: number, err: SpoolError): void {
    for (const list of [this.inflight, this.next]) {
      for (const w of list) {
        if (w.settled || !dependsOn(w.segs, w.ends, seg, limit)) continue;
        w.settled = true;
        try {
          w.fail(err);
        } catch {
          // ignore
        }
      }
    }
  }

  /** resolves when no round is running or pending */
  idle(): Promise<void> {
    if (!this.running && !this.scheduled && this.next.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      if (!this.running && !this.scheduled) {
        this.scheduled = true;
        queueMicrotask(this.start);
      }
    });
  }
}
