// The queue as the server runs it: scheduler + event bus + <dataDir>/events.log +
// the control socket (<dataDir>/control.sock) for `tern queue ...`.
//
//   const queue = await startQueue(config, { spool, agents, isLocalDomain, log });
//   onCommitted: (id) => queue.enqueue(id)
//   ...shutdown: await queue.close(graceMs)   (before spool.close())

import { join } from "node:path";
import { EventBus } from "../core/events.ts";
import { type ControlServer, startControlServer } from "../runtime/control.ts";
import { type EventLog, openEventLog } from "../runtime/eventlog.ts";
import type { Spool } from "../spool/types.ts";
import type { Clock } from "./clock.ts";
import type { QueueConfig } from "./config.ts";
import type { Agents, QueueLog } from "./context.ts";
import { queueCommand } from "./control.ts";
import { Scheduler } from "./scheduler.ts";
import type { DeliveryEvent } from "./types.ts";

export interface QueueServiceConfig {
  hostname: string;
  dataDir: string;
  queue: QueueConfig;
}

export interface QueueServiceDeps {
  spool: Spool;
  agents: Agents;
  isLocalDomain(domain: string): boolean;
  log?: QueueLog;
  clock?: Clock;
  /** default true: listen on <dataDir>/control.sock */
  control?: boolean;
  /** the suppression list: such recipients are skipped with an event */
  isSuppressed?(address: string): boolean;
}

export interface QueueService {
  readonly scheduler: Scheduler;
  /** every delivery event; the HTTP API, metrics and webhooks subscribe here */
  readonly events: EventBus<DeliveryEvent>;
  /** the control socket path, when listening */
  readonly controlPath: string | undefined;
  /** a message was committed to the spool */
  enqueue(id: string): void;
  /** several messages committed together */
  enqueueAll(ids: readonly string[]): void;
  /** stop dispatching, wait up to graceMs for attempts in flight, close log and socket */
  close(graceMs?: number): Promise<void>;
}

export function controlSocketPath(dataDir: string): string {
  return join(dataDir, "control.sock");
}

export async function startQueue(config: QueueServiceConfig, deps: QueueServiceDeps): Promise<QueueService> {
  const log = deps.log;
  const events = new EventBus<DeliveryEvent>((e) => log?.error("event subscriber threw", { error: String(e) }));
  let eventLog: EventLog | undefined;
  try {
    eventLog = await openEventLog(join(config.dataDir, "events.log"), (e) => log?.error("events.log write failed", { error: String(e) }));
    const el = eventLog;
    events.subscribe((ev) => el.append(ev));
  } catch (e) {
    log?.error("cannot open events.log; events are not logged", { error: String(e) });
  }
  const q = config.queue;
  const scheduler = new Scheduler({
    spool: deps.spool,
    agents: deps.agents,
    isLocalDomain: deps.isLocalDomain,
    hostname: config.hostname,
    onEvent: (ev) => events.publish(ev),
    retry: { firstMs: q.retry.first * 1000, maxMs: q.retry.max * 1000 },
    maxAgeMs: q.maxAge * 1000,
    delayWarningMs: q.delayWarning * 1000,
    concurrency: q.concurrency,
    ...(deps.isSuppressed ? { isSuppressed: deps.isSuppressed } : {}),
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(log ? { log } : {}),
  });
  let control: ControlServer | undefined;
  if (deps.control !== false) {
    try {
      control = await startControlServer(controlSocketPath(config.dataDir), (req) => queueCommand(scheduler, req));
    } catch (e) {
      await eventLog?.close();
      throw new Error(`control socket: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  scheduler.start();
  log?.info("queue started", { queued: deps.spool.count, concurrency: q.concurrency });

  let closing: Promise<void> | undefined;
  return {
    scheduler,
    events,
    controlPath: control?.path,
    enqueue: (id) => scheduler.enqueue(id),
    enqueueAll: (ids) => scheduler.enqueueAll(ids),
    close: (graceMs = 30_000) =>
      closing ??= (async () => {
        await control?.close();
        let timer: ReturnType<typeof setTimeout> | undefined;
        const grace = new Promise<void>((r) => (timer = setTimeout(r, graceMs)));
        await Promise.race([scheduler.close(), grace]);
        clearTimeout(timer);
        await eventLog?.close();
      })(),
  };
}
