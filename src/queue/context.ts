// What one delivery attempt needs from the scheduler (so attempt.ts and bounce.ts
// stay plain functions that tests can drive).

import { cloneState } from "./state.ts";
import type { Spool } from "../spool/types.ts";
import type { RetryPolicy } from "./backoff.ts";
import type { Clock } from "./clock.ts";
import type { DeliveryAgent, DeliveryEvent, MessageState } from "./types.ts";

export interface Agents {
  /** recipients in local domains (the Maildir MDA); absent: they stay deferred */
  local?: DeliveryAgent;
  /** everything else (the SMTP relay); absent: they stay deferred */
  remote?: DeliveryAgent;
}

export interface QueueLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface QueueContext {
  spool: Spool;
  agents: Agents;
  isLocalDomain(domain: string): boolean;
  clock: Clock;
  random: () => number;
  retry: RetryPolicy;
  /** a message older than this (since it was spooled) is expired and bounced */
  maxAgeMs: number;
  /** send a delay DSN (NOTIFY=DELAY) once a recipient has waited this long; 0: never */
  delayWarningMs: number;
  /** Reporting-MTA and DSN sender domain */
  hostname: string;
  emit(ev: DeliveryEvent): void;
  isSuspended(domain: string): boolean;
  /** addresses never sent to (the suppression list): skipped with a "suppressed" event */
  isSuppressed?(address: string): boolean;
  /** schedule a freshly spooled message (a DSN) */
  enqueue(id: string): void;
  log: QueueLog;
}

/** Durably store the state (a copy: the caller goes on mutating its object). */
export function persist(ctx: QueueContext, id: string, st: MessageState): Promise<void> {
  return ctx.spool.update(id, cloneState(st) as unknown as Record<string, unknown>);
}
