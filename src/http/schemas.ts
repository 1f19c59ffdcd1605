// Request bodies of the HTTP API (zod), also the source of /openapi.json.

import { z } from "zod";

const address = z.string().min(3).max(320).describe("an email address, optionally with a display name: \"Name <a@example.com>\"");
const addressList = z.array(address).max(1000);

export const attachmentSchema = z.strictObject({
  filename: z.string().min(1).max(255),
  contentType: z.string().max(255).optional(),
  content: z.string().describe("base64"),
});

const composed = {
  from: address,
  replyTo: address.optional(),
  subject: z.string().max(998).optional(),
  text: z.string().optional(),
  html: z.string().optional(),
  headers: z.record(z.string().regex(/^[!-9;-~]+$/, "header names are printable ASCII without ':'"), z.string()).optional(),
  attachments: z.array(attachmentSchema).max(100).optional(),
};

export const messageSchema = z.union([
  z.strictObject({
    from: address,
    to: addressList.min(1),
    raw: z.string().min(1).describe("a complete RFC 5322 message; from/to are the envelope"),
  }),
  z.strictObject({
    ...composed,
    to: addressList.min(1),
    cc: addressList.optional(),
    bcc: addressList.optional(),
  }),
]);

export const batchSchema = z.strictObject({
  ...composed,
  recipients: z.array(z.strictObject({
    to: address,
    substitutions: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  })).min(1).max(1000),
});

const batchTemplateSchema = batchSchema.omit({ recipients: true });

type Parsed<T> = { success: true; data: T } | { success: false; error: z.ZodError };

/**
 * batchSchema.safeParse(body), with the same result, made cheap for the common valid
 * body: zod checks the template, the recipients (up to 1,000 small objects, several µs
 * each through zod) are checked by hand against the same rules. Anything the hand check
 * refuses goes through zod whole, so errors are zod's, field paths and all.
 */
export function parseBatch(body: unknown): Parsed<BatchInput> {
  const recipients = (body as { recipients?: unknown } | null)?.recipients;
  if (isPlain(body) && recipientsOk(recipients)) {
    const { recipients: _, ...rest } = body as Record<string, unknown>;
    const t = batchTemplateSchema.safeParse(rest);
    if (t.success) return { success: true, data: { ...t.data, recipients: recipients as BatchInput["recipients"] } };
  }
  return batchSchema.safeParse(body) as Parsed<BatchInput>;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** the rules of batchSchema.recipients */
function recipientsOk(v: unknown): boolean {
  if (!Array.isArray(v) || v.length < 1 || v.length > 1000) return false;
  for (const r of v) {
    if (!isPlain(r)) return false;
    let keys = 0;
    for (const k in r) {
      if (k !== "to" && k !== "substitutions") return false;
      keys++;
    }
    if (Object.getOwnPropertySymbols(r).length > 0) return false;
    const to = r.to;
    if (typeof to !== "string" || to.length < 3 || to.length > 320) return false;
    const subs = r.substitutions;
    if (subs === undefined) {
      if (keys === 2) return false; // present but undefined: leave it to zod
      continue;
    }
    if (!isPlain(subs)) return false;
    for (const k in subs) {
      const x = subs[k];
      if (typeof x === "string") continue;
      if (typeof x !== "number" || !Number.isFinite(x)) return false;
    }
  }
  return true;
}

export const suppressionSchema = z.strictObject({
  address: address,
  reason: z.string().max(500).optional(),
});

export type MessageInput = z.infer<typeof messageSchema>;
export type BatchInput = z.infer<typeof batchSchema>;

/** A 400 body naming the field and the problem. */
export function describeZodError(e: z.ZodError): { error: string; field: string; problems: { field: string; message: string }[] } {
  const problems = e.issues.map((i) => ({ field: i.path.join(".") || "(body)", message: i.message }));
  return { error: `${problems[0].field}: ${problems[0].message}`, field: problems[0].field, problems };
}
