// The real wiring: SMTP in → spool → scheduler → the local MDA (when wired) and the
// remote relay (its DNS answers nothing here → deferred); events on the bus and in
// <dataDir>/events.log.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { DeliveryEvent, MessageState } from "../../src/queue/types.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { deliverOne } from "../helpers/smtp-client.ts";

let t: TestServer;
const events: DeliveryEvent[] = [];

before(async () => {
  t = await startTestServer({ relay: { trustedNetworks: ["127.0.0.0/8"] } }, undefined, undefined, { deliver: true });
  t.server.queue.events.subscribe((e) => events.push(e));
});
after(async () => {
  await t?.stop();
});

const send = (from: string, to: string, body: string): Promise<string> => deliverOne(t.smtp, body, from, to);

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), what);
}

describe("queue end to end (real agents)", { timeout: 60_000 }, () => {
  // src/server.ts is about to wire the local MDA: both states are checked exactly
  it("local recipient: delivered into alice's Maildir by the local agent, or (not wired) deferred with a clear reply; never bounced", async () => {
    const id = await send("sender@example.org", "alice@tern.test", "Subject: e2e\r\n\r\nhello through the queue\r\n");
    const status = () => (t.server.spool.get(id)?.state as unknown as MessageState | undefined)?.rcpts[0]?.status;
    await until(() => t.server.spool.get(id) === undefined || status() === "deferred", "attempted");
    if (t.server.spool.get(id) === undefined) {
      const ev = events.find((e) => e.id === id && e.type === "delivered");
      assert.equal(ev?.agent, "local");
      const stored = readdirSync(join(t.dir, "mail"), { recursive: true, withFileTypes: true })
        .filter((d) => d.isFile() && /\/new$/.test(d.parentPath))
        .map((d) => readFileSync(join(d.parentPath, d.name), "utf8"));
      assert.ok(stored.some((m) => m.includes("hello through the queue")), "in a new/ folder");
    } else {
      const st = t.server.spool.get(id)!.state as unknown as MessageState;
      assert.equal(st.rcpts[0]!.lastReply, "local delivery is not configured");
    }
    assert.ok(!events.some((e) => e.id === id && (e.type === "bounced" || e.type === "dsn")));
  });

  it("remote recipient with no answer from DNS: deferred, kept, logged", async () => {
    const id = await send("alice@tern.test", "bob@example.net", "Subject: out\r\n\r\nx\r\n");
    await until(() => (t.server.spool.get(id)?.state as unknown as MessageState | undefined)?.rcpts[0]?.status === "deferred", "deferred");
    const st = t.server.spool.get(id)!.state as unknown as MessageState;
    assert.equal(st.attempts, 1);
    assert.ok(st.rcpts[0]!.nextAttemptAt! > Date.now());
    const logged = () =>
      readFileSync(join(t.dir, "events.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as DeliveryEvent)
        .filter((e) => e.id === id && e.type === "deferred");
    await until(() => logged().length === 1, "the deferral is in events.log");
    assert.equal(logged()[0]!.agent, "remote");
    assert.equal(typeof logged()[0]!.reply, "string");
  });
});
