// Template batches stored as they came and rendered when read (batch-render.ts +
// Spool.commitRendered): the same bytes composeBatch gives, every read, across a
// restart; the size bound never below the real size; too-large batches measured exactly.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pack } from "msgpackr";
import { batchRenderer, BATCH_KIND, packBatch, sizeBound, spoolRenderers } from "../../src/http/batch-render.ts";
import { composeBatch } from "../../src/http/compose.ts";
import { createApi } from "../../src/http/app.ts";
import { parseBatch, type BatchInput } from "../../src/http/schemas.ts";
import { newMessageIds, sizeOf } from "../../src/http/template.ts";
import { Registry } from "../../src/core/metrics.ts";
import { receivedHeaders } from "../../src/proto/smtp/received.ts";
import { newQueueId, openSpool, scanSpool } from "../../src/spool/index.ts";
import type { Spool } from "../../src/spool/types.ts";
import { RenderedMessage } from "../../src/spool/rendered.ts";

const dec = new TextDecoder();
const joined = (parts: (string | Uint8Array)[]) => parts.map((p) => (typeof p === "string" ? p : dec.decode(p))).join("");

const parsed = parseBatch({
  from: "Nëws <news@app.test>", replyTo: "help@app.test", subject: "Hallo {{name}} — {{n}}",
  text: "Dear {{name}},\r\nline two {{n}}\n" + "long ".repeat(40) + "\n\u00e9t\u00e9 {{name}}\n",
  html: "<p>{{name}}</p><p>\u20ac {{n}}</p>",
  headers: { "X-Campaign": "c-{{n}}" },
  attachments: [{ filename: "a.txt", contentType: "text/plain", content: btoa("attached bytes") }],
  recipients: Array.from({ length: 30 }, (_, i) => ({
    to: i === 3 ? "Jörg <j3@example.net>" : `u${i}@example.net`,
    substitutions: { name: i === 1 ? `<"Tom" & 'Jerry'>` : i === 2 ? "Zo\u00eb \u{1F600}" : `User ${i}`, n: i },
  })),
});
if (!parsed.success) throw new Error("test batch does not validate");
const batch: BatchInput = parsed.data;

function stored(format: "json" | "msgpack", now: number, ids = newMessageIds()) {
  const body = format === "json" ? new TextEncoder().encode(JSON.stringify(batch)) : pack(batch);
  return { ids, payload: packBatch({ format, body, mailFrom: "news@app.test", now, ...ids, hostname: "mx.tern.test", clientAddress: "192.0.2.7", keyId: "k1" }) };
}

describe("http: batches rendered when read", () => {
  it("render = Received + what composeBatch gives for the same input, ids and time (JSON and msgpack)", async () => {
    const now = Date.UTC(2026, 10, 30, 6, 0, 0);
    for (const format of ["json", "msgpack"] as const) {
      const { ids, payload } = stored(format, now);
      const composed = await composeBatch(batch, now, ids);
      const loaded = batchRenderer.load(payload);
      const received = receivedHeaders({ client: { address: "192.0.2.7", helo: "api" }, hostname: "mx.tern.test", protocol: "HTTP", auth: "apikey:k1" });
      composed.forEach((m, i) => {
        const id = newQueueId();
        const parts = batchRenderer.render(loaded, i, id);
        assert.equal(joined(parts), received(id, m.rcptTo[0], now) + joined(m.parts), `message ${i}`);
        assert.equal(joined(batchRenderer.render(batchRenderer.load(payload), i, id)), joined(parts), "deterministic");
        assert.ok(sizeBound(batch)(i) >= sizeOf(parts), `bound of message ${i}`);
      });
    }
    assert.throws(() => batchRenderer.load(pack({ v: 2 })), /version/);
    assert.throws(() => batchRenderer.render(batchRenderer.load(stored("json", now).payload), 99, "x"), /no recipient 99/);
  });

  it("through the spool: same bytes before and after a restart; sizes; no renderer, no commit", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tern-render-"));
    let spool: Spool | undefined;
    try {
      spool = await openSpool(dir, { renderers: spoolRenderers });
      const { payload } = stored("json", Date.now());
      const msgs = batch.recipients.map((r, i) => ({ id: newQueueId(), rcptTo: [{ address: `u${i}@example.net` }] }));
      const env = { mailFrom: "news@app.test", client: { address: "192.0.2.7", port: 0, helo: "api", listener: "http" }, receivedAt: 1 };
      const done = await spool.commitRendered(env, BATCH_KIND, payload, msgs);
      const read = async (s: Spool, id: string) => {
        const out: Uint8Array[] = [];
        for await (const p of s.readBody(id)) out.push(p);
        return Buffer.concat(out).toString("utf8");
      };
      const first = new Map<string, string>();
      for (const m of done) first.set(m.id, await read(spool, m.id));
      assert.match(first.get(msgs[1]!.id)!, /&lt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&gt;/);
      for (const m of done) assert.equal(m.size, Buffer.byteLength(first.get(m.id)!));
      const buf = new Uint8Array(20_000);
      const n = spool.readBodyInto!(msgs[2]!.id, buf, 10);
      assert.equal(Buffer.from(buf.subarray(10, 10 + n!)).toString("utf8"), first.get(msgs[2]!.id));
      assert.equal(JSON.parse(JSON.stringify(done[0])).size, done[0]!.size, "size in JSON");
      await spool.close();

      spool = await openSpool(dir, { renderers: spoolRenderers });
      assert.equal(spool.count, 30);
      for (const [id, text] of first) assert.equal(await read(spool, id), text, `after restart: ${id}`);
      await spool.update(msgs[0]!.id, { tries: 1 });
      for (const m of msgs.slice(1)) await spool.remove(m.id);
      await spool.close();
      spool = await openSpool(dir);
      // without the renderer: listed, but its body cannot be read (and nothing new is accepted)
      assert.deepEqual(spool.list().map((m) => [m.id, m.state]), [[msgs[0]!.id, { tries: 1 }]]);
      await assert.rejects(read(spool, msgs[0]!.id), /no renderer for http-batch-1/);
      await assert.rejects(spool.commitRendered(env, BATCH_KIND, payload, [{ id: newQueueId(), rcptTo: [{ address: "x@y.z" }] }]), /no renderer/);
      await spool.close();
      spool = undefined;
      const listed = await scanSpool(dir, { renderers: spoolRenderers });
      assert.equal(listed[0]!.size, Buffer.byteLength(first.get(msgs[0]!.id)!));
      assert.ok(Number.isNaN((await scanSpool(dir))[0]!.size));
    } finally {
      await spool?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the API: rendered batches are stored once; batches near the size limit are composed and measured", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tern-render-api-"));
    const spool = await openSpool(dir, { renderers: spoolRenderers });
    try {
      const api = (maxMessageSize: number, renderBatches?: boolean) => createApi({
        hostname: "mx.tern.test", spool, metrics: new Registry(), maxMessageSize, spoolHighWater: 1e9, renderBatches,
        verifyApiKey: () => Promise.resolve({ id: "k1", name: "t", senderDomains: [] }),
      });
      const post = (app: ReturnType<typeof api>, b: unknown) => app.request("/v1/messages/batch", {
        method: "POST", body: JSON.stringify(b), headers: { authorization: "Bearer x", "content-type": "application/json" },
      }, { remoteAddress: "127.0.0.1" });
      const texts = async (ids: { id: string }[]) => Promise.all(ids.map(async ({ id }) => {
        const out: Uint8Array[] = [];
        for await (const p of spool.readBody(id)) out.push(p);
        return Buffer.concat(out).toString("utf8").replace(/^Received:[^]*?\r\n(?=\S)/, "");
      }));
      const small = { from: "a@app.test", subject: "s {{k}}", text: "x {{k}}", recipients: [{ to: "b@example.net", substitutions: { k: "v" } }] };
      const r1 = await post(api(100_000), small);
      assert.equal(r1.status, 202);
      const r2 = await post(api(100_000, false), small); // composed at acceptance
      const id1 = (await r1.json()).ids;
      const id2 = (await r2.json()).ids;
      assert.ok(spool.get(id1[0].id) instanceof RenderedMessage, "stored once, rendered when read");
      assert.ok(!(spool.get(id2[0].id) instanceof RenderedMessage), "composed");
      const [a] = await texts(id1);
      const [b] = await texts(id2);
      const mask = (s: string) => s.replace(/Message-ID: <[^>]+>/, "MID").replace(/Date: .*\r\n/, "");
      assert.equal(mask(a!), mask(b!));
      // over the bound but under the limit: composed, measured, accepted; over the limit: 413
      const near = { ...small, text: "y".repeat(3000) };
      assert.equal((await post(api(5000), near)).status, 202);
      assert.equal((await post(api(2000), near)).status, 413);
      // a bad recipient in a rendered batch: 400 naming it, nothing stored
      const before = spool.count;
      const bad = await post(api(100_000), { ...small, recipients: [...small.recipients, { to: "not an address" }] });
      assert.equal(bad.status, 400);
      assert.equal((await bad.json()).field, "recipients.1.to");
      assert.equal(spool.count, before);
    } finally {
      await spool.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
