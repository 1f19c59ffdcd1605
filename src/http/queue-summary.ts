// GET /v1/queue: per destination domain — queued, deferred, oldest age, last error.

import { domainOf, loadState } from "../queue/state.ts";
import type { QueuedMessage } from "../spool/types.ts";

export interface DestinationSummary {
  destination: string;
  queued: number;
  deferred: number;
  oldestAgeMs: number;
  lastError?: string;
  suspended: boolean;
}

export function summarise(messages: QueuedMessage[], now: number, suspended: Set<string>): DestinationSummary[] {
  const by = new Map<string, DestinationSummary & { lastAt: number }>();
  for (const m of messages) {
    for (const r of loadState(m).rcpts) {
      if (r.status !== "queued" && r.status !== "deferred") continue;
      const d = domainOf(r.address);
      let s = by.get(d);
      if (!s) by.set(d, s = { destination: d, queued: 0, deferred: 0, oldestAgeMs: 0, suspended: suspended.has(d), lastAt: 0 });
      if (r.status === "queued") s.queued++;
      else s.deferred++;
      s.oldestAgeMs = Math.max(s.oldestAgeMs, now - m.committedAt);
      if (r.lastReply && m.committedAt >= s.lastAt) {
        s.lastError = r.lastReply;
        s.lastAt = m.committedAt;
      }
    }
  }
  return [...by.values()].map(({ lastAt: _, ...s }) => s).sort((a, b) => b.queued + b.deferred - a.queued - a.deferred);
}
