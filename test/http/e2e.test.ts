// The HTTP API end to end in a real server: a 1,000-recipient batch delivered through
// the outbound relay to a loopback receiver with the right substitutions, signed
// webhook batches, suppressions skipping recipients, queue routes, metrics.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { startReceiver, type SmtpReceiver } from "../helpers/smtp-receiver.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const SECRET = "webhook-secret-0123456789";
const N = 1000;
const T = { timeout: 120_000 };

let rx: SmtpReceiver;
let t: TestServer;
let hook: Server;
const hookBodies: { body: string; sig: string }[] = [];
let token = "";
let base = "";

const until = async (f: () => boolean, what: string, ms = 60_000) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers } });

const hookEvents = () => hookBodies.flatMap((b) => JSON.parse(b.body).events as { type: string; recipient?: string; id: string }[]);
const rcptsSeen = () => rx.transactions.flatMap((tx) => tx.rcptTo);

describe("HTTP API end to end", () => {
  before(async () => {
    rx = await startReceiver();
    hook = createServer(async (req: IncomingMessage, res) => {
      const parts: Uint8Array[] = [];
      for await (const c of req) parts.push(c as Uint8Array);
      hookBodies.push({ body: Buffer.concat(parts).toString(), sig: String(req.headers["x-tern-signature"]) });
      res.writeHead(200).end();
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/events`;
    t = await startTestServer({
      listen: { http: "127.0.0.1:0" },
      routes: { "example.net": `127.0.0.1:${rx.port}` },
      webhooks: [{ url: hookUrl, secret: SECRET }],
    }, undefined, undefined, { deliver: true });
    token = t.server.directory.createApiKey("e2e").token;
    base = `http://127.0.0.1:${t.server.ports.http}`;
  });
  after(async () => {
    await t.stop();
    await rx.close();
    await new Promise<void>((r) => hook.close(() => r()));
  });

  it("delivers a 1,000-recipient templated batch with the right substitutions, over pooled connections", T, async () => {
    const res = await api("/v1/messages/batch", {
      method: "POST",
      body: JSON.stringify({
        from: "news@app.example", subject: "Hello {{name}}", text: "Your code is {{code}}.",
        recipients: Array.from({ length: N }, (_, i) => ({ to: `user${i}@example.net`, substitutions: { name: `User ${i}`, code: 1000 + i } })),
      }),
    });
    assert.equal(res.status, 202, await res.clone().text());
    const { ids } = await res.json();
    assert.equal(ids.length, N);
    await until(() => rcptsSeen().length >= N, "1,000 deliveries");
    const byRcpt = new Map(rx.transactions.map((tx) => [tx.rcptTo[0], Buffer.from(tx.body).toString()]));
    for (const i of [0, 1, 499, 999]) {
      const body = byRcpt.get(`user${i}@example.net`)!;
      assert.match(body, new RegExp(`Subject: Hello User ${i}\\r\\n`));
      assert.match(body, new RegExp(`Your code is ${1000 + i}\\.`));
    }
    assert.equal(new Set(rcptsSeen()).size, N, "each recipient once");
    // pooled: at most 10 at once, each reused for up to 100 messages (outbound defaults)
    assert.ok(rx.connections <= 10 + N / 100, `connections: ${rx.connections}`);
    await until(() => t.server.spool.list().length === 0, "the spool to empty");
  });

  it("sends signed webhook batches for the deliveries", T, async () => {
    await until(() => hookEvents().filter((e) => e.type === "delivered").length >= N, "1,000 delivered events");
    for (const b of hookBodies) {
      const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(b.sig)!;
      assert.ok(m, b.sig);
      assert.equal(m[2], createHmac("sha256", SECRET).update(`${m[1]}.${b.body}`).digest("hex"));
    }
  });

  it("skips suppressed recipients with an event, and shows it in the message status", T, async () => {
    let r = await api("/v1/suppressions", { method: "POST", body: JSON.stringify({ address: "Blocked@example.net" }) });
    assert.equal(r.status, 201);
    const before = rcptsSeen().length;
    r = await api("/v1/messages", {
      method: "POST",
      body: JSON.stringify({ from: "app@app.example", to: ["blocked@example.net", "ok@example.net"], subject: "s", text: "x" }),
    });
    assert.equal(r.status, 202);
    const { id } = await r.json();
    await until(() => hookEvents().some((e) => e.id === id && e.type === "suppressed"), "the suppressed event");
    await until(() => rcptsSeen().includes("ok@example.net"), "ok@ delivered");
    assert.ok(!rcptsSeen().slice(before).includes("blocked@example.net"));
    const status = await (await api(`/v1/messages/${id}`)).json();
    assert.ok(status.events.some((e: { type: string; recipient: string }) => e.type === "suppressed" && e.recipient === "blocked@example.net"));
    const list = await (await api("/v1/suppressions")).json();
    assert.deepEqual(list.suppressions.map((s: { address: string }) => s.address), ["blocked@example.net"]);
    assert.equal((await api("/v1/suppressions/blocked%40example.net", { method: "DELETE" })).status, 204);
  });

  it("queue routes and metrics", T, async () => {
    assert.equal((await api("/v1/queue/example.net/suspend", { method: "POST" })).status, 200);
    const r = await api("/v1/messages", { method: "POST", body: JSON.stringify({ from: "a@app.example", to: ["held@example.net"], text: "x" }) });
    assert.equal(r.status, 202);
    await until(() => t.server.spool.list().length === 1, "the held message");
    const q = await (await api("/v1/queue")).json();
    const d = q.destinations.find((x: { destination: string }) => x.destination === "example.net");
    assert.ok(d && d.suspended && d.queued + d.deferred === 1, JSON.stringify(q));
    assert.equal((await api("/v1/queue/example.net/resume", { method: "POST" })).status, 200);
    await until(() => rcptsSeen().includes("held@example.net"), "the released message");
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /tern_deliveries_total\{agent="remote",result="delivered"\} \d+/);
    assert.match(metrics, /tern_delivery_latency_seconds_count \d+/);
    assert.match(metrics, /tern_smtp_connections_total|tern_http_messages_injected_total/);
  });
});
