// Pool: reuse, idle timeout, per-destination limits, timeouts on stalled receivers.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { TokenBucket } from "../../src/smtp/client/rate.ts";
import { BodyStore, clientFixtures, countingDialer, fakeResolver, message } from "./_helpers.ts";

const { rx, agent } = clientFixtures();

/** three domains on the same MX set share one pool key */
function threeDomains(port: number) {
  const key = `mx:127.0.0.1:${port}`;
  return fakeResolver({ "a.test": { ports: [port], key }, "b.test": { ports: [port], key }, "c.test": { ports: [port], key } });
}

describe("connection pool", () => {
  it("reuses an idle connection (no new TCP connection), RSET between messages", async () => {
    const r = await rx();
    const store = new BodyStore();
    const dialer = countingDialer();
    const a = agent(threeDomains(r.port), store, {}, dialer);
    const domains = ["a.test", "b.test", "c.test"];
    for (let i = 0; i < 10; i++) {
      const { msg, rcpts } = message(store, [`u${i}@${domains[i % 3]}`]);
      const [res] = await a.deliver(msg, rcpts);
      assert.equal(res!.outcome.status, "delivered");
    }
    assert.equal(r.connections, 1);
    assert.equal(dialer.connects, 1);
    assert.equal(r.transactions.length, 10);
    const s = a.stats();
    assert.equal(s.opened, 1);
    assert.equal(s.reused, 9);
    assert.equal(s.inUse, 0);
    assert.equal(s.idle, 1);
    assert.equal(r.sessions[0]!.commands.filter((c) => c === "RSET").length, 9);
  });

  it("concurrent messages to 3 domains use at most maxConnectionsPerDestination connections", async () => {
    const r = await rx();
    const store = new BodyStore();
    const a = agent(threeDomains(r.port), store, { maxConnectionsPerDestination: 2 });
    const domains = ["a.test", "b.test", "c.test"];
    const jobs = [];
    for (let i = 0; i < 10; i++) {
      const { msg, rcpts } = message(store, [`u${i}@${domains[i % 3]}`]);
      jobs.push(a.deliver(msg, rcpts));
    }
    const res = (await Promise.all(jobs)).flat();
    assert.ok(res.every((x) => x.outcome.status === "delivered"));
    assert.ok(r.connections <= 2, `connections: ${r.connections}`);
    assert.equal(r.transactions.length, 10);
    assert.equal(a.stats().opened + a.stats().reused, 10);
  });

  it("maxMessagesPerConnection: a new connection after the limit", async () => {
    const r = await rx();
    const store = new BodyStore();
    const a = agent(threeDomains(r.port), store, { maxMessagesPerConnection: 2 });
    for (let i = 0; i < 4; i++) {
      const { msg, rcpts } = message(store, [`u${i}@a.test`]);
      await a.deliver(msg, rcpts);
    }
    assert.equal(r.connections, 2);
    assert.ok(r.sessions[0]!.commands.includes("QUIT"));
  });

  it("per-destination overrides by domain", async () => {
    const r = await rx();
    const store = new BodyStore();
    const a = agent(threeDomains(r.port), store, { destinations: { "a.test": { maxMessagesPerConnection: 1 } } });
    for (let i = 0; i < 3; i++) {
      const { msg, rcpts } = message(store, [`u${i}@a.test`]);
      await a.deliver(msg, rcpts);
    }
    assert.equal(r.connections, 3);
  });

  it("recipients of one destination go in one transaction, split at maxRecipientsPerTransaction", async () => {
    const r = await rx();
    const store = new BodyStore();
    const a = agent(threeDomains(r.port), store, { maxRecipientsPerTransaction: 2 });
    const { msg, rcpts } = message(store, ["1@a.test", "2@b.test", "3@c.test", "4@a.test", "5@b.test"]);
    const res = await a.deliver(msg, rcpts);
    assert.equal(res.length, 5);
    assert.ok(res.every((x) => x.outcome.status === "delivered"));
    assert.deepEqual(r.transactions.map((t) => t.rcptTo.length).sort(), [1, 2, 2]);
  });

  it("the idle timeout closes pooled connections (one sweep), with QUIT", async () => {
    const r = await rx();
    const store = new BodyStore();
    const a = agent(threeDomains(r.port), store, { idleTimeout: 0.05 });
    const { msg, rcpts } = message(store, ["u@a.test"]);
    await a.deliver(msg, rcpts);
    await r.waitUntil(() => r.openConnections === 0);
    assert.equal(a.stats().idle, 0);
    assert.equal(r.sessions[0]!.commands.at(-1), "QUIT");
    // the next message opens a new connection
    const m2 = message(store, ["v@a.test"]);
    assert.equal((await a.deliver(m2.msg, m2.rcpts))[0]!.outcome.status, "delivered");
    assert.equal(r.connections, 2);
  });

  it("a connection closed by the server while idle is not reused: a fresh one is opened", async () => {
    const r = await rx();
    const store = new BodyStore();
    const a = agent(threeDomains(r.port), store);
    const m1 = message(store, ["u@a.test"]);
    await a.deliver(m1.msg, m1.rcpts);
    r.dropConnections();
    await r.waitUntil(() => r.openConnections === 0);
    const m2 = message(store, ["v@a.test"]);
    assert.equal((await a.deliver(m2.msg, m2.rcpts))[0]!.outcome.status, "delivered");
    assert.equal(r.connections, 2);
    assert.equal(r.transactions.length, 2);
  });

  it("close() quits idle connections and defers later deliveries", async () => {
    const r = await rx();
    const store = new BodyStore();
    const a = agent(threeDomains(r.port), store);
    const m1 = message(store, ["u@a.test"]);
    await a.deliver(m1.msg, m1.rcpts);
    a.close();
    await r.waitUntil(() => r.openConnections === 0);
    const m2 = message(store, ["v@a.test"]);
    const [res] = await a.deliver(m2.msg, m2.rcpts);
    assert.equal(res!.outcome.status, "deferred");
    assert.equal(r.connections, 1);
  });
});

describe("timeouts on stalled receivers", () => {
  const quick = { connectTimeout: 1, timeouts: { greeting: 0.1, mail: 0.1, rcpt: 0.1, dataInit: 0.1, dataBlock: 0.1, dataEnd: 0.1 } };
  for (const step of ["greeting", "ehlo", "mail", "rcpt", "data", "dataEnd"] as const) {
    it(`stalled at ${step} → deferred after the timeout, connection dropped`, async () => {
      const r = await rx({ stallAt: step });
      const store = new BodyStore();
      const a = agent(threeDomains(r.port), store, quick);
      const { msg, rcpts } = message(store, ["u@a.test"]);
      const [res] = await a.deliver(msg, rcpts);
      assert.equal(res!.outcome.status, "deferred");
      assert.match(res!.outcome.reply!, /timeout/);
      await r.waitUntil(() => r.openConnections === 0);
      assert.equal(a.stats().idle, 0);
    });
  }
});

describe("token bucket", () => {
  it("serves a burst at once, then waiters in FIFO order", async () => {
    const b = new TokenBucket(100, Date.now, 2);
    await b.take();
    await b.take();
    const order: number[] = [];
    const ps = [1, 2, 3].map((i) => b.take().then(() => order.push(i)));
    assert.equal(b.waiting, 3);
    await Promise.all(ps);
    assert.deepEqual(order, [1, 2, 3]);
    b.close();
  });

  it("messagesPerSecond limits a destination without losing messages", async () => {
    const r = await rx();
    const store = new BodyStore();
    const a = agent(threeDomains(r.port), store, { messagesPerSecond: 200 });
    const jobs = [];
    for (let i = 0; i < 5; i++) {
      const { msg, rcpts } = message(store, [`u${i}@a.test`]);
      jobs.push(a.deliver(msg, rcpts));
    }
    const res = (await Promise.all(jobs)).flat();
    assert.ok(res.every((x) => x.outcome.status === "delivered"));
    assert.equal(r.transactions.length, 5);
  });
});
