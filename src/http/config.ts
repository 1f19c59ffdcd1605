// Config schema pieces for the HTTP API: `http` and `webhooks` (zod v4).

import { z } from "zod";

const INT_MSG = "expected a positive integer";

export const httpConfigSchema = z.strictObject({
  /** queued messages above which injection answers 429 with Retry-After */
  spoolHighWater: z.int({ error: INT_MSG }).min(1, { error: INT_MSG }).default(100_000),
  /** recent messages whose delivery history GET /v1/messages/:id can show after they left the spool */
  historySize: z.int({ error: INT_MSG }).min(1, { error: INT_MSG }).default(100_000),
}, { error: "expected an object" }).prefault({});

const EVENT_TYPES = ["queued", "delivered", "deferred", "bounced", "expired", "suppressed", "deleted"] as const;

export const webhooksConfigSchema = z.array(z.strictObject({
  url: z.url({ error: "expected an http(s) URL" }),
  secret: z.string({ error: "expected a string" }).min(16, { error: "expected a secret of at least 16 characters" }),
  events: z.array(z.enum(EVENT_TYPES, { error: `expected one of ${EVENT_TYPES.join(", ")}` })).optional(),
}, { error: "expected an object { url, secret, events? }" }), { error: "expected a list of webhooks" }).default([]);

export type HttpConfig = z.output<typeof httpConfigSchema>;
export type WebhooksConfig = z.output<typeof webhooksConfigSchema>;
