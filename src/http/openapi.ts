// OpenAPI 3.1 document generated from the zod request schemas.

import { z } from "zod";
import { batchSchema, messageSchema, suppressionSchema } from "./schemas.ts";

const json = (s: z.ZodType) => z.toJSONSchema(s, { target: "draft-2020-12" });
const err = { description: "error", content: { "application/json": { schema: { type: "object", properties: { error: { type: "string" }, field: { type: "string" } } } } } };
const body = (s: z.ZodType) => ({
  required: true,
  content: { "application/json": { schema: json(s) }, "application/msgpack": { schema: json(s) } },
});
const errors = { 400: err, 401: err, 403: err, 413: err, 429: err };

let cached: object | undefined;

export function openApiDocument(): object {
  return cached ??= {
    openapi: "3.1.0",
    info: { title: "Tern HTTP API", version: "1" },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    security: [{ bearer: [] }],
    paths: {
      "/v1/messages": {
        post: {
          summary: "Send one message (composed from fields, or raw RFC 5322)",
          requestBody: body(messageSchema),
          responses: { 202: { description: "spooled durably (fsync'd); id is the queue id" }, ...errors },
        },
      },
      "/v1/messages/batch": {
        post: {
          summary: "Send one templated message to up to 1,000 recipients with {{substitutions}}",
          requestBody: body(batchSchema),
          responses: { 202: { description: "all spooled durably, one id per recipient" }, ...errors },
        },
      },
      "/v1/messages/{id}": {
        get: {
          summary: "Status per recipient with its event history",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
          responses: { 200: { description: "status" }, 404: err },
        },
      },
      "/v1/queue": { get: { summary: "Per-destination queue summary", responses: { 200: { description: "summary" } } } },
      "/v1/queue/{destination}/{action}": {
        post: {
          summary: "suspend, resume or flush a destination",
          parameters: [
            { name: "destination", in: "path", required: true, schema: { type: "string" } },
            { name: "action", in: "path", required: true, schema: { enum: ["suspend", "resume", "flush"] } },
          ],
          responses: { 200: { description: "done" }, 404: err },
        },
      },
      "/v1/suppressions": {
        get: { summary: "List suppressed addresses", responses: { 200: { description: "list" } } },
        post: { summary: "Suppress an address", requestBody: body(suppressionSchema), responses: { 201: { description: "added" }, 400: err } },
      },
      "/v1/suppressions/{address}": {
        delete: {
          summary: "Remove a suppression",
          parameters: [{ name: "address", in: "path", required: true, schema: { type: "string" } }],
          responses: { 204: { description: "removed" }, 404: err },
        },
      },
      "/metrics": { get: { summary: "Prometheus metrics", security: [], responses: { 200: { description: "text exposition" } } } },
      "/healthz": { get: { summary: "Liveness", security: [], responses: { 200: { description: "ok" } } } },
    },
  };
}
