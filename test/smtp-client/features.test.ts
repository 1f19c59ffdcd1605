// Extensions: STARTTLS and TLS policies, CHUNKING/BDAT, SMTPUTF8, 8BITMIME, SIZE, DSN, AUTH.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { testCert } from "../helpers/cert.ts";
import { BodyStore, clientFixtures, fakeResolver, message, text } from "./_helpers.ts";

const { rx, agent } = clientFixtures();

const BODY = "Subject: hi\r\n\r\n.dot\r\nbody\r\n";

describe("remote agent: TLS", () => {
  it("opportunistic STARTTLS to a self-signed receiver; EHLO again after TLS", async () => {
    const r = await rx({ tls: await testCert() });
    const store = new BodyStore();
    const a = agent(fakeResolver({ "one.test": { ports: [r.port] } }), store);
    const { msg, rcpts } = message(store, ["a@one.test"], BODY);
    const [res] = await a.deliver(msg, rcpts);
    assert.equal(res!.outcome.status, "delivered");
    const tx = r.transactions[0]!;
    assert.equal(tx.tls, true);
    assert.equal(text(tx.body), BODY);
    assert.deepEqual(r.sessions[0]!.commands.slice(0, 3), ["EHLO out.tern.test", "STARTTLS", "EHLO out.tern.test"]);
  });

  it('policy "none" never starts TLS', async () => {
    const r = await rx({ tls: await testCert() });
    const store = new BodyStore();
    const a = agent(fakeResolver({ "one.test": { ports: [r.port], tls: "none" } }), store);
    const { msg, rcpts } = message(store, ["a@one.test"]);
    assert.equal((await a.deliver(msg, rcpts))[0]!.outcome.status, "delivered");
    assert.equal(r.transactions[0]!.tls, false);
  });

  it('policy "required" without STARTTLS at the server → deferred, no transaction', async () => {
    const r = await rx();
    const store = new BodyStore();
    const a = agent(fakeResolver({ "one.test": { ports: [r.port], tls: "required" } }), store);
    const { msg, rcpts } = message(store, ["a@one.test"]);
    const [res] = await a.deliver(msg, rcpts);
    assert.equal(res!.outcome.status, "deferred");
    assert.match(res!.outcome.reply!, /does not offer STARTTLS/);
    assert.equal(r.transactions.length, 0);
  });

  it('policy "verify" rejects a self-signed certificate, accepts it when trusted', async () => {
    const cert = await testCert();
    const r = await rx({ tls: cert });
    const store = new BodyStore();
    const a = agent(fakeResolver({ "one.test": { ports: [r.port], tls: "verify", host: "localhost" } }), store);
    const m1 = message(store, ["a@one.test"]);
    const [r1] = await a.deliver(m1.msg, m1.rcpts);
    assert.equal(r1!.outcome.status, "deferred");
    assert.match(r1!.outcome.reply!, /TLS/);
    assert.equal(r.transactions.length, 0);
    // Deno's TLS (rustls/webpki) will not take a self-signed leaf as its own trust anchor
    // ("unable to verify the first certificate"); the trusted case runs on Bun.
    if ("Deno" in globalThis) return;
    const trusted = agent(fakeResolver({ "one.test": { ports: [r.port], tls: "verify", host: "localhost" } }), store, { tlsCa: cert.cert });
    const m2 = message(store, ["a@one.test"]);
    const [r2] = await trusted.deliver(m2.msg, m2.rcpts);
    assert.equal(r2!.outcome.status, "delivered", String(r2!.outcome.reply));
    assert.equal(r.transactions[0]!.tls, true);
  });
});

describe("remote agent: extensions", () => {
  it("uses BDAT when CHUNKING is offered (byte-exact, no dot-stuffing)", async () => {
    const r = await rx({ chunking: true });
    const store = new BodyStore(10);
    const a = agent(fakeResolver({ "one.test": { ports: [r.port] } }), store);
    const body = "Subject: x\r\n\r\n.a\r\n";
    const { msg, rcpts } = message(store, ["a@one.test"], body);
    const [res] = await a.deliver(msg, rcpts);
    assert.equal(res!.outcome.status, "delivered");
    const tx = r.transactions[0]!;
    assert.equal(tx.bdat, true);
    assert.equal(text(tx.body), body);
    assert.equal(
      text(tx.raw),
      "MAIL FROM:<sender@origin.test>\r\nRCPT TO:<a@one.test>\r\n" +
        "BDAT 10\r\nSubject: x" + "BDAT 8\r\n\r\n\r\n.a\r\n" + "BDAT 0 LAST\r\n",
    );
  });

  it("BDAT without PIPELINING waits for each chunk's reply", async () => {
    const r = await rx({ chunking: true, pipelining: false });
    const store = new BodyStore(7);
    const a = agent(fakeResolver({ "one.test": { ports: [r.port] } }), store);
    const { msg, rcpts } = message(store, ["a@one.test"], BODY);
    assert.equal((await a.deliver(msg, rcpts))[0]!.outcome.status, "delivered");
    assert.equal(text(r.transactions[0]!.body), BODY);
  });

  it("SMTPUTF8 needed but not offered → failed 5.6.7; offered → MAIL ... SMTPUTF8", async () => {
    const plain = await rx();
    const utf8 = await rx({ smtputf8: true });
    const store = new BodyStore();
    const a = agent(fakeResolver({ "one.test": { ports: [plain.port] }, "two.test": { ports: [utf8.port] } }), store);
    const m1 = message(store, ["a@one.test"], BODY, { smtputf8: true });
    const [r1] = await a.deliver(m1.msg, m1.rcpts);
    assert.equal(r1!.outcome.status, "failed");
    assert.equal((r1!.outcome as { enhanced: string }).enhanced, "5.6.7");
    assert.match(r1!.outcome.reply!, /SMTPUTF8/);
    assert.equal(plain.transactions.length, 0);
    const m2 = message(store, ["jörg@two.test"], BODY, { smtputf8: true });
    const [r2] = await a.deliver(m2.msg, m2.rcpts);
    assert.equal(r2!.outcome.status, "delivered");
    assert.equal(utf8.transactions[0]!.mailParams, "SMTPUTF8");
    assert.deepEqual(utf8.transactions[0]!.rcptTo, ["jörg@two.test"]);
  });

  it("passes BODY=8BITMIME, SIZE, and DSN parameters when offered", async () => {
    const r = await rx({ size: 1_000_000, dsn: true });
    const store = new BodyStore();
    const a = agent(fakeResolver({ "one.test": { ports: [r.port] } }), store);
    const { msg, rcpts } = message(store, ["a@one.test"], BODY, { body: "8BITMIME", dsn: { ret: "HDRS", envid: "e 1" } });
    rcpts[0]!.notify = ["FAILURE"];
    rcpts[0]!.orcpt = "rfc822;a@one.test";
    assert.equal((await a.deliver(msg, rcpts))[0]!.outcome.status, "delivered");
    const tx = r.transactions[0]!;
    assert.equal(tx.mailParams, `SIZE=${msg.size} BODY=8BITMIME RET=HDRS ENVID=e+201`);
    assert.deepEqual(tx.rcptParams, ["NOTIFY=FAILURE ORCPT=rfc822;a@one.test"]);
  });

  it("a message over the server's SIZE fails with 5.3.4 before sending", async () => {
    const r = await rx({ size: 10 });
    const store = new BodyStore();
    const a = agent(fakeResolver({ "one.test": { ports: [r.port] } }), store);
    const { msg, rcpts } = message(store, ["a@one.test"], BODY);
    const [res] = await a.deliver(msg, rcpts);
    assert.equal(res!.outcome.status, "failed");
    assert.equal((res!.outcome as { enhanced: string }).enhanced, "5.3.4");
    assert.equal(r.transactions.length, 0);
  });
});

describe("remote agent: AUTH to a smarthost", () => {
  const creds = { user: "relay-user", password: "relay-pass" };

  it("AUTH PLAIN after STARTTLS", async () => {
    const r = await rx({ tls: await testCert(), auth: creds });
    const store = new BodyStore();
    const a = agent(fakeResolver({ "one.test": { ports: [r.port], tls: "required", auth: creds } }), store);
    const { msg, rcpts } = message(store, ["a@one.test"]);
    assert.equal((await a.deliver(msg, rcpts))[0]!.outcome.status, "delivered");
    assert.equal(r.transactions[0]!.auth, "relay-user");
    assert.ok(r.sessions[0]!.commands.some((c) => c.startsWith("AUTH PLAIN ")));
  });

  it("AUTH LOGIN when PLAIN is not offered", async () => {
    const r = await rx({ tls: await testCert(), auth: { ...creds, mechanisms: ["LOGIN"] } });
    const store = new BodyStore();
    const a = agent(fakeResolver({ "one.test": { ports: [r.port], tls: "required", auth: creds } }), store);
    const { msg, rcpts } = message(store, ["a@one.test"]);
    assert.equal((await a.deliver(msg, rcpts))[0]!.outcome.status, "delivered");
    assert.equal(r.transactions[0]!.auth, "relay-user");
  });

  it("bad credentials → deferred; no credentials over plaintext", async () => {
    const r = await rx({ tls: await testCert(), auth: creds });
    const plain = await rx({ auth: creds });
    const store = new BodyStore();
    const a = agent(fakeResolver({
      "one.test": { ports: [r.port], tls: "required", auth: { ...creds, password: "wrong" } },
      "two.test": { ports: [plain.port], tls: "opportunistic", auth: creds },
    }), store);
    const m1 = message(store, ["a@one.test"]);
    const [r1] = await a.deliver(m1.msg, m1.rcpts);
    assert.equal(r1!.outcome.status, "deferred");
    assert.match(r1!.outcome.reply!, /535 5\.7\.8/);
    const m2 = message(store, ["a@two.test"]);
    const [r2] = await a.deliver(m2.msg, m2.rcpts);
    assert.equal(r2!.outcome.status, "deferred");
    assert.match(r2!.outcome.reply!, /without TLS/);
    assert.ok(!plain.sessions[0]!.commands.some((c) => c.startsWith("AUTH")));
  });
});
