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
