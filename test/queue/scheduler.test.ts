import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Scheduler } from "../../src/queue/scheduler.ts";
import type { MessageState } from "../../src/queue/types.ts";
import { dec, envelope, HOUR, put, readAll, type Rig, rigs } from "./_helpers.ts";

const make = rigs();

function state(r: Rig, id: string): MessageState {
  return r.spool.get(id)!.state as unknown as MessageState;
}

describe("queue scheduler", () => {
  it("delivered → removed from the spool, events queued + delivered", async () => {
    const r = await make();
    r.sched.start();
    const m = await put(r.spool, envelope("alice@example.org", ["bob@example.net", "carol@tern.test"]));
    r.sched.enqueue(m.id);
    await r.sched.idle();
    assert.equal(r.spool.get(m.id), undefined);
    assert.deepEqual(r.remote.calls, [{ id: m.id, rcpts: ["bob@example.net"] }]);
    assert.deepEqual(r.local.calls, [{ id: m.id, rcpts: ["carol@tern.test"] }]);
    assert.equal(dec.decode(r.remote.bodies[0]!).includes("Subject: hello"), true);
    const types = r.events.map((e) => `${e.type}:${e.recipient}`).sort();
    assert.deepEqual(types, [
      "delivered:bob@example.net", "delivered:carol@tern.test", "queued:bob@example.net", "queued:carol@tern.test",
    ]);
    const d = r.events.find((e) => e.type === "delivered" && e.recipient === "bob@example.net")!;
    assert.equal(d.attempt, 1);
    assert.equal(d.host, "mx.example.net");
    assert.equal(d.agent, "remote");
  });

  it("remote recipients of one message go to ONE deliver() call", async () => {
    const r = await make();
    r.sched.start();
    const m = await put(r.spool, envelope("alice@example.org", ["a@x.example", "b@y.example", "c@x.example"]));
    r.sched.enqueue(m.id);
    await r.sched.idle();
    assert.equal(r.remote.calls.length, 1);
    assert.deepEqual(r.remote.calls[0]!.rcpts, ["a@x.example", "b@y.example", "c@x.example"]);
  });

  it("4xx then 2xx → delivered after one retry at the backoff time; attempts recorded", async () => {
    const r = await make();
    r.remote.script = (_rc, call) =>
      call === 1 ? { status: "deferred", reply: "451 4.3.0 try later", host: "mx1.example.net" } : { status: "delivered", reply: "250 ok" };
    r.sched.start();
    const m = await put(r.spool, envelope("alice@example.org", ["bob@example.net"]));
    r.sched.enqueue(m.id);
    await r.sched.idle();
    const st = state(r, m.id);
    assert.equal(st.attempts, 1);
    assert.equal(st.rcpts[0]!.status, "deferred");
    assert.equal(st.rcpts[0]!.lastReply, "451 4.3.0 try later");
    assert.equal(st.rcpts[0]!.nextAttemptAt, r.clock.now() + 300_000); // first retry, random 0.5 = no jitter
    assert.equal(r.sched.dueAt(m.id), r.clock.now() + 300_000);
    assert.equal(r.clock.armed, 1, "one timer for the queue");

    r.clock.advance(299_000);
    await r.sched.idle();
    assert.equal(r.remote.calls.length, 1, "not before its time");
    r.clock.advance(1_000);
    await r.sched.idle();
    assert.equal(r.remote.calls.length, 2);
    assert.equal(r.spool.get(m.id), undefined);
    const ev = r.events.filter((e) => e.type === "deferred" || e.type === "delivered").map((e) => `${e.type}#${e.attempt}`);
    assert.deepEqual(ev, ["deferred#1", "delivered#2"]);
  });

  it("backoff doubles up to queue.retry.max", async () => {
    const r = await make();
    r.remote.script = () => ({ status: "deferred", reply: "421 busy" });
    r.sched.start();
    const m = await put(r.spool, envelope("alice@example.org", ["bob@example.net"]));
    r.sched.enqueue(m.id);
    await r.sched.idle();
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      const next = r.sched.dueAt(m.id)!;
      waits.push((next - r.clock.now()) / 1000);
      r.clock.advance(next - r.clock.now());
      await r.sched.idle();
    }
    assert.deepEqual(waits, [300, 600, 1200, 2400, 3600, 3600]);
    assert.equal(state(r, m.id).attempts, 7);
  });

  it("many messages share ONE armed timer", async () => {
    const r = await make();
    r.remote.script = () => ({ status: "deferred", reply: "421 busy" });
    r.sched.start();
    for (let i = 0; i < 20; i++) {
      r.clock.advance(1000);
      const m = await put(r.spool, envelope("alice@example.org", [`u${i}@example.net`]));
      r.sched.enqueue(m.id);
      await r.sched.idle();
    }
    assert.equal(r.clock.armed, 1);
    assert.equal(r.remote.calls.length, 20);
  });

  it("concurrency cap: never more deliveries in flight than configured", async () => {
    let inFlight = 0;
    let peak = 0;
    const r = await make({ concurrency: 3 });
    r.remote.deliver = async (msg, rcpts) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((res) => setTimeout(res, 1));
      inFlight--;
      return rcpts.map((recipient) => ({ recipient, outcome: { status: "delivered" } }));
    };
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await put(r.spool, envelope("a@example.org", [`u${i}@example.net`]))).id);
    r.sched.start(); // all loaded from the spool at once
    await r.sched.idle();
    assert.equal(peak, 3);
    for (const id of ids) assert.equal(r.spool.get(id), undefined);
  });

  it("a missing local agent: local recipients stay deferred with a clear reply, no bounce", async () => {
    const r = await make();
    const sched2 = new Scheduler({
      spool: r.spool,
      agents: { remote: r.remote },
      isLocalDomain: (d) => d === "tern.test",
      hostname: "mx.tern.test",
      clock: r.clock,
      onEvent: (e) => r.events.push(e),
    });
    const m = await put(r.spool, envelope("alice@example.org", ["carol@tern.test", "bob@example.net"]));
    sched2.enqueue(m.id);
    await sched2.idle();
    const st = state(r, m.id);
    assert.equal(st.rcpts[0]!.status, "deferred");
    assert.equal(st.rcpts[0]!.lastReply, "local delivery is not configured");
    assert.equal(st.rcpts[1]!.status, "delivered");
    assert.equal(r.events.filter((e) => e.type === "dsn" || e.type === "bounced").length, 0);
    assert.equal(r.spool.list().length, 1, "no DSN spooled");
    await sched2.close();
  });

  it("an agent that throws or forgets a recipient → deferred, never lost", async () => {
    const r = await make();
    r.remote.deliver = (_m, rcpts) => Promise.resolve([{ recipient: rcpts[0]!, outcome: { status: "delivered" as const } }]);
    r.local.deliver = () => Promise.reject(new Error("disk on fire"));
    r.sched.start();
    const m = await put(r.spool, envelope("alice@example.org", ["a@example.net", "b@example.net", "c@tern.test"]));
    r.sched.enqueue(m.id);
    await r.sched.idle();
    const st = state(r, m.id);
    assert.deepEqual(st.rcpts.map((x) => x.status), ["delivered", "deferred", "deferred"]);
    assert.match(st.rcpts[1]!.lastReply!, /no result/);
    assert.match(st.rcpts[2]!.lastReply!, /disk on fire/);
  });

  it("the attempt is recorded in the spool BEFORE the agent is called", async () => {
    const r = await make();
    let seen: MessageState | undefined;
    r.remote.deliver = (msg, rcpts) => {
      seen = structuredClone(r.spool.get(msg.id)!.state) as unknown as MessageState;
      return Promise.resolve(rcpts.map((recipient) => ({ recipient, outcome: { status: "deferred" as const, reply: "451 later" } })));
    };
    r.sched.start();
    const m = await put(r.spool, envelope("alice@example.org", ["bob@example.net"]));
    r.sched.enqueue(m.id);
    await r.sched.idle();
    assert.equal(seen!.attempts, 1);
    assert.equal(seen!.rcpts[0]!.attempts, 1);
    assert.equal(seen!.rcpts[0]!.status, "queued");
  });

  it("flush, retry and delete", async () => {
    const r = await make();
    r.remote.script = () => ({ status: "deferred", reply: "451 later" });
    r.sched.start();
    const a = await put(r.spool, envelope("alice@example.org", ["a@example.net"]));
    const b = await put(r.spool, envelope("alice@example.org", ["b@example.net"]));
    r.sched.enqueue(a.id);
    r.sched.enqueue(b.id);
    await r.sched.idle();
    assert.equal(r.remote.calls.length, 2);
    assert.equal(r.sched.retry(a.id), true);
    await r.sched.idle();
    assert.equal(r.remote.calls.length, 3);
    assert.equal(r.remote.calls[2]!.id, a.id);
    assert.equal(r.sched.retry("nope"), false);
    assert.equal(r.sched.flush(), 2);
    await r.sched.idle();
    assert.equal(r.remote.calls.length, 5);
    assert.equal(await r.sched.delete(b.id), true);
    assert.equal(r.spool.get(b.id), undefined);
    assert.equal(r.events.filter((e) => e.type === "deleted").length, 1);
    assert.equal(r.spool.list().length, 1, "no DSN for a deleted message");
    const s = r.sched.stats();
    assert.equal(s.messages, 1);
    assert.equal(s.recipients.deferred, 1);
    assert.deepEqual(s.deferredByDomain, { "example.net": 1 });
  });

  it("suspend holds a domain; resume releases it", async () => {
    const r = await make();
    r.sched.start();
    r.sched.suspend("Example.NET");
    const m = await put(r.spool, envelope("alice@example.org", ["bob@example.net", "x@other.example"]));
    r.sched.enqueue(m.id);
    await r.sched.idle();
    assert.deepEqual(r.remote.calls.map((c) => c.rcpts), [["x@other.example"]]);
    assert.deepEqual(r.sched.stats().suspended, ["example.net"]);
    assert.equal(r.sched.resume("example.net"), 1);
    await r.sched.idle();
    assert.deepEqual(r.remote.calls.map((c) => c.rcpts), [["x@other.example"], ["bob@example.net"]]);
    assert.equal(r.spool.get(m.id), undefined);
  });

  it("a message for suspended domains only is held without an attempt until resume", async () => {
    const r = await make();
    r.sched.start();
    r.sched.suspend("example.net");
    const m = await put(r.spool, envelope("alice@example.org", ["bob@example.net", "carol@example.net"]));
    r.sched.enqueue(m.id);
    await r.sched.idle();
    assert.equal(r.remote.calls.length, 0);
    assert.equal(r.spool.get(m.id)?.state, undefined, "no attempt recorded");
    assert.ok(r.sched.dueAt(m.id)! > Date.now() + 86_400_000, "due at its expiry, not now");
    assert.equal(r.sched.resume("example.net"), 1);
    await r.sched.idle();
    assert.deepEqual(r.remote.calls.map((c) => c.rcpts), [["bob@example.net", "carol@example.net"]]);
    assert.equal(r.spool.get(m.id), undefined);
  });

  it("the DSN body of a bounce can be read back from the spool", async () => {
    const r = await make();
    r.remote.script = (rc) => rc.address === "alice@example.org" ? { status: "delivered" } : { status: "failed", reply: "550 5.1.1 no such user" };
    r.sched.start();
    const m = await put(r.spool, envelope("alice@example.org", ["bob@example.net"]));
    r.sched.enqueue(m.id);
    await r.sched.idle();
    const dsnEv = r.events.find((e) => e.type === "dsn")!;
    assert.equal(r.remote.calls.length, 2, "the DSN itself is delivered like any message");
    const body = dec.decode(r.remote.bodies[1]!);
    assert.match(body, /Final-Recipient: rfc822;bob@example\.net/);
    assert.ok(dsnEv.dsnId);
    assert.equal(r.spool.list().length, 0);
    void readAll;
    void HOUR;
  });
});
