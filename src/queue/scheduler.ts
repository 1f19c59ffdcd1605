// The queue scheduler: every spooled message sits in ONE indexed min-heap keyed by
// its next attempt time, with ONE timer armed for the earliest entry. Due messages
// are dispatched up to `concurrency` at a time (attempt.ts does the work); when an
// attempt ends, the message goes back into the heap at its next due time, or leaves
// the queue when every recipient is final.
//
// Restart: start() loads spool.list() and schedules each message from its stored
// state (no state = new = due now).

import type { Spool } from "../spool/types.ts";
import { attemptMessage } from "./attempt.ts";
import type { RetryPolicy } from "./backoff.ts";
import { type Clock, MAX_TIMER_MS, systemClock, type TimerHandle } from "./clock.ts";
import type { Agents, QueueContext, QueueLog } from "./context.ts";
import { DueHeap } from "./heap.ts";
import { computeStats, type QueueStats } from "./stats.ts";
import { domainOf, isFinal, loadState, nextDue } from "./state.ts";
import type { DeliveryEvent } from "./types.ts";

export interface SchedulerOptions {
  spool: Spool;
  agents: Agents;
  isLocalDomain(domain: string): boolean;
  hostname: string;
  /** every event (the server publishes them on the bus and the event log) */
  onEvent?: (ev: DeliveryEvent) => void;
  retry?: Partial<RetryPolicy>;
  /** default 5 days */
  maxAgeMs?: number;
  /** default 4 hours; 0 disables delay DSNs */
  delayWarningMs?: number;
  /** deliveries in flight at most (default 100) */
  concurrency?: number;
  clock?: Clock;
  random?: () => number;
  log?: QueueLog;
  /** the suppression list: such recipients are skipped (status "suppressed", no DSN) */
  isSuppressed?(address: string): boolean;
}

const silent: QueueLog = { info() {}, warn() {}, error() {} };

export class Scheduler {
  private readonly heap = new DueHeap();
  private readonly inFlight = new Map<string, Promise<void>>();
  /** flush/retry: attempt every non-final recipient, whatever its next time */
  private readonly forced = new Set<string>();
  /** asked for while in flight: due again right after */
  private readonly rerun = new Set<string>();
  private readonly deleted = new Set<string>();
  private readonly suspended = new Set<string>();
  private readonly ctx: QueueContext;
  private readonly concurrency: number;
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;
  private closed = false;

  constructor(private readonly o: SchedulerOptions) {
    this.concurrency = Math.max(1, o.concurrency ?? 100);
    this.ctx = {
      spool: o.spool,
      agents: o.agents,
      isLocalDomain: o.isLocalDomain,
      clock: o.clock ?? systemClock,
      random: o.random ?? Math.random,
      retry: { firstMs: o.retry?.firstMs ?? 300_000, maxMs: o.retry?.maxMs ?? 3_600_000 },
      maxAgeMs: o.maxAgeMs ?? 432_000_000,
      delayWarningMs: o.delayWarningMs ?? 14_400_000,
      hostname: o.hostname,
      emit: (ev) => this.emit(ev),
      isSuspended: (d) => this.suspended.has(d),
      isSuppressed: o.isSuppressed,
      enqueue: (id) => this.enqueue(id),
      log: o.log ?? silent,
    };
  }

  private get spool(): Spool {
    return this.o.spool;
  }

  private now(): number {
    return this.ctx.clock.now();
  }

  private emit(ev: DeliveryEvent): void {
    try {
      this.o.onEvent?.(ev);
    } catch (e) {
      this.ctx.log.error("event subscriber threw", { error: String(e) });
    }
  }

  /** Load the spool and schedule every message from its stored state. */
  start(): void {
    const now = this.now();
    for (const msg of this.spool.list()) {
      const st = loadState(msg, (why) => this.ctx.log.warn(why, { id: msg.id }));
      const due = Math.min(nextDue(st, now), msg.committedAt + this.ctx.maxAgeMs);
      // all final but not removed (a crash before remove): due now, the attempt removes it
      this.heap.set(msg.id, Number.isFinite(due) ? due : now);
    }
    this.pump();
  }

  /** A message was committed to the spool: schedule it now. */
  enqueue(id: string): void {
    this.enqueueAll([id]);
  }

  /** Messages committed together (an HTTP batch): each scheduled now, one dispatch pass. */
  enqueueAll(ids: readonly string[]): void {
    if (this.closed) return; // they stay in the spool; the next start() picks them up
    const now = this.now();
    for (const id of ids) {
      const msg = this.spool.get(id);
      if (msg === undefined) continue;
      for (const r of msg.envelope.rcptTo) {
        this.emit({ type: "queued", time: now, id, recipient: r.address, sender: msg.envelope.mailFrom });
      }
      // held (every recipient's domain suspended): no attempt until resume(), or expiry
      this.schedule(id, this.allSuspended(msg.envelope.rcptTo) ? msg.committedAt + this.ctx.maxAgeMs : now);
    }
    this.pump();
  }

  /** Every queued message due now, deferred recipients included. Returns how many. */
  flush(): number {
    const now = this.now();
    let n = 0;
    for (const msg of this.spool.list()) if (this.makeDue(msg.id, now)) n++;
    this.pump();
    return n;
  }

  /** One message due now; false when there is no such message. */
  retry(id: string): boolean {
    const ok = this.makeDue(id, this.now());
    this.pump();
    return ok;
  }

  /** Remove a message from the queue and the spool, without a DSN. */
  async delete(id: string): Promise<boolean> {
    const msg = this.spool.get(id);
    if (msg === undefined) return false;
    const st = loadState(msg);
    this.heap.delete(id);
    this.forced.delete(id);
    this.rerun.delete(id);
    if (this.inFlight.has(id)) this.deleted.add(id);
    await this.spool.remove(id);
    const now = this.now();
    for (const r of st.rcpts) {
      if (isFinal(r.status)) continue;
      this.emit({ type: "deleted", time: now, id, recipient: r.address, sender: msg.envelope.mailFrom, attempt: r.attempts });
    }
    this.arm();
    return true;
  }

  private allSuspended(rcpts: readonly { address: string }[]): boolean {
    if (this.suspended.size === 0) return false;
    for (const r of rcpts) if (!this.suspended.has(domainOf(r.address))) return false;
    return true;
  }

  /** Hold deliveries to a domain (in memory; until resume or restart). */
  suspend(domain: string): void {
    this.suspended.add(domain.toLowerCase());
  }

  /** Release a domain; its messages are due now. Returns how many. */
  resume(domain: string): number {
    const d = domain.toLowerCase();
    if (!this.suspended.delete(d)) return 0;
    const now = this.now();
    let n = 0;
    for (const msg of this.spool.list()) {
      if (msg.envelope.rcptTo.some((r) => domainOf(r.address) === d) && this.makeDue(msg.id, now)) n++;
    }
    this.pump();
    return n;
  }

  stats(): QueueStats {
    const s: QueueStats = {
      ...computeStats(this.spool.list(), this.now()),
      inFlight: this.inFlight.size,
      suspended: [...this.suspended].sort(),
    };
    const top = this.heap.peek();
    if (top !== undefined) s.nextAttemptAt = top.due;
    return s;
  }

  /** scheduled time of a message (tests, API); undefined when not scheduled */
  dueAt(id: string): number | undefined {
    return this.heap.due(id);
  }

  /** Stop dispatching and wait for the attempts in flight (their state is stored). */
  async close(): Promise<void> {
    this.closed = true;
    this.cancelTimer();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Resolves when nothing is in flight and nothing is due now (tests). */
  async idle(): Promise<void> {
    for (;;) {
      if (this.inFlight.size > 0) {
        await Promise.allSettled([...this.inFlight.values()]);
        continue;
      }
      const top = this.heap.peek();
      if (this.closed || top === undefined || top.due > this.now()) return;
      this.pump();
      if (this.inFlight.size === 0) return;
    }
  }

  // ------------------------------------------------------------------------------

  private makeDue(id: string, now: number): boolean {
    if (this.spool.get(id) === undefined) return false;
    this.forced.add(id);
    if (this.inFlight.has(id)) this.rerun.add(id);
    else this.schedule(id, now);
    return true;
  }

  private schedule(id: string, due: number): void {
    if (this.inFlight.has(id)) {
      this.rerun.add(id);
      return;
    }
    const cur = this.heap.due(id);
    if (cur === undefined || due < cur || this.forced.has(id)) this.heap.set(id, due);
  }

  /** Dispatch what is due, up to the concurrency cap; then re-arm the one timer. */
  private pump(): void {
    const now = this.now();
    while (!this.closed && this.inFlight.size < this.concurrency) {
      const top = this.heap.peek();
      if (top === undefined || top.due > now) break;
      this.heap.pop();
      this.launch(top.key);
    }
    this.arm();
  }

  private launch(id: string): void {
    const force = this.forced.delete(id);
    const run = attemptMessage(this.ctx, id, force).then(
      (next) => next,
      (e) => {
        // spool trouble (disk full, I/O error): the stored state is unchanged; retry later
        this.ctx.log.error("queue attempt failed", { id, error: e instanceof Error ? e.message : String(e) });
        return this.now() + this.ctx.retry.firstMs;
      },
    ).then((next) => {
      this.inFlight.delete(id);
      if (this.deleted.delete(id) || this.spool.get(id) === undefined) {
        this.rerun.delete(id);
        this.forced.delete(id);
      } else if (this.rerun.delete(id)) this.heap.set(id, this.now());
      else if (Number.isFinite(next)) this.heap.set(id, next);
      this.pump();
    });
    this.inFlight.set(id, run);
  }

  private arm(): void {
    const top = this.heap.peek();
    if (this.closed || top === undefined || this.inFlight.size >= this.concurrency) {
      this.cancelTimer(); // a finishing attempt pumps again
      return;
    }
    if (this.timer !== undefined && this.timerAt === top.due) return;
    this.cancelTimer();
    this.timerAt = top.due;
    const wait = Math.min(Math.max(0, top.due - this.now()), MAX_TIMER_MS);
    this.timer = this.ctx.clock.setTimer(wait, () => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.pump();
    });
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.timerAt = Infinity;
  }
}
