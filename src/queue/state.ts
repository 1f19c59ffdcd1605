// The scheduler's durable per-message state (kept with spool.update) and the small
// questions asked of it: which recipients are final, which are due, when next.

import type { DsnNotify, QueuedMessage, Recipient } from "../spool/types.ts";
import type { MessageState, RecipientState } from "./types.ts";

export type FinalStatus = "delivered" | "bounced" | "expired" | "suppressed";

export function isFinal(s: RecipientState["status"]): s is FinalStatus {
  switch (s) {
    case "delivered":
    case "bounced":
    case "expired":
    case "suppressed":
      return true;
    case "queued":
    case "deferred":
      return false;
  }
}

/** A new message: every recipient queued, nothing attempted. */
export function initialState(msg: QueuedMessage): MessageState {
  return {
    v: 1,
    attempts: 0,
    rcpts: msg.envelope.rcptTo.map((r) => ({ address: r.address, status: "queued", attempts: 0 })),
  };
}

const STATUSES = new Set(["queued", "deferred", "delivered", "bounced", "expired", "suppressed"]);

function validRecipient(r: unknown): r is RecipientState {
  if (typeof r !== "object" || r === null) return false;
  const o = r as Record<string, unknown>;
  return typeof o.address === "string" && typeof o.status === "string" && STATUSES.has(o.status) &&
    typeof o.attempts === "number";
}

/**
 * The state stored with a message, or a fresh one when there is none. A stored state
 * that does not fit the envelope (another format, damage) is replaced by a fresh one
 * and reported through `problem`: recipients are then tried again (at least once).
 */
export function loadState(msg: QueuedMessage, problem?: (why: string) => void): MessageState {
  const s = msg.state as Partial<MessageState> | undefined;
  if (s === undefined) return initialState(msg);
  const rcpts = s.rcpts;
  const ok = s.v === 1 && typeof s.attempts === "number" && Array.isArray(rcpts) &&
    rcpts.length === msg.envelope.rcptTo.length && rcpts.every(validRecipient) &&
    rcpts.every((r, i) => r.address === msg.envelope.rcptTo[i]!.address);
  if (!ok) {
    problem?.("stored queue state does not match the envelope; starting over");
    return initialState(msg);
  }
  return cloneState(s as MessageState);
}

/** A deep copy (every field is a primitive but the recipients: no structuredClone needed). */
export function cloneState(s: MessageState): MessageState {
  return { ...s, rcpts: s.rcpts.map((r) => ({ ...r })) };
}

/** All recipients have a final status. */
export function allFinal(st: MessageState): boolean {
  return st.rcpts.every((r) => isFinal(r.status));
}

/** Some DSN is owed (an attempt's outcome was stored, the DSN not yet spooled). */
export function hasPendingDsn(st: MessageState): boolean {
  return st.rcpts.some((r) => r.dsnPending !== undefined);
}

/** When the message next needs the scheduler (Infinity: never). */
export function nextDue(st: MessageState, now: number): number {
  if (hasPendingDsn(st)) return now;
  let due = Infinity;
  for (const r of st.rcpts) {
    if (isFinal(r.status)) continue;
    const t = r.nextAttemptAt ?? now;
    if (t < due) due = t;
  }
  return due;
}

/** The domain of an address (lower-cased; "" when there is none). */
export function domainOf(address: string): string {
  const at = address.lastIndexOf("@");
  return at === -1 ? "" : address.slice(at + 1).toLowerCase();
}

/** RFC 3461 §4.1: NOTIFY absent means the MTA's default, here FAILURE only. */
export function wants(r: Recipient | undefined, what: DsnNotify): boolean {
  const n = r?.notify;
  if (n === undefined || n.length === 0) return what === "FAILURE";
  if (n.includes("NEVER")) return false;
  return n.includes(what);
}
