import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MessageState } from "../../src/queue/types.ts";
import type { QueuedMessage } from "../../src/spool/types.ts";
import { parseDsn } from "./_dsn.ts";
import { BODY, dec, envelope, HOUR, put, type Rig, rigs } from "./_helpers.ts";

const make = rigs(true);

/** fail every recipient at example.net with 550; deliver the rest (the DSNs) */
function failNet(r: Rig, reply = "550 5.1.1 no such user"): void {
  r.remote.script = (rc) =>
    rc.address.endsWith("@example.net") ? { status: "failed", reply, host: "mx1.example.net" } : { status: "delivered", reply: "250 ok" };
}

/** DSN messages handed to the agents: [envelope, raw text] */
function dsns(r: Rig): { msg: QueuedMessage; raw: string }[] {
  return r.remote.calls.flatMap((c, i) => {
    const raw = dec.decode(r.remote.bodies[i]!);
    return raw.includes("report-type=delivery-status") ? [{ msg: { id: c.id } as QueuedMessage, raw }] : [];
  });
}

async function send(r: Rig, from: string, to: Parameters<typeof envelope>[1], extra: Parameters<typeof envelope>[2] = {}) {
  const m = await put(r.spool, envelope(from, to, extra));
  r.sched.enqueue(m.id);
  await r.sched.idle();
  return m;
}

describe("bounces and DSNs through the scheduler", () => {
  it("5xx → ONE DSN (for all failed recipients) to the sender, with the RFC 3464 structure", async () => {
    const r = await make();
    failNet(r);
    const dsnEnvelopes: QueuedMessage[] = [];
    const orig = r.spool.begin.bind(r.spool);
    r.spool.begin = () => {
      const w = orig();
      const commit = w.commit.bind(w);
      w.commit = async (env) => {
        const q = await commit(env);
        if (q.envelope.mailFrom === "") dsnEnvelopes.push(q);
        return q;
      };
      return w;
    };
    const m = await send(r, "alice@example.org", [
      { address: "bob@example.net", orcpt: "rfc822;bob@example.net" },
      "carol@example.net",
      "dave@example.com",
    ], { dsn: { envid: "E1" } });
    assert.equal(r.spool.get(m.id), undefined, "every recipient final → removed");
    const d = dsns(r);
    assert.equal(d.length, 1);
    assert.equal(dsnEnvelopes.length, 1);
    assert.equal(dsnEnvelopes[0]!.envelope.mailFrom, "");
    assert.deepEqual(dsnEnvelopes[0]!.envelope.rcptTo.map((x) => x.address), ["alice@example.org"]);
    const p = parseDsn(d[0]!.raw);
    assert.equal(p.status[0]!.get("original-envelope-id"), "E1");
    assert.equal(p.status[0]!.get("reporting-mta"), "dns;mx.tern.test");
    const per = p.status.slice(1);
    assert.deepEqual(per.map((x) => x.get("final-recipient")), ["rfc822;bob@example.net", "rfc822;carol@example.net"]);
    assert.equal(per[0]!.get("original-recipient"), "rfc822;bob@example.net");
    assert.equal(per[1]!.has("original-recipient"), false);
    assert.deepEqual(per.map((x) => x.get("action")), ["failed", "failed"]);
    assert.deepEqual(per.map((x) => x.get("status")), ["5.1.1", "5.1.1"]);
    assert.equal(per[0]!.get("remote-mta"), "dns;mx1.example.net");
    assert.equal(per[0]!.get("diagnostic-code"), "smtp;550 5.1.1 no such user");
    assert.equal(p.parts[2]!.body, BODY.slice(0, BODY.indexOf("\r\n\r\n") + 2));
    const types = r.events.filter((e) => e.id === m.id).map((e) => e.type).sort();
    assert.deepEqual(types, ["bounced", "bounced", "delivered", "dsn", "queued", "queued", "queued"]);
  });

  it("RET=FULL: the original message is returned whole, streamed from the spool", async () => {
    const r = await make();
    failNet(r);
    await send(r, "alice@example.org", ["bob@example.net"], { dsn: { ret: "FULL" } });
    const p = parseDsn(dsns(r)[0]!.raw);
    assert.equal(p.parts[2]!.headers.get("content-type"), "message/rfc822");
    assert.equal(p.parts[2]!.body, BODY);
  });

  it("expiry at queue.maxAge → expired, DSN with Action failed / 4.4.7, message removed", async () => {
    const r = await make({ maxAgeMs: 10 * HOUR, delayWarningMs: 0 });
    r.remote.script = (rc) =>
      rc.address === "bob@example.net" ? { status: "deferred", reply: "451 4.4.1 no answer", host: "mx1.example.net" } : { status: "delivered" };
    const m = await send(r, "alice@example.org", ["bob@example.net"]);
    let guard = 0;
    while (r.spool.get(m.id) !== undefined && guard++ < 100) {
      r.clock.advance(r.sched.dueAt(m.id)! - r.clock.now());
      await r.sched.idle();
    }
    assert.equal(r.spool.get(m.id), undefined);
    assert.ok(r.clock.now() - m.committedAt >= 10 * HOUR);
    assert.ok(r.clock.now() - m.committedAt < 10 * HOUR + 1000, "expired at the deadline, not later");
    const p = parseDsn(dsns(r)[0]!.raw);
    assert.equal(p.status[1]!.get("action"), "failed");
    assert.equal(p.status[1]!.get("status"), "4.4.7");
    assert.equal(p.status[1]!.get("diagnostic-code"), "smtp;451 4.4.1 no answer");
    assert.equal(r.events.filter((e) => e.type === "expired").length, 1);
    assert.equal(dsns(r).length, 1);
  });

  it("a <> sender is never bounced: the failure is dropped with an event", async () => {
    const r = await make();
    failNet(r);
    const m = await send(r, "", ["bob@example.net"]);
    assert.equal(r.spool.get(m.id), undefined);
    assert.equal(r.spool.list().length, 0);
    assert.equal(dsns(r).length, 0);
    const dropped = r.events.filter((e) => e.type === "dropped");
    assert.equal(dropped.length, 1);
    assert.match(dropped[0]!.reply!, /sender is <>/);
  });

  it("a DSN that itself bounces is dropped (no bounce loop)", async () => {
    const r = await make();
    r.remote.script = () => ({ status: "failed", reply: "550 nobody here" });
    await send(r, "ghost@example.net", ["bob@example.net"]);
    assert.equal(r.remote.calls.length, 2, "the original, then its DSN; nothing more");
    assert.equal(r.events.filter((e) => e.type === "dsn").length, 1);
    assert.equal(r.events.filter((e) => e.type === "dropped").length, 1);
    assert.equal(r.spool.list().length, 0);
  });

  it("NOTIFY=NEVER: bounced without a DSN", async () => {
    const r = await make();
    failNet(r);
    const m = await send(r, "alice@example.org", [{ address: "bob@example.net", notify: ["NEVER"] }]);
    assert.equal(r.spool.get(m.id), undefined);
    assert.equal(dsns(r).length, 0);
    assert.equal(r.events.filter((e) => e.type === "bounced").length, 1);
    assert.equal(r.events.filter((e) => e.type === "dsn" || e.type === "dropped").length, 0);
  });

  it("NOTIFY=SUCCESS: a delivered DSN; NOTIFY=DELAY: one delay DSN after the delay, once", async () => {
    const r = await make({ delayWarningMs: 1 * HOUR });
    let slow = true;
    r.remote.script = (rc) =>
      rc.address === "slow@example.com" && slow ? { status: "deferred", reply: "451 4.7.1 greylisted" } : { status: "delivered", reply: "250 ok" };
    await send(r, "alice@example.org", [{ address: "ok@example.com", notify: ["SUCCESS"] }]);
    let d = dsns(r);
    assert.equal(d.length, 1);
    const p = parseDsn(d[0]!.raw);
    assert.equal(p.status[1]!.get("action"), "delivered");
    assert.equal(p.status[1]!.get("status"), "2.0.0");

    const m = await send(r, "alice@example.org", [{ address: "slow@example.com", notify: ["DELAY", "FAILURE"] }]);
    for (let i = 0; i < 6; i++) {
      r.clock.advance(r.sched.dueAt(m.id)! - r.clock.now());
      await r.sched.idle();
    }
    d = dsns(r);
    assert.equal(d.length, 2, "exactly one delay DSN");
    const q = parseDsn(d[1]!.raw);
    assert.equal(q.status[1]!.get("action"), "delayed");
    assert.equal(q.status[1]!.get("status"), "4.7.1");
    assert.ok(q.status[1]!.get("will-retry-until"));
    const st = r.spool.get(m.id)!.state as unknown as MessageState;
    assert.equal(st.rcpts[0]!.delayNotified, true);
    slow = false;
    r.sched.retry(m.id);
    await r.sched.idle();
    assert.equal(r.spool.get(m.id), undefined);
    assert.equal(dsns(r).length, 2, "no success DSN without NOTIFY=SUCCESS");
  });
});
