// Owed DSNs → new spooled messages (MAIL FROM:<>), one per message and kind of
// event. Called after the outcomes that owe them are durable; clears the debt and
// stores that (or removes the message when every recipient is final).
//
// At-least-once: a crash after the DSN is committed but before the cleared state
// reaches disk sends that DSN again after the restart.

import type { QueuedMessage } from "../spool/types.ts";
import { type QueueContext, persist } from "./context.ts";
import { buildDsn, type DsnKind, type DsnRecipient } from "./dsn.ts";
import { dsnBody } from "./dsn-body.ts";
import { allFinal } from "./state.ts";
import type { MessageState, RecipientState } from "./types.ts";

const KINDS: DsnKind[] = ["failed", "delayed", "delivered"];

function dsnRecipient(ctx: QueueContext, msg: QueuedMessage, st: MessageState, r: RecipientState, i: number): DsnRecipient {
  const kind = r.dsnPending!;
  const base: DsnRecipient = {
    address: r.address,
    outcome: kind === "failed" ? (r.status === "expired" ? "expired" : "failed") : kind,
  };
  const orcpt = msg.envelope.rcptTo[i]?.orcpt;
  if (orcpt !== undefined) base.orcpt = orcpt;
  if (r.lastReply !== undefined) base.reply = r.lastReply;
  if (r.enhanced !== undefined) base.enhanced = r.enhanced;
  if (r.lastHost !== undefined) base.remoteMta = r.lastHost;
  if (st.lastAttemptAt !== undefined) base.lastAttemptAt = st.lastAttemptAt;
  if (kind === "delayed") base.willRetryUntil = msg.committedAt + ctx.maxAgeMs;
  return base;
}

/** Spool one DSN; resolves with its queue id. */
async function spoolDsn(ctx: QueueContext, msg: QueuedMessage, kind: DsnKind, rcpts: DsnRecipient[]): Promise<string> {
  const now = ctx.clock.now();
  const built = buildDsn({
    kind,
    reportingMta: ctx.hostname,
    queueId: msg.id,
    envelope: msg.envelope,
    arrivalDate: msg.envelope.receivedAt,
    recipients: rcpts,
    now,
  });
  const w = ctx.spool.begin();
  try {
    for await (const chunk of dsnBody(built, ctx.spool.readBody(msg.id))) w.write(chunk);
  } catch (e) {
    w.abort();
    throw e;
  }
  const q = await w.commit({
    ...built.envelope,
    client: { address: "127.0.0.1", port: 0, helo: ctx.hostname, listener: "dsn" },
    receivedAt: now,
  });
  return q.id;
}

/**
 * Send the DSNs `st` owes, then store the cleared state (or remove the message).
 * Rejects (leaving the debt on disk) when the spool fails; the caller retries later.
 */
export async function settleDsns(ctx: QueueContext, msg: QueuedMessage, st: MessageState): Promise<void> {
  for (const kind of KINDS) {
    const idx: number[] = [];
    st.rcpts.forEach((r, i) => r.dsnPending === kind && idx.push(i));
    if (idx.length === 0) continue;
    if (msg.envelope.mailFrom === "") {
      // RFC 3461 §6.2: never a DSN to <> (a bounce of a bounce); state.ts never owes one,
      // but a damaged state might
      for (const i of idx) delete st.rcpts[i]!.dsnPending;
      continue;
    }
    const dsnId = await spoolDsn(ctx, msg, kind, idx.map((i) => dsnRecipient(ctx, msg, st, st.rcpts[i]!, i)));
    for (const i of idx) delete st.rcpts[i]!.dsnPending;
    ctx.emit({
      type: "dsn",
      time: ctx.clock.now(),
      id: msg.id,
      sender: msg.envelope.mailFrom,
      dsnId,
      dsnType: kind,
      recipient: idx.map((i) => st.rcpts[i]!.address).join(","),
    });
    ctx.enqueue(dsnId);
  }
  if (allFinal(st)) await ctx.spool.remove(msg.id);
  else await persist(ctx, msg.id, st);
}
