// The HTTP API (hono): inject single and batch mail, status, queue, suppressions,
// metrics, health and the OpenAPI document. No sockets here: src/runtime/http.ts serves it.

import { Hono, type Context } from "hono";
import { unpack } from "msgpackr";
import { z } from "zod";
import type { Registry } from "../core/metrics.ts";
import type { QueuedMessage, Spool } from "../spool/types.ts";
import { SpoolError } from "../spool/types.ts";
import { composeBatch, composeMessage, envelopeAddress, InputError } from "./compose.ts";
import { injectAll } from "./inject.ts";
import { newMessageIds, sizeOf, templateFits } from "./template.ts";
import { BATCH_KIND, packBatch, sizeBound } from "./batch-render.ts";
import { newQueueId } from "../spool/id.ts";
import { openApiDocument } from "./openapi.ts";
import { type BatchInput, describeZodError, messageSchema, parseBatch, suppressionSchema } from "./schemas.ts";
import { docsPage } from "./docs.ts";

export interface ApiKey {
  id: string;
  name: string;
  /** sender domains this key may use; empty = any */
  senderDomains: string[];
}

export interface QueueControl {
  summary(): unknown[];
  suspend(destination: string): boolean;
  resume(destination: string): boolean;
  flush(destination: string): boolean;
}

export interface Suppressions {
  list(): { address: string; reason: string; createdAt: number }[];
  add(address: string, reason: string): void;
  remove(address: string): boolean;
}

export interface ApiDeps {
  hostname: string;
  spool: Spool;
  metrics: Registry;
  maxMessageSize: number;
  /** queued messages above which injection answers 429 */
  spoolHighWater: number;
  verifyApiKey(token: string): Promise<ApiKey | null>;
  /** hand committed messages (one request's) to the scheduler */
  onQueued?(msgs: QueuedMessage[]): void;
  /** recipients' delivery history of a message, when known */
  history?(id: string): unknown[] | undefined;
  queue?: QueueControl;
  suppressions?: Suppressions;
  now?: () => number;
  /**
   * store template batches as they came and render each message when it is read
   * (default true; false composes every message at acceptance)
   */
  renderBatches?: boolean;
}

/** a zod schema, or a function with the same result (parseBatch) */
type Checker<T> = { safeParse(body: unknown): { success: true; data: T } | { success: false; error: z.ZodError } };

type Env = { Bindings: { remoteAddress: string }; Variables: { key: ApiKey } };

/** a request body: parsed, and as it came */
interface Body {
  value: unknown;
  bytes: Uint8Array;
  format: "json" | "msgpack";
}

const NON_ASCII = /[^\x00-\x7f]/;

const problem = (c: Context, status: 400 | 401 | 403 | 404 | 413 | 415 | 429 | 501 | 503, error: string, extra: object = {}) =>
  c.json({ error, ...extra }, status);

export function createApi(deps: ApiDeps): Hono<Env> {
  const app = new Hono<Env>();
  const now = deps.now ?? Date.now;
  const injected = deps.metrics.counter("tern_http_messages_injected_total", "Messages accepted through the HTTP API");
  const requests = deps.metrics.counter("tern_http_requests_total", "HTTP API requests by route and status");

  app.use("*", async (c, next) => {
    await next();
    requests.inc({ method: c.req.method, route: c.req.routePath, status: String(c.res.status) });
  });
  app.onError((err, c) => {
    if (err instanceof SpoolError) return problem(c, 503, "spool unavailable, try again later");
    return c.json({ error: `internal error: ${err.message}` }, 500);
  });
  app.notFound((c) => problem(c, 404, `no route ${c.req.method} ${c.req.path}`));

  app.get("/healthz", (c) => c.json({ status: "ok", queued: deps.spool.count }));
  app.get("/metrics", (c) => c.text(deps.metrics.render(), 200, { "content-type": "text/plain; version=0.0.4" }));
  app.get("/openapi.json", (c) => c.json(openApiDocument()));
  app.get("/docs", (c) => c.html(docsPage()));

  app.use("/v1/*", async (c, next) => {
    const m = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "");
    if (!m) return problem(c, 401, "missing bearer token (Authorization: Bearer <api key>)");
    const key = await deps.verifyApiKey(m[1]);
    if (!key) return problem(c, 401, "invalid API key");
    c.set("key", key);
    await next();
  });

  /** the request body parsed, with its bytes and format; or the error response */
  const readBody = async (c: Context<Env>, limit: number): Promise<Body | Response> => {
    const len = Number(c.req.header("content-length") ?? "0");
    if (len > limit) return problem(c, 413, `body larger than ${limit} bytes`);
    const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
    const format = type === "application/json" ? "json" : type === "application/msgpack" || type === "application/x-msgpack" ? "msgpack" : undefined;
    if (format === undefined) return problem(c, 415, "content-type must be application/json or application/msgpack");
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.length > limit) return problem(c, 413, `body larger than ${limit} bytes`);
    try {
      return { value: format === "json" ? JSON.parse(new TextDecoder().decode(bytes)) : unpack(bytes), bytes, format };
    } catch (e) {
      return problem(c, 400, `body is not valid ${type}: ${(e as Error).message}`, { field: "(body)" });
    }
  };

  const accept = async <T>(c: Context<Env>, schema: Checker<T>, limit: number): Promise<{ data: T; body: Body } | Response> => {
    if (deps.spool.count >= deps.spoolHighWater) {
      c.header("Retry-After", "30");
      return problem(c, 429, "spool above its high-water mark, retry later");
    }
    const body = await readBody(c, limit);
    if (body instanceof Response) return body;
    const r = schema.safeParse(body.value);
    if (!r.success) return c.json(describeZodError(r.error), 400);
    return { data: r.data, body };
  };

  const senderAllowed = (key: ApiKey, from: string): boolean => {
    if (key.senderDomains.length === 0) return true;
    const domain = from.slice(from.lastIndexOf("@") + 1).toLowerCase();
    return key.senderDomains.includes(domain);
  };

  const spoolIt = async (c: Context<Env>, composed: Awaited<ReturnType<typeof composeMessage>>[]) => {
    const key = c.get("key");
    if (!senderAllowed(key, composed[0].mailFrom)) {
      return problem(c, 403, `API key ${key.name} may not send from ${composed[0].mailFrom}`, { field: "from" });
    }
    const limit = deps.maxMessageSize;
    const big = composed.findIndex((m) => m.maxSize > limit && sizeOf(m.parts) > limit);
    if (big !== -1) return problem(c, 413, `message ${big} exceeds ${deps.maxMessageSize} bytes`);
    const queued = await injectAll(deps.spool, composed, {
      hostname: deps.hostname, clientAddress: c.env?.remoteAddress ?? "", keyId: key.id, now: now(),
    });
    injected.inc({}, queued.length);
    deps.onQueued?.(queued);
    return queued;
  };

  app.post("/v1/messages", async (c) => {
    const input = await accept(c, messageSchema, deps.maxMessageSize * 2);
    if (input instanceof Response) return input;
    try {
      const queued = await spoolIt(c, [await composeMessage(input.data)]);
      if (queued instanceof Response) return queued;
      return c.json({ id: queued[0].id, recipients: queued[0].envelope.rcptTo.map((r) => r.address) }, 202);
    } catch (e) {
      if (e instanceof InputError) return problem(c, 400, e.message, { field: e.field });
      throw e;
    }
  });

  app.post("/v1/messages/batch", async (c) => {
    const input = await accept(c, { safeParse: parseBatch }, deps.maxMessageSize * 4);
    if (input instanceof Response) return input;
    try {
      const queued = (deps.renderBatches ?? true) && templateFits(input.data)
        ? await spoolRendered(c, input.data, input.body)
        : await spoolIt(c, await composeBatch(input.data));
      if (queued instanceof Response) return queued;
      return c.json({ ids: queued.map((q) => ({ id: q.id, to: q.envelope.rcptTo[0].address })) }, 202);
    } catch (e) {
      if (e instanceof InputError) return problem(c, 400, e.message, { field: e.field });
      throw e;
    }
  });

  /** a batch stored as it came, its messages rendered when read (batch-render.ts) */
  const spoolRendered = async (c: Context<Env>, b: BatchInput, body: Body) => {
    const key = c.get("key");
    const mailFrom = envelopeAddress(b.from, "from");
    if (!senderAllowed(key, mailFrom)) return problem(c, 403, `API key ${key.name} may not send from ${mailFrom}`, { field: "from" });
    const bound = sizeBound(b);
    if (b.recipients.some((_, i) => bound(i) > deps.maxMessageSize)) return spoolIt(c, await composeBatch(b)); // measured exactly
    const utf8From = NON_ASCII.test(mailFrom);
    const msgs = b.recipients.map((r, i) => {
      const to = envelopeAddress(r.to, `recipients.${i}.to`);
      return { id: newQueueId(), rcptTo: [{ address: to }], smtputf8: utf8From || NON_ASCII.test(to) };
    });
    const at = now();
    const payload = packBatch({
      format: body.format, body: body.bytes, mailFrom, now: at, ...newMessageIds(),
      hostname: deps.hostname, clientAddress: c.env?.remoteAddress ?? "", keyId: key.id,
    });
    const client = { address: c.env?.remoteAddress ?? "", port: 0, helo: "api", listener: "http" };
    const queued = await deps.spool.commitRendered({ mailFrom, auth: `apikey:${key.id}`, client, receivedAt: at }, BATCH_KIND, payload, msgs);
    injected.inc({}, queued.length);
    deps.onQueued?.(queued);
    return queued;
  };

  app.get("/v1/messages/:id", (c) => {
    const id = c.req.param("id");
    const q = deps.spool.get(id);
    const history = deps.history?.(id);
    if (!q && !history) return problem(c, 404, `no message ${id}`);
    const state = q?.state as { rcpts?: unknown[] } | undefined;
    return c.json({
      id,
      queued: q !== undefined,
      from: q?.envelope.mailFrom,
      recipients: state?.rcpts ?? q?.envelope.rcptTo.map((r) => ({ address: r.address, status: "queued", attempts: 0 })),
      size: q?.size,
      receivedAt: q?.envelope.receivedAt,
      events: history ?? [],
    });
  });

  app.get("/v1/queue", (c) => {
    if (!deps.queue) return c.json({ destinations: [], queued: deps.spool.count, note: "delivery not enabled" });
    return c.json({ destinations: deps.queue.summary(), queued: deps.spool.count });
  });
  app.post("/v1/queue/:destination/:action{suspend|resume|flush}", (c) => {
    if (!deps.queue) return problem(c, 501, "delivery is not enabled in this server");
    const dest = c.req.param("destination");
    const action = c.req.param("action") as "suspend" | "resume" | "flush";
    const ok = deps.queue[action](dest);
    return ok ? c.json({ destination: dest, action }) : problem(c, 404, `no destination ${dest}`);
  });

  app.get("/v1/suppressions", (c) => {
    if (!deps.suppressions) return problem(c, 501, "suppressions are not enabled in this server");
    return c.json({ suppressions: deps.suppressions.list() });
  });
  app.post("/v1/suppressions", async (c) => {
    if (!deps.suppressions) return problem(c, 501, "suppressions are not enabled in this server");
    const body = await readBody(c, 65536);
    if (body instanceof Response) return body;
    const r = suppressionSchema.safeParse(body.value);
    if (!r.success) return c.json(describeZodError(r.error), 400);
    try {
      const address = envelopeAddress(r.data.address, "address");
      deps.suppressions.add(address, r.data.reason ?? "added through the API");
      return c.json({ address }, 201);
    } catch (e) {
      if (e instanceof InputError) return problem(c, 400, e.message, { field: e.field });
      throw e;
    }
  });
  app.delete("/v1/suppressions/:address", (c) => {
    if (!deps.suppressions) return problem(c, 501, "suppressions are not enabled in this server");
    const address = decodeURIComponent(c.req.param("address")).toLowerCase();
    return deps.suppressions.remove(address) ? c.body(null, 204) : problem(c, 404, `${address} is not suppressed`);
  });

  return app;
}
