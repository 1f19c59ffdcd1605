// Spooling API messages with the same durability as SMTP: 2xx only after fsync.
// A batch is all or nothing: every message is committed (sharing group-commit
// fsyncs) or, if any fails, the committed ones are removed again.

import { receivedHeaders } from "../proto/smtp/received.ts";
import type { Envelope, QueuedMessage, Spool } from "../spool/types.ts";
import type { Composed } from "./compose.ts";
import { utf8Length } from "./template.ts";

export interface InjectContext {
  hostname: string;
  clientAddress: string;
  /** API key id, recorded as the auth identity */
  keyId: string;
  now: number;
}

const enc = new TextEncoder();

export async function injectAll(spool: Spool, msgs: Composed[], ctx: InjectContext): Promise<QueuedMessage[]> {
  const received = receivedHeaders({
    client: { address: ctx.clientAddress, helo: "api" },
    hostname: ctx.hostname,
    protocol: "HTTP",
    auth: `apikey:${ctx.keyId}`,
  });
  const writers = msgs.map((m) => {
    const w = spool.begin();
    const header = received(w.id, m.rcptTo.length === 1 ? m.rcptTo[0] : undefined, ctx.now);
    // one spool record per message, the parts copied (strings encoded) straight into the spool's buffer
    if (w.writeParts) w.writeParts([header, ...m.parts], utf8Length(header) + m.size);
    else for (const p of [header, ...m.parts]) w.write(typeof p === "string" ? enc.encode(p) : p);
    return w;
  });
  const client = { address: ctx.clientAddress, port: 0, helo: "api", listener: "http" };
  const envelopes = msgs.map((m): Envelope => ({
    mailFrom: m.mailFrom,
    rcptTo: m.rcptTo.map((address) => ({ address })),
    smtputf8: m.utf8 || undefined,
    auth: `apikey:${ctx.keyId}`,
    client,
    receivedAt: ctx.now,
  }));
  // one promise for the batch when the spool offers it (same per-message outcomes)
  const results = spool.commitAll
    ? await spool.commitAll(writers.map((w, i) => [w, envelopes[i]!]))
    : await Promise.allSettled(writers.map((w, i) => w.commit(envelopes[i]!)));
  const failed = results.find((r) => r.status === "rejected");
  if (failed) {
    await Promise.allSettled(results.map((r) => (r.status === "fulfilled" ? spool.remove(r.value.id) : undefined)));
    throw (failed as PromiseRejectedResult).reason;
  }
  return results.map((r) => (r as PromiseFulfilledResult<QueuedMessage>).value);
}
