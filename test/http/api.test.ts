import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pack } from "msgpackr";
import { createApi, type ApiDeps } from "../../src/http/app.ts";
import { Registry } from "../../src/core/metrics.ts";
import { spoolRenderers } from "../../src/http/batch-render.ts";
import { openSpool } from "../../src/spool/index.ts";
import type { QueuedMessage, Spool } from "../../src/spool/types.ts";
import { serveHttp } from "../../src/runtime/http.ts";
import { run } from "../helpers/run.ts";

const KEY = "tk_test_123";
let dir: string;
let spool: Spool;
let app: ReturnType<typeof createApi>;
let queued: QueuedMessage[] = [];
let highWater = 1_000_000;

async function body(id: string): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const c of spool.readBody(id)) parts.push(c);
  return Buffer.concat(parts).toString("utf8");
}

const req = (path: string, init: RequestInit & { json?: unknown } = {}) => {
  const headers = new Headers(init.headers);
  if (!headers.has("authorization")) headers.set("authorization", `Bearer ${KEY}`);
  let b = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    b = JSON.stringify(init.json);
  }
  return app.request(path, { ...init, headers, body: b }, { remoteAddress: "127.0.0.1" });
};

describe("HTTP API", () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "tern-http-"));
    spool = await openSpool(dir, { renderers: spoolRenderers });
    const deps: ApiDeps = {
      hostname: "mx.tern.test",
      spool,
      metrics: new Registry(),
      maxMessageSize: 100_000,
      get spoolHighWater() {
        return highWater;
      },
      verifyApiKey: (t) => Promise.resolve(
        t === KEY ? { id: "k1", name: "test", senderDomains: [] }
          : t === "limited" ? { id: "k2", name: "limited", senderDomains: ["app.test"] } : null,
      ),
      onQueued: (qs) => queued.push(...qs),
    };
    app = createApi(deps);
  });
  after(async () => {
    await spool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("POST /v1/messages composes MIME and spools it durably", async () => {
    queued = [];
    const r = await req("/v1/messages", {
      method: "POST",
      json: { from: "App <app@app.test>", to: ["u@example.net"], cc: ["c@example.net"], bcc: ["b@example.net"],
        subject: "Héllo", text: "plain", html: "<p>hi</p>", headers: { "X-Campaign": "c1" },
        attachments: [{ filename: "a.txt", contentType: "text/plain", content: btoa("attached") }] },
    });
    assert.equal(r.status, 202);
    const { id, recipients } = await r.json();
    assert.deepEqual(recipients, ["u@example.net", "c@example.net", "b@example.net"]);
    const q = spool.get(id)!;
    assert.equal(q.envelope.mailFrom, "app@app.test");
    assert.equal(q.envelope.auth, "apikey:k1");
    assert.equal(queued.length, 1);
    const text = await body(id);
    assert.match(text, /^Received: from api \(\[127\.0\.0\.1\]\)\r\n\tby mx\.tern\.test \(Tern\) with HTTP id/);
    assert.match(text, /\r\nSubject: =\?UTF-8\?Q\?H=C3=A9llo\?=\r\n/);
    assert.match(text, /\r\nX-Campaign: c1\r\n/);
    assert.doesNotMatch(text, /b@example\.net/, "Bcc not in headers");
    assert.match(text, /filename=a\.txt/);
  });

  it("raw messages keep their bytes (CRLF-normalised)", async () => {
    const raw = "From: a@app.test\nTo: x@example.net\nSubject: raw\n\nbody\n";
    const r = await req("/v1/messages", { method: "POST", json: { from: "a@app.test", to: ["x@example.net"], raw } });
    assert.equal(r.status, 202);
    const { id } = await r.json();
    assert.ok((await body(id)).endsWith(raw.replace(/\n/g, "\r\n")));
  });

  it("batch: one message per recipient with substitutions, HTML-escaped in html; msgpack too", async () => {
    const batch = {
      from: "news@app.test", subject: "Hi {{name}}", text: "Dear {{name}}, code {{code}}", html: "<b>{{name}}</b>",
      recipients: Array.from({ length: 50 }, (_, i) => ({ to: `r${i}@example.net`, substitutions: { name: i === 0 ? "<Tom & Jerry>" : `R${i}`, code: i } })),
    };
    const r = await req("/v1/messages/batch", { method: "POST", json: batch });
    assert.equal(r.status, 202);
    const { ids } = await r.json();
    assert.equal(ids.length, 50);
    const first = await body(ids[0].id);
    assert.match(first, /Subject: Hi <Tom & Jerry>/);
    assert.match(first, /&lt;Tom &amp; Jerry&gt;/);
    assert.match(await body(ids[7].id), /Dear R7, code 7/);
    const m = await app.request("/v1/messages/batch", {
      method: "POST", body: new Uint8Array(pack(batch)), headers: { authorization: `Bearer ${KEY}`, "content-type": "application/msgpack" },
    }, { remoteAddress: "127.0.0.1" });
    assert.equal(m.status, 202);
    assert.equal((await m.json()).ids.length, 50);
  });

  it("bad bodies: 400 naming the field; 415; 401; 403; 413; 429", async () => {
    let r = await req("/v1/messages", { method: "POST", json: { from: "a@app.test", to: [] } });
    assert.equal(r.status, 400);
    assert.match((await r.json()).error, /to/);
    r = await req("/v1/messages", { method: "POST", json: { from: "not an address", to: ["x@example.net"], text: "x" } });
    assert.equal(r.status, 400);
    assert.equal((await r.json()).field, "from");
    r = await req("/v1/messages", { method: "POST", body: "{oops", headers: { "content-type": "application/json" } });
    assert.equal(r.status, 400);
    r = await req("/v1/messages", { method: "POST", body: "x", headers: { "content-type": "text/plain" } });
    assert.equal(r.status, 415);
    r = await req("/v1/messages", { method: "POST", json: {}, headers: { authorization: "Bearer nope" } });
    assert.equal(r.status, 401);
    r = await req("/v1/messages", { method: "POST", json: {}, headers: { authorization: "" } });
    assert.equal(r.status, 401);
    r = await req("/v1/messages", { method: "POST", json: { from: "a@other.test", to: ["x@example.net"], text: "x" }, headers: { authorization: "Bearer limited" } });
    assert.equal(r.status, 403);
    r = await req("/v1/messages", { method: "POST", json: { from: "a@app.test", to: ["x@example.net"], text: "x".repeat(150_000) } });
    assert.equal(r.status, 413);
    highWater = 0;
    r = await req("/v1/messages", { method: "POST", json: { from: "a@app.test", to: ["x@example.net"], text: "x" } });
    highWater = 1_000_000;
    assert.equal(r.status, 429);
    assert.equal(r.headers.get("retry-after"), "30");
  });

  it("status, healthz, metrics, openapi", async () => {
    const r = await req("/v1/messages", { method: "POST", json: { from: "a@app.test", to: ["x@example.net"], text: "x" } });
    const { id } = await r.json();
    const s = await (await req(`/v1/messages/${id}`)).json();
    assert.equal(s.queued, true);
    assert.deepEqual(s.recipients[0].address, "x@example.net");
    assert.equal((await req("/v1/messages/nope")).status, 404);
    assert.equal((await app.request("/healthz")).status, 200);
    const metrics = await (await app.request("/metrics")).text();
    assert.match(metrics, /# TYPE tern_http_messages_injected_total counter\ntern_http_messages_injected_total \d+/);
    const doc = await (await app.request("/openapi.json")).json();
    assert.equal(doc.openapi, "3.1.0");
    assert.ok(doc.paths["/v1/messages/batch"].post.requestBody.content["application/json"].schema);
  });

  it("serves over real HTTP (curl)", async () => {
    const server = await serveHttp("127.0.0.1", 0, (rq, env) => app.fetch(rq, env), 1 << 20);
    try {
      const r = await run("curl", ["-sS", "-w", "\n%{http_code}", "-H", `Authorization: Bearer ${KEY}`, "-H", "content-type: application/json",
        "-d", JSON.stringify({ from: "a@app.test", to: ["x@example.net"], subject: "curl", text: "hi" }),
        `http://127.0.0.1:${server.port}/v1/messages`]);
      const [json, code] = r.stdout.trim().split("\n");
      assert.equal(code, "202", r.stdout + r.stderr);
      assert.match(await body(JSON.parse(json).id), /Subject: curl/);
    } finally {
      await server.close();
    }
  });
});
