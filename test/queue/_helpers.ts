// Shared helpers for the queue tests (not a test file itself): a fake clock, fake
// delivery agents, a real spool in a temp dir.
import * as nfs from "node:fs";
import { after } from "node:test";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Clock, TimerHandle } from "../../src/queue/clock.ts";
import type { DeliveryAgent, DeliveryEvent, DeliveryResult, RecipientOutcome } from "../../src/queue/types.ts";
import { Scheduler, type SchedulerOptions } from "../../src/queue/scheduler.ts";
import { openSpool } from "../../src/spool/index.ts";
import type { Envelope, QueuedMessage, Recipient, Spool } from "../../src/spool/types.ts";

export const enc = new TextEncoder();
export const dec = new TextDecoder();

export class FakeClock implements Clock {
  t: number;
  timers: { at: number; fn: () => void; live: boolean }[] = [];
  constructor(start = Date.now()) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer = { at: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return { cancel: () => void (timer.live = false) };
  }
  /** live timers */
  get armed(): number {
    return this.timers.filter((x) => x.live).length;
  }
  /** move time forward and fire what is due */
  advance(ms: number): void {
    this.t += ms;
    for (;;) {
      const due = this.timers.filter((x) => x.live && x.at <= this.t).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.live = false;
      due.fn();
    }
    this.timers = this.timers.filter((x) => x.live);
  }
}

export type Script = (rcpt: Recipient, call: number) => RecipientOutcome;

/** A delivery agent answering from a script; records every call. */
export class FakeAgent implements DeliveryAgent {
  calls: { id: string; rcpts: string[] }[] = [];
  /** per-address delivered count */
  delivered = new Map<string, number>();
  bodies: Uint8Array[] = [];
  constructor(
    readonly name: "local" | "remote",
    public script: Script = () => ({ status: "delivered", reply: "250 2.0.0 ok", host: "mx.example.net" }),
    private readonly spool?: Spool,
  ) {}
  async deliver(msg: QueuedMessage, recipients: Recipient[]): Promise<DeliveryResult[]> {
    this.calls.push({ id: msg.id, rcpts: recipients.map((r) => r.address) });
    if (this.spool) this.bodies.push(await readAll(this.spool, msg.id));
    const n = this.calls.length;
    return recipients.map((r) => {
      const outcome = this.script(r, n);
      if (outcome.status === "delivered") this.delivered.set(r.address, (this.delivered.get(r.address) ?? 0) + 1);
      return { recipient: r, outcome };
    });
  }
}

export function tmpDir(prefix = "tern-queue-"): string {
  return nfs.mkdtempSync(join(tmpdir(), prefix));
}

export function rmDir(dir: string): void {
  nfs.rmSync(dir, { recursive: true, force: true });
}

export function envelope(from: string, to: (string | Recipient)[], extra: Partial<Envelope> = {}): Envelope {
  return {
    mailFrom: from,
    rcptTo: to.map((r) => (typeof r === "string" ? { address: r } : r)),
    body: "8BITMIME",
    client: { address: "127.0.0.1", port: 40000, helo: "client.example", listener: "smtp" },
    receivedAt: 1_700_000_000_000,
    ...extra,
  };
}

export const BODY = "From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: hello\r\nMessage-ID: <m1@example.org>\r\n\r\nHello Bob,\r\nthe body.\r\n";

export async function put(spool: Spool, env: Envelope, body = BODY): Promise<QueuedMessage> {
  const w = spool.begin();
  w.write(enc.encode(body));
  return await w.commit(env);
}

export async function readAll(spool: Spool, id: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of spool.readBody(id)) parts.push(p);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export interface Rig {
  dir: string;
  spool: Spool;
  clock: FakeClock;
  events: DeliveryEvent[];
  local: FakeAgent;
  remote: FakeAgent;
  sched: Scheduler;
  /** close the scheduler and the spool (not the dir) */
  stop(): Promise<void>;
}

export const HOUR = 3_600_000;

/** A spool in `dir` (new temp dir by default) and a scheduler with fake agents. */
export async function rig(over: Partial<SchedulerOptions> = {}, dir = tmpDir(), clock = new FakeClock()): Promise<Rig> {
  const spool = await openSpool(dir);
  const events: DeliveryEvent[] = [];
  const local = new FakeAgent("local", undefined, spool);
  const remote = new FakeAgent("remote", undefined, spool);
  const sched = new Scheduler({
    spool,
    agents: { local, remote },
    isLocalDomain: (d) => d === "tern.test",
    hostname: "mx.tern.test",
    onEvent: (ev) => events.push(ev),
    clock,
    random: () => 0.5, // no jitter
    retry: { firstMs: 300_000, maxMs: HOUR },
    maxAgeMs: 120 * HOUR,
    delayWarningMs: 4 * HOUR,
    ...over,
  });
  return {
    dir, spool, clock, events, local, remote, sched,
    async stop() {
      await sched.close();
      await spool.close();
    },
  };
}

/** make(over): a rig for one test, stopped and removed after the file's tests; `start`: scheduler started */
export function rigs(start = false): (over?: Partial<SchedulerOptions>) => Promise<Rig> {
  const made: Rig[] = [];
  after(async () => {
    for (const r of made) {
      await r.stop();
      rmDir(r.dir);
    }
  });
  return async (over = {}) => {
    const r = await rig(over);
    made.push(r);
    if (start) r.sched.start();
    return r;
  };
}
