// Spooling API messages with the same durability as SMTP: 2xx only after fsync.
// A batch is all or nothing: committed as one unit (Spool.commitBatch: the bytes its
// messages share stored once, one commit record, one fsync wait).

import { receivedHeaders } from "../proto/smtp/received.ts";
import { newQueueId } from "../spool/id.ts";
import type { BatchMessage, QueuedMessage, Spool } from "../spool/types.ts";
import type { Composed } from "./compose.ts";

export interface InjectContext {
  hostname: string;
  clientAddress: string;
  /** API key id, recorded as the auth identity */
  keyId: string;
  now: number;
}

export function injectAll(spool: Spool, msgs: Composed[], ctx: InjectContext): Promise<QueuedMessage[]> {
  const received = receivedHeaders({
    client: { address: ctx.clientAddress, helo: "api" },
    hostname: ctx.hostname,
    protocol: "HTTP",
    auth: `apikey:${ctx.keyId}`,
  });
  const messages = msgs.map((m): BatchMessage => {
    const id = newQueueId();
    const header = received(id, m.rcptTo.length === 1 ? m.rcptTo[0] : undefined, ctx.now);
    return { id, rcptTo: m.rcptTo.map((address) => ({ address })), smtputf8: m.utf8, parts: [header, ...m.parts] };
  });
  const client = { address: ctx.clientAddress, port: 0, helo: "api", listener: "http" };
  const mailFrom = msgs[0]?.mailFrom ?? "";
  if (msgs.some((m) => m.mailFrom !== mailFrom)) return Promise.reject(new Error("a batch has one envelope sender"));
  return spool.commitBatch({ mailFrom, auth: `apikey:${ctx.keyId}`, client, receivedAt: ctx.now }, messages);
}
