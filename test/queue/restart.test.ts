import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { MessageState } from "../../src/queue/types.ts";
import { envelope, FakeClock, HOUR, put, rig, type Rig, rmDir, tmpDir } from "./_helpers.ts";

const dirs: string[] = [];
const open: Rig[] = [];
after(async () => {
  for (const r of open) await r.stop();
  for (const d of dirs) rmDir(d);
});

function newDir(): string {
  const d = tmpDir();
  dirs.push(d);
  return d;
}

async function start(dir: string, clock: FakeClock): Promise<Rig> {
  const r = await rig({}, dir, clock);
  open.push(r);
  return r;
}

async function stop(r: Rig): Promise<void> {
  open.splice(open.indexOf(r), 1);
  await r.stop();
}

describe("queue restart", () => {
  it("a restart in the middle: state reloaded from the spool, each recipient delivered once", async () => {
    const dir = newDir();
    const clock = new FakeClock();
    const a = await start(dir, clock);
    a.remote.script = (rc) => (rc.address === "b@example.net" ? { status: "deferred", reply: "451 later" } : { status: "delivered" });
    a.sched.start();
    const m = await put(a.spool, envelope("s@example.org", ["a@example.net", "b@example.net", "c@tern.test"]));
    const fresh = await put(a.spool, envelope("s@example.org", ["d@example.net"])); // committed, never scheduled
    a.sched.enqueue(m.id);
    await a.sched.idle();
    assert.deepEqual(a.remote.calls.map((c) => c.rcpts), [["a@example.net", "b@example.net"]]);
    await stop(a); // "crash" after the outcomes were stored

    clock.advance(60_000);
    const b = await start(dir, clock); // re-open the spool, new scheduler, new agents
    b.sched.start();
    await b.sched.idle();
    assert.deepEqual(b.remote.calls.map((c) => c.rcpts), [["d@example.net"]], "the new message at once; b not before its time");
    assert.equal(b.spool.get(fresh.id), undefined);
    const st = b.spool.get(m.id)!.state as unknown as MessageState;
    assert.deepEqual(st.rcpts.map((r) => r.status), ["delivered", "deferred", "delivered"]);
    assert.equal(st.attempts, 1);
    assert.equal(b.sched.dueAt(m.id), st.rcpts[1]!.nextAttemptAt);

    clock.advance(st.rcpts[1]!.nextAttemptAt! - clock.now());
    await b.sched.idle();
    assert.deepEqual(b.remote.calls.map((c) => c.rcpts), [["d@example.net"], ["b@example.net"]]);
    assert.equal(b.spool.get(m.id), undefined);
    const all = new Map<string, number>();
    for (const x of [a, b]) for (const [k, v] of [...x.remote.delivered, ...x.local.delivered]) all.set(k, (all.get(k) ?? 0) + v);
    assert.deepEqual([...all].sort(), [["a@example.net", 1], ["b@example.net", 1], ["c@tern.test", 1], ["d@example.net", 1]]);
  });

  it("the one duplicate window: delivered, but the crash came before the outcome reached disk", async () => {
    const dir = newDir();
    const clock = new FakeClock();
    const a = await start(dir, clock);
    let release!: () => void;
    const hang = new Promise<void>((res) => (release = res));
    a.remote.deliver = async (_msg, rcpts) => {
      a.remote.delivered.set(rcpts[0]!.address, 1); // the remote MX said 250 ...
      await hang; // ... and we crash before storing it
      return rcpts.map((recipient) => ({ recipient, outcome: { status: "delivered" as const } }));
    };
    a.sched.start();
    const m = await put(a.spool, envelope("s@example.org", ["x@example.net"]));
    a.sched.enqueue(m.id);
    await new Promise((res) => setTimeout(res, 20));
    open.splice(open.indexOf(a), 1);
    await a.spool.close(); // the crash: the scheduler never got to store the outcome

    const b = await start(dir, clock);
    const st = b.spool.get(m.id)!.state as unknown as MessageState;
    assert.equal(st.attempts, 1, "the attempt itself was on disk before the agent ran");
    assert.equal(st.rcpts[0]!.status, "queued");
    b.sched.start();
    await b.sched.idle();
    assert.equal(b.remote.calls.length, 0, "a crash during an attempt is retried at backoff, not at once");
    clock.advance(st.rcpts[0]!.nextAttemptAt! - clock.now());
    await b.sched.idle();
    assert.equal(b.remote.delivered.get("x@example.net"), 1, "delivered again after the restart (at least once)");
    assert.equal(b.spool.get(m.id), undefined);
    release();
    await a.sched.close(); // the old scheduler's late update fails cleanly on the closed spool
  });

  it("a DSN owed at the crash is sent after the restart", async () => {
    const dir = newDir();
    const clock = new FakeClock();
    const a = await start(dir, clock);
    const m = await put(a.spool, envelope("s@example.org", ["x@example.net", "y@example.net"]));
    const st: MessageState = {
      v: 1,
      attempts: 1,
      lastAttemptAt: clock.now(),
      rcpts: [
        { address: "x@example.net", status: "bounced", attempts: 1, lastReply: "550 5.1.1 gone", dsnPending: "failed" },
        { address: "y@example.net", status: "delivered", attempts: 1 },
      ],
    };
    await a.spool.update(m.id, st as unknown as Record<string, unknown>);
    await stop(a);

    const b = await start(dir, clock);
    b.sched.start();
    await b.sched.idle();
    assert.equal(b.spool.get(m.id), undefined);
    assert.deepEqual(b.remote.calls.map((c) => c.rcpts), [["s@example.org"]], "only the DSN is delivered");
    assert.equal(b.events.filter((e) => e.type === "dsn").length, 1);
  });

  it("expiry is computed from the spool time, across restarts", async () => {
    const dir = newDir();
    const clock = new FakeClock();
    const a = await start(dir, clock);
    a.remote.script = () => ({ status: "deferred", reply: "421 busy" });
    a.sched.start();
    const m = await put(a.spool, envelope("s@example.org", ["x@example.net"]));
    a.sched.enqueue(m.id);
    await a.sched.idle();
    await stop(a);
    clock.advance(200 * HOUR); // down for longer than maxAge (120 h in the rig)
    const b = await start(dir, clock);
    b.sched.start();
    await b.sched.idle();
    assert.equal(b.spool.get(m.id), undefined);
    // (only the original: the spool stamps the DSN with the real time, 200 h behind the fake clock)
    assert.equal(b.events.filter((e) => e.type === "expired" && e.id === m.id).length, 1);
    assert.equal(b.events.filter((e) => e.type === "dsn" && e.id === m.id).length, 1);
    assert.equal(b.remote.calls.filter((c) => c.id === m.id).length, 0, "no attempt after expiry");
  });
});
