import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { sign, Webhooks } from "../../src/http/webhooks.ts";
import { postJson } from "../../src/runtime/http-client.ts";
import { SuppressionStore } from "../../src/suppress/store.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const until = async (f: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
};

async function receiver(failFirst: number) {
  const got: { body: string; sig: string }[] = [];
  let calls = 0;
  const server = createServer(async (req: IncomingMessage, res) => {
    const parts: Uint8Array[] = [];
    for await (const c of req) parts.push(c as Uint8Array);
    calls++;
    if (calls <= failFirst) {
      res.writeHead(503).end();
      return;
    }
    got.push({ body: Buffer.concat(parts).toString(), sig: String(req.headers["x-tern-signature"]) });
    res.writeHead(204).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { got, url, close: () => new Promise<void>((r) => server.close(() => r())), calls: () => calls };
}

describe("webhooks", () => {
  it("batches events, signs them (HMAC-SHA256) and retries with backoff", async () => {
    const rx = await receiver(2);
    const hooks = new Webhooks([{ url: rx.url, secret: "s3cret" }], { post: postJson, flushMs: 20, backoffMs: 10, batchSize: 50 });
    try {
      for (let i = 0; i < 120; i++) hooks.push({ type: "delivered", id: `m${i}`, recipient: `r${i}@example.net` });
      await until(() => rx.got.reduce((n, g) => n + JSON.parse(g.body).events.length, 0) === 120);
      assert.ok(rx.calls() >= 5, "two failures retried");
      for (const g of rx.got) {
        const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(g.sig);
        assert.ok(m, g.sig);
        const expect = createHmac("sha256", "s3cret").update(`${m[1]}.${g.body}`).digest("hex");
        assert.equal(m[2], expect);
      }
      const ids = rx.got.flatMap((g) => JSON.parse(g.body).events.map((e: { id: string }) => e.id));
      assert.deepEqual(ids, Array.from({ length: 120 }, (_, i) => `m${i}`), "in order, none lost");
    } finally {
      hooks.close();
      await rx.close();
    }
  });

  it("a dead endpoint never grows memory without bound and never blocks push()", async () => {
    let posts = 0;
    const hooks = new Webhooks([{ url: "http://127.0.0.1:1/", secret: "x" }], {
      post: () => {
        posts++;
        return new Promise(() => {}); // hangs forever
      },
      maxBuffered: 100, batchSize: 10, flushMs: 1,
    });
    for (let i = 0; i < 10_000; i++) hooks.push({ type: "deferred", id: String(i) });
    await new Promise((r) => setTimeout(r, 20));
    const s = hooks.stats()[0];
    assert.ok(s.dropped >= 10_000 - 110, `dropped ${s.dropped}`);
    assert.equal(posts, 1, "one request in flight at a time");
    hooks.close();
  });

  it("filters by event type; sign() is stable", () => {
    assert.equal(sign("k", 1, "{}"), `t=1,v1=${createHmac("sha256", "k").update("1.{}").digest("hex")}`);
    const seen: string[] = [];
    const hooks = new Webhooks([{ url: "u", secret: "k", events: ["bounced"] }], {
      post: (_u, b) => {
        seen.push(b);
        return Promise.resolve(200);
      },
      flushMs: 1,
    });
    hooks.push({ type: "delivered" });
    assert.equal(hooks.idle, true);
    hooks.close();
  });
});

describe("suppressions", () => {
  it("persist across reopen, case-insensitive", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tern-sup-"));
    try {
      let s = await SuppressionStore.open(join(dir, "s.db"));
      s.add("Bob@Example.net", "hard bounce");
      assert.equal(s.has("bob@example.net"), true);
      s.close();
      s = await SuppressionStore.open(join(dir, "s.db"));
      assert.deepEqual(s.list().map((x) => [x.address, x.reason]), [["bob@example.net", "hard bounce"]]);
      assert.equal(s.remove("BOB@example.net"), true);
      assert.equal(s.has("bob@example.net"), false);
      s.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
