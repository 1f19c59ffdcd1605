// The local agent under the real queue scheduler: spooled → delivered into Maildir →
// removed from the spool; an over-quota recipient stays queued (deferred).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Scheduler } from "../../src/queue/scheduler.ts";
import type { DeliveryEvent } from "../../src/queue/types.ts";
import { type World, world } from "./_helpers.ts";

let w: World;
before(async () => {
  w = await world();
  w.directory.addDomain("example.com");
  await w.directory.addUser("alice@example.com", { password: "a" });
  await w.directory.addUser("full@example.com", { password: "f", quota: 10 });
});
after(() => w.close());

describe("local agent under the scheduler", () => {
  it("delivers, removes the message from the spool, and keeps over-quota recipients deferred", async () => {
    const events: DeliveryEvent[] = [];
    let sched: Scheduler | undefined;
    const local = w.agent({ onSpooled: (m) => sched?.enqueue(m.id) });
    sched = new Scheduler({
      spool: w.spool,
      agents: { local },
      isLocalDomain: (d) => w.directory.isLocalDomain(d),
      hostname: "mx.test",
      onEvent: (e) => events.push(e),
    });
    sched.start();
    const ok = await w.queue("x@sender.example", ["alice@example.com"], "Subject: via scheduler\r\n\r\nhi\r\n");
    const full = await w.queue("x@sender.example", ["full@example.com"], "Subject: too big\r\n\r\nhi\r\n");
    sched.enqueue(ok.id);
    sched.enqueue(full.id);
    await sched.idle();
    await sched.close();
    assert.match((await w.texts("alice@example.com")).at(-1)!, /^Return-Path: <x@sender\.example>\r\nDelivered-To: alice@example\.com\r\nSubject: via scheduler/);
    assert.equal(w.spool.get(ok.id), undefined, "delivered message left the spool");
    assert.ok(w.spool.get(full.id), "deferred message stays queued");
    assert.ok(events.some((e) => e.type === "delivered" && e.id === ok.id));
    const def = events.find((e) => e.type === "deferred" && e.id === full.id);
    assert.match(def?.reply ?? "", /4\.2\.2/);
  });
});
