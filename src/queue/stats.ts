// Queue statistics (tern queue stats, the HTTP API, metrics): computed from the
// spool's in-memory list, O(messages).

import type { QueuedMessage } from "../spool/types.ts";
import { domainOf, loadState } from "./state.ts";
import type { RecipientState } from "./types.ts";

export type RecipientCounts = Record<RecipientState["status"], number>;

export interface QueueStats {
  /** messages in the spool (DSNs included) */
  messages: number;
  /** messages being attempted right now */
  inFlight: number;
  /** recipients by status (final ones only while their message waits for others) */
  recipients: RecipientCounts;
  /** age of the oldest message, ms (0 when empty) */
  oldestAgeMs: number;
  /** deferred recipients per destination domain */
  deferredByDomain: Record<string, number>;
  /** domains whose delivery is suspended */
  suspended: string[];
  /** earliest scheduled attempt, ms since epoch (absent when nothing is scheduled) */
  nextAttemptAt?: number;
}

export function computeStats(messages: QueuedMessage[], now: number): Omit<QueueStats, "inFlight" | "suspended"> {
  const recipients: RecipientCounts = { queued: 0, deferred: 0, delivered: 0, bounced: 0, expired: 0, suppressed: 0 };
  const deferredByDomain: Record<string, number> = {};
  let oldest = now;
  for (const m of messages) {
    if (m.committedAt < oldest) oldest = m.committedAt;
    for (const r of loadState(m).rcpts) {
      recipients[r.status]++;
      if (r.status === "deferred") {
        const d = domainOf(r.address);
        deferredByDomain[d] = (deferredByDomain[d] ?? 0) + 1;
      }
    }
  }
  return { messages: messages.length, recipients, oldestAgeMs: messages.length ? now - oldest : 0, deferredByDomain };
}
