// End-to-end: the remote agent against test receivers on 127.0.0.1.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { startReceiver } from "../helpers/smtp-receiver.ts";
import { BodyStore, clientFixtures, countingDialer, fakeResolver, message, text, WholeBodyStore } from "./_helpers.ts";

const { rx, agent } = clientFixtures();

/** A port where nothing listens (connection refused). */
async function deadPort(): Promise<number> {
  const r = await startReceiver();
  const p = r.port;
  await r.close();
  return p;
}

const BODY = "Subject: hi\r\n\r\n.dot line\r\nbody\r\n.\r\nend\r\n";

describe("remote agent: transactions", () => {
  it("pipelines MAIL, every RCPT and DATA in one write; byte-exact at the receiver", async () => {
    const r = await rx();
    const store = new BodyStore();
    const dialer = countingDialer();
    const a = agent(fakeResolver({ "one.test": { ports: [r.port] } }), store, {}, dialer);
    const { msg, rcpts } = message(store, ["a@one.test", "b@one.test"], BODY);
    const res = await a.deliver(msg, rcpts);
    assert.deepEqual(res.map((x) => x.outcome.status), ["delivered", "delivered"]);
    assert.equal(res[0]!.outcome.host, "127.0.0.1");
    assert.equal(r.transactions.length, 1);
    const tx = r.transactions[0]!;
    const envelope = "MAIL FROM:<sender@origin.test>\r\nRCPT TO:<a@one.test>\r\nRCPT TO:<b@one.test>\r\nDATA\r\n";
    const stuffed = "Subject: hi\r\n\r\n..dot line\r\nbody\r\n..\r\nend\r\n.\r\n";
    assert.equal(text(tx.raw), envelope + stuffed);
    assert.equal(text(tx.body), BODY);
    assert.ok(dialer.writes.some((w) => text(w) === envelope), "envelope sent in one write");
    assert.equal(r.sessions[0]!.commands[0], "EHLO out.tern.test");
  });

  it("small bodies go out whole from a reused buffer: byte-exact, dots stuffed, many dots by the copy path", async () => {
    const r = await rx();
    const store = new WholeBodyStore();
    const a = agent(fakeResolver({ "one.test": { ports: [r.port] } }), store, { maxConnectionsPerDestination: 1 });
    const manyDots = "Subject: dots\r\n\r\n" + ".\r\n".repeat(400) + "end\r\n"; // more dots than the buffer's spare room
    const bodies = [BODY, manyDots, "Subject: big\r\n\r\n" + "x".repeat(70_000) + "\r\n.x\r\n", BODY.replace("body", "BODY two"), "no final line break"];
    for (const b of bodies) {
      const { msg, rcpts } = message(store, ["a@one.test"], b);
      const res = await a.deliver(msg, rcpts);
      assert.equal(res[0]!.outcome.status, "delivered");
    }
    assert.equal(store.wholeReads, bodies.length);
    assert.equal(r.sessions.length, 1, "one connection, reused");
    assert.deepEqual(r.transactions.map((t) => text(t.body)), bodies.map((b) => (b.endsWith("\r\n") ? b : b + "\r\n")));
    assert.ok(text(r.transactions[1]!.raw).includes("\r\n..\r\n..\r\n"), "line-initial dots doubled");
  });

  it("sends one command at a time when PIPELINING is not offered", async () => {
    const r = await rx({ pipelining: false });
    const store = new BodyStore();
    const dialer = countingDialer();
    const a = agent(fakeResolver({ "one.test": { ports: [r.port] } }), store, {}, dialer);
    const { msg, rcpts } = message(store, ["a@one.test", "b@one.test"], BODY);
    const res = await a.deliver(msg, rcpts);
    assert.deepEqual(res.map((x) => x.outcome.status), ["delivered", "delivered"]);
    for (const w of dialer.writes) {
      const t = text(w);
      if (/^(MAIL|RCPT|DATA)/.test(t)) assert.equal(t.split("\r\n").length, 2, `one command per write: ${JSON.stringify(t)}`);
    }
    assert.equal(text(r.transactions[0]!.body), BODY);
  });

  it("per-recipient outcomes: 2xx delivered, 4xx deferred, 5xx failed with the enhanced code", async () => {
    const r = await rx({
      rcpt: (a) => (a.startsWith("temp") ? "450 4.2.1 mailbox busy" : a.startsWith("perm") ? "550 5.1.1 no such user" : undefined),
    });
    const store = new BodyStore();
    const a = agent(fakeResolver({ "one.test": { ports: [r.port] } }), store);
    const { msg, rcpts } = message(store, ["ok@one.test", "temp@one.test", "perm@one.test", "nobody@nullmx.test", "x@nx.test", "y@tempfail.test", "bad address@one.test"]);
    const res = await a.deliver(msg, rcpts);
    const by = Object.fromEntries(res.map((x) => [x.recipient.address, x.outcome]));
    assert.equal(res.length, 7);
    assert.equal(by["ok@one.test"]!.status, "delivered");
    assert.deepEqual(by["temp@one.test"], { status: "deferred", reply: "450 4.2.1 mailbox busy", host: "127.0.0.1" });
    assert.deepEqual(by["perm@one.test"], { status: "failed", reply: "550 5.1.1 no such user", host: "127.0.0.1", enhanced: "5.1.1" });
    assert.equal(by["nobody@nullmx.test"]!.status, "failed");
    assert.equal((by["nobody@nullmx.test"] as { enhanced: string }).enhanced, "5.1.10");
    assert.equal((by["x@nx.test"] as { enhanced: string }).enhanced, "5.1.2");
    assert.equal(by["y@tempfail.test"]!.status, "deferred");
    assert.equal(by["bad address@one.test"]!.status, "failed");
    assert.deepEqual(r.transactions[0]!.rcptTo, ["ok@one.test"]);
  });

  it("MAIL refused: every recipient gets that outcome, the pipelined DATA is answered", async () => {
    const r = await rx({ mail: () => "550 5.7.1 sender blocked" });
    const store = new BodyStore();
    const a = agent(fakeResolver({ "one.test": { ports: [r.port] } }), store);
    const { msg, rcpts } = message(store, ["a@one.test", "b@one.test"]);
    const res = await a.deliver(msg, rcpts);
    assert.deepEqual(res.map((x) => x.outcome.status), ["failed", "failed"]);
    assert.equal(res[0]!.outcome.reply, "550 5.7.1 sender blocked");
    assert.equal(r.transactions.length, 0);
  });

  it("final reply 5xx fails, 4xx defers the accepted recipients", async () => {
    let n = 0;
    const r = await rx({ dataReply: () => (++n === 1 ? "554 5.6.0 content rejected" : "452 4.3.1 disk full") });
    const store = new BodyStore();
    const a = agent(fakeResolver({ "one.test": { ports: [r.port] } }), store);
    const m1 = message(store, ["a@one.test"]);
    assert.equal((await a.deliver(m1.msg, m1.rcpts))[0]!.outcome.status, "failed");
    const m2 = message(store, ["a@one.test"]);
    assert.equal((await a.deliver(m2.msg, m2.rcpts))[0]!.outcome.status, "deferred");
  });

  it("falls back to the next MX on connection refused and on a 421 greeting", async () => {
    const dead = await deadPort();
    const busy = await rx({ greeting: "421 4.3.2 too busy" });
    const good = await rx();
    const store = new BodyStore();
    const a = agent(fakeResolver({ "one.test": { ports: [dead, busy.port, good.port] } }), store);
    const { msg, rcpts } = message(store, ["a@one.test"]);
    const res = await a.deliver(msg, rcpts);
    assert.equal(res[0]!.outcome.status, "delivered");
    assert.equal(busy.connections, 1);
    assert.equal(good.transactions.length, 1);
  });

  it("defers with the last error when every MX fails", async () => {
    const dead = await deadPort();
    const store = new BodyStore();
    const a = agent(fakeResolver({ "one.test": { ports: [dead] } }), store);
    const { msg, rcpts } = message(store, ["a@one.test"]);
    const [res] = await a.deliver(msg, rcpts);
    assert.equal(res!.outcome.status, "deferred");
    assert.match(res!.outcome.reply!, /^451 4\.4\.1 127\.0\.0\.1: connect to 127\.0\.0\.1:\d+ failed/);
  });

  it("a drop mid-DATA defers, or goes to the next MX", async () => {
    const dropper = await rx({ dropMidData: 1000 });
    const good = await rx();
    const store = new BodyStore(512);
    const body = "Subject: big\r\n\r\n" + "x".repeat(100) + "\r\n".repeat(1) + "y".repeat(5000) + "\r\n";
    const a = agent(fakeResolver({ "one.test": { ports: [dropper.port] }, "two.test": { ports: [dropper.port, good.port] } }), store);
    const m1 = message(store, ["a@one.test"], body);
    const [r1] = await a.deliver(m1.msg, m1.rcpts);
    assert.equal(r1!.outcome.status, "deferred");
    assert.equal(dropper.transactions.length, 0);
    const m2 = message(store, ["a@two.test"], body);
    const [r2] = await a.deliver(m2.msg, m2.rcpts);
    assert.equal(r2!.outcome.status, "delivered");
    assert.equal(text(good.transactions[0]!.body), body);
  });

  it("a garbage greeting is a protocol error: deferred, not a crash", async () => {
    const r = await rx({ greeting: "hello, I am not SMTP" });
    const store = new BodyStore();
    const a = agent(fakeResolver({ "one.test": { ports: [r.port] } }), store);
    const { msg, rcpts } = message(store, ["a@one.test"]);
    const [res] = await a.deliver(msg, rcpts);
    assert.equal(res!.outcome.status, "deferred");
    assert.match(res!.outcome.reply!, /malformed reply/);
  });

  it("falls back to HELO when EHLO is refused", async () => {
    const r = await rx({ ehlo: false });
    const store = new BodyStore();
    const a = agent(fakeResolver({ "one.test": { ports: [r.port] } }), store);
    const { msg, rcpts } = message(store, ["a@one.test"], BODY);
    const [res] = await a.deliver(msg, rcpts);
    assert.equal(res!.outcome.status, "delivered");
    assert.deepEqual(r.sessions[0]!.commands.slice(0, 2), ["EHLO out.tern.test", "HELO out.tern.test"]);
    assert.equal(text(r.transactions[0]!.body), BODY);
  });

  it("streams a large body with backpressure (drain) intact", async () => {
    const r = await rx();
    const store = new BodyStore();
    const dialer = countingDialer(true);
    const a = agent(fakeResolver({ "one.test": { ports: [r.port] } }), store, {}, dialer);
    const line = ".".repeat(10) + "0123456789".repeat(7) + "\r\n";
    const body = new TextEncoder().encode("Subject: large\r\n\r\n" + line.repeat(30_000)); // 2.5 MB
    const { msg, rcpts } = message(store, ["a@one.test"], body);
    const [res] = await a.deliver(msg, rcpts);
    assert.equal(res!.outcome.status, "delivered");
    const got = r.transactions[0]!.body;
    assert.equal(got.length, body.length);
    assert.equal(Buffer.compare(got, body), 0);
    assert.ok(dialer.blocked > 0, "write() reported backpressure at least once");
  });
});
