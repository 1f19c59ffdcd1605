// One delivery attempt of one message:
//
//   1. settle DSNs still owed from before a crash; remove the message if all is final
//   2. expire it at queue.maxAge (→ failure DSN)
//   3. pick the due recipients, record the attempt DURABLY (attempts + 1)
//   4. local and remote agents in parallel (remote: all its recipients in ONE call)
//   5. store the outcomes, then send owed DSNs, then remove the message when final
//
// Resolves with when the message is next due (Infinity: done, or waiting on resume).

import type { QueuedMessage, Recipient } from "../spool/types.ts";
import { retryDelay } from "./backoff.ts";
import { settleDsns } from "./bounce.ts";
import { persist, type QueueContext } from "./context.ts";
import { allFinal, domainOf, hasPendingDsn, isFinal, loadState, nextDue, wants } from "./state.ts";
import type { DeliveryAgent, DeliveryEvent, DeliveryResult, MessageState, RecipientOutcome, RecipientState } from "./types.ts";

const SUPPRESSED: RecipientOutcome = { status: "suppressed", reply: "recipient is on the suppression list" };

const NOT_CONFIGURED = {
  local: "local delivery is not configured",
  remote: "remote delivery is not configured",
} as const;

export async function attemptMessage(ctx: QueueContext, id: string, force: boolean): Promise<number> {
  const msg = ctx.spool.get(id);
  if (msg === undefined) return Infinity; // deleted meanwhile
  const st = loadState(msg, (why) => ctx.log.warn(why, { id }));
  if (hasPendingDsn(st)) await settleDsns(ctx, msg, st);
  if (allFinal(st)) {
    await ctx.spool.remove(id);
    return Infinity;
  }
  const now = ctx.clock.now();
  const deadline = msg.committedAt + ctx.maxAgeMs;
  if (now >= deadline) {
    await expire(ctx, msg, st, now);
    return Infinity;
  }
  const due = st.rcpts.flatMap((r, i) => (isDue(ctx, r, now, force) ? [i] : []));
  if (due.length === 0) return nextFor(ctx, msg, st, now);

  // RFC 5321 §4.5.4.1: the attempt is on record before anything is sent
  for (const i of due) {
    const r = st.rcpts[i]!;
    r.attempts++;
    // if we crash during this attempt, the restart retries at backoff, not in a loop
    r.nextAttemptAt = Math.min(now + retryDelay(ctx.retry, r.attempts, ctx.random), deadline);
  }
  st.attempts++;
  st.firstAttemptAt ??= now;
  st.lastAttemptAt = now;
  await persist(ctx, id, st);

  const local: number[] = [];
  const remote: number[] = [];
  const skipped: Answer[] = [];
  for (const i of due) {
    const address = st.rcpts[i]!.address;
    const agent = ctx.isLocalDomain(domainOf(address)) ? "local" : "remote";
    if (ctx.isSuppressed?.(address)) skipped.push([i, SUPPRESSED, 0, agent]);
    else (agent === "local" ? local : remote).push(i);
  }
  const [lr, rr] = await Promise.all([
    callAgent(ctx, "local", msg, local),
    callAgent(ctx, "remote", msg, remote),
  ]);
  const events: DeliveryEvent[] = [];
  for (const [i, outcome, ms, agent] of [...skipped, ...lr, ...rr]) apply(ctx, msg, st, i, outcome, ms, agent, events);

  if (hasPendingDsn(st)) {
    await persist(ctx, id, st); // outcomes first: a crash now re-sends the DSN, never loses it
    emitAll(ctx, events);
    await settleDsns(ctx, msg, st);
  } else {
    if (allFinal(st)) await ctx.spool.remove(id);
    else await persist(ctx, id, st);
    emitAll(ctx, events);
  }
  return allFinal(st) ? Infinity : nextFor(ctx, msg, st, ctx.clock.now());
}

function isDue(ctx: QueueContext, r: RecipientState, now: number, force: boolean): boolean {
  if (isFinal(r.status)) return false;
  if (ctx.isSuspended(domainOf(r.address))) return false;
  return force || (r.nextAttemptAt ?? 0) <= now;
}

/** next due time, leaving out suspended domains, never later than the expiry */
function nextFor(ctx: QueueContext, msg: QueuedMessage, st: MessageState, now: number): number {
  const active = { ...st, rcpts: st.rcpts.filter((r) => !ctx.isSuspended(domainOf(r.address))) };
  const due = nextDue(active, now);
  return Math.min(due, msg.committedAt + ctx.maxAgeMs);
}

type Answer = [index: number, outcome: RecipientOutcome, durationMs: number, agent: "local" | "remote"];

/** Ask one agent about some recipients; never rejects, answers for every index. */
async function callAgent(ctx: QueueContext, name: "local" | "remote", msg: QueuedMessage, idx: number[]): Promise<Answer[]> {
  if (idx.length === 0) return [];
  const agent: DeliveryAgent | undefined = ctx.agents[name];
  if (agent === undefined) return idx.map((i) => [i, { status: "deferred", reply: NOT_CONFIGURED[name] }, 0, name]);
  const recipients: Recipient[] = idx.map((i) => msg.envelope.rcptTo[i]!);
  const started = ctx.clock.now();
  let results: DeliveryResult[];
  let missing = `${name} delivery gave no result for this recipient`;
  try {
    results = await agent.deliver(msg, recipients);
  } catch (e) {
    missing = `${name} delivery failed: ${e instanceof Error ? e.message : String(e)}`;
    ctx.log.error("delivery agent threw", { id: msg.id, agent: name, error: missing });
    results = [];
  }
  const ms = ctx.clock.now() - started;
  const byRecipient = new Map<Recipient, RecipientOutcome>();
  for (const r of Array.isArray(results) ? results : []) {
    // match by identity, else by address (an agent may copy the objects)
    const target = recipients.includes(r.recipient)
      ? r.recipient
      : recipients.find((x) => x.address === r.recipient?.address && !byRecipient.has(x));
    if (target !== undefined && r.outcome !== undefined) byRecipient.set(target, r.outcome);
  }
  return idx.map((i, k) => [
    i,
    byRecipient.get(recipients[k]!) ?? { status: "deferred", reply: missing },
    ms,
    name,
  ]);
}

/** RFC 3461 §6.2: a DSN is owed unless the sender is <> (then: a "dropped" event). */
function owe(msg: QueuedMessage, r: RecipientState, kind: "failed" | "delivered" | "delayed", now: number, events: DeliveryEvent[]): void {
  if (msg.envelope.mailFrom !== "") {
    r.dsnPending = kind;
    return;
  }
  events.push({ type: "dropped", time: now, id: msg.id, recipient: r.address, sender: "", reply: `no ${kind} DSN: the sender is <>` });
}

function apply(
  ctx: QueueContext,
  msg: QueuedMessage,
  st: MessageState,
  i: number,
  o: RecipientOutcome,
  durationMs: number,
  agent: "local" | "remote",
  events: DeliveryEvent[],
): void {
  const r = st.rcpts[i]!;
  const rcpt = msg.envelope.rcptTo[i];
  const now = ctx.clock.now();
  if (o.reply !== undefined) r.lastReply = o.reply;
  if (o.host !== undefined) r.lastHost = o.host;
  const ev: DeliveryEvent = { type: "deferred", time: now, id: msg.id, recipient: r.address, sender: msg.envelope.mailFrom, attempt: r.attempts, durationMs, agent };
  if (o.host !== undefined) ev.host = o.host;
  if (o.reply !== undefined) ev.reply = o.reply;
  let owed: "failed" | "delivered" | "delayed" | undefined;
  switch (o.status) {
    case "delivered":
      r.status = "delivered";
      delete r.nextAttemptAt;
      ev.type = "delivered";
      if (wants(rcpt, "SUCCESS")) owed = "delivered";
      break;
    case "failed":
      r.status = "bounced";
      delete r.nextAttemptAt;
      if (o.enhanced !== undefined) r.enhanced = o.enhanced;
      ev.type = "bounced";
      if (wants(rcpt, "FAILURE")) owed = "failed";
      break;
    case "suppressed":
      r.status = "suppressed";
      delete r.nextAttemptAt;
      ev.type = "suppressed";
      break;
    case "deferred": {
      r.status = "deferred";
      r.nextAttemptAt = Math.min(now + retryDelay(ctx.retry, r.attempts, ctx.random), msg.committedAt + ctx.maxAgeMs);
      const late = ctx.delayWarningMs > 0 && now - msg.committedAt >= ctx.delayWarningMs;
      if (late && !r.delayNotified && wants(rcpt, "DELAY")) {
        r.delayNotified = true; // RFC 3461 §4.1: DELAY is reported once
        owed = "delayed";
      }
      break;
    }
  }
  events.push(ev);
  if (owed !== undefined) owe(msg, r, owed, now, events);
}

async function expire(ctx: QueueContext, msg: QueuedMessage, st: MessageState, now: number): Promise<void> {
  const events: DeliveryEvent[] = [];
  for (const [i, r] of st.rcpts.entries()) {
    if (isFinal(r.status)) continue;
    r.status = "expired";
    delete r.nextAttemptAt;
    const ev: DeliveryEvent = { type: "expired", time: now, id: msg.id, recipient: r.address, sender: msg.envelope.mailFrom, attempt: r.attempts };
    if (r.lastReply !== undefined) ev.reply = r.lastReply;
    if (r.lastHost !== undefined) ev.host = r.lastHost;
    events.push(ev);
    if (wants(msg.envelope.rcptTo[i], "FAILURE")) owe(msg, r, "failed", now, events);
  }
  if (hasPendingDsn(st)) {
    await persist(ctx, msg.id, st);
    emitAll(ctx, events);
    await settleDsns(ctx, msg, st);
  } else {
    await ctx.spool.remove(msg.id);
    emitAll(ctx, events);
  }
}

function emitAll(ctx: QueueContext, events: DeliveryEvent[]): void {
  for (const ev of events) ctx.emit(ev);
}
