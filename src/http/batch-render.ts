// Bulk batches stored as they came and rendered when read (Spool.commitRendered):
// accepting a batch costs its validation and one durable write of the request, not the
// composition of up to 1,000 messages. The stored payload keeps the request body (JSON
// or msgpack, as sent) and all that rendering needs beyond it — the envelope sender,
// the time, the MIME boundary tag and Message-ID prefix (random per batch), the details
// of the Received field — so each message renders to the same bytes every time (at
// delivery, in a DSN, after a restart): the bytes composeBatch() gives for that input.

import { pack, unpack } from "msgpackr";
import { receivedHeaders } from "../proto/smtp/received.ts";
import type { BatchRenderer } from "../spool/types.ts";
import { attachments, envelopeAddress } from "./compose.ts";
import { toLine } from "./mime-write.ts";
import { describeZodError, parseBatch, type BatchInput } from "./schemas.ts";
import { CompiledMessage, type MessageIds, toPieces } from "./template.ts";

/** the spool kind of these batches (a new layout gets a new kind; old spools keep theirs) */
export const BATCH_KIND = "http-batch-1";

export interface StoredBatch extends MessageIds {
  /** the request body as received */
  format: "json" | "msgpack";
  body: Uint8Array;
  /** envelope sender (validated) */
  mailFrom: string;
  /** acceptance time: Date and Received */
  now: number;
  hostname: string;
  clientAddress: string;
  keyId: string;
}

export const packBatch = (s: StoredBatch): Uint8Array => pack({ v: 1, ...s });

interface Loaded {
  t: CompiledMessage;
  recipients: BatchInput["recipients"];
  received: (id: string, rcpt: string | undefined, time: number) => string;
  now: number;
}

function load(payload: Uint8Array): Loaded {
  const s = unpack(payload) as StoredBatch & { v: number };
  if (s?.v !== 1) throw new Error("not a stored batch of this version");
  const body = s.format === "json" ? JSON.parse(new TextDecoder().decode(s.body)) : unpack(s.body);
  const r = parseBatch(body);
  if (!r.success) throw new Error(`stored batch does not validate: ${describeZodError(r.error).error}`);
  const b = r.data;
  return {
    t: new CompiledMessage({ ...b, attachments: attachments(b.attachments) }, s.mailFrom, s.now, false, s),
    recipients: b.recipients,
    received: receivedHeaders({ client: { address: s.clientAddress, helo: "api" }, hostname: s.hostname, protocol: "HTTP", auth: `apikey:${s.keyId}` }),
    now: s.now,
  };
}

function render(l: Loaded, i: number, id: string): (string | Uint8Array)[] {
  const r = l.recipients[i];
  if (r === undefined) throw new Error(`the batch has no recipient ${i}`);
  const head = l.received(id, envelopeAddress(r.to, "to"), l.now);
  return [head, ...toPieces(l.t.render(i, toLine(r.to), r.substitutions)).parts];
}

export const batchRenderer: BatchRenderer = {
  load,
  render: (loaded, index, id) => render(loaded as Loaded, index, id),
};

/** SpoolOptions.renderers for a spool the HTTP API writes to */
export const spoolRenderers: Record<string, BatchRenderer> = { [BATCH_KIND]: batchRenderer };

/**
 * At least the size of each message of a batch the template writer takes (checked
 * against the size limit without composing): 12 bytes per character of text (UTF-8
 * under quoted-printable or encoded words, HTML escapes, folding), the attachments as
 * base64, and room for the fixed header fields and boundaries.
 */
export function sizeBound(b: BatchInput): (i: number) => number {
  const texts = [b.from, b.replyTo, b.subject, b.text, b.html].filter((x): x is string => x !== undefined);
  for (const [k, v] of Object.entries(b.headers ?? {})) texts.push(k, v);
  const chars = texts.reduce((n, t) => n + t.length, 0);
  const names = texts.reduce((n, t) => n + (t.match(/\{\{/g)?.length ?? 0), 0);
  let fixed = 8192;
  for (const a of b.attachments ?? []) fixed += Math.ceil(a.content.length * 78 / 76) + 512 + 12 * (a.filename.length + (a.contentType?.length ?? 0));
  return (i) => {
    const r = b.recipients[i]!;
    let longest = 0;
    for (const k in r.substitutions) longest = Math.max(longest, String(r.substitutions[k]).length);
    return fixed + 12 * (chars + r.to.length + names * longest);
  };
}
