import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type World, world } from "./_helpers.ts";

let w: World;
before(async () => {
  w = await world();
  w.directory.addDomain("example.com");
  w.directory.addDomain("catch.example");
  await w.directory.addUser("alice@example.com", { password: "a" });
  await w.directory.addUser("bob@example.com", { password: "b", advertisingFolder: true });
  await w.directory.addUser("small@example.com", { password: "s", quota: 600 });
  w.directory.addAlias("team@example.com", ["alice@example.com", "bob@example.com", "friend@remote.example"]);
  w.directory.addAlias("@catch.example", ["alice@example.com"]);
});
after(() => w.close());

const msg = (subject: string, extra = "") => `From: x@sender.example\r\nSubject: ${subject}\r\n${extra}\r\nHello.\r\n`;

describe("local delivery", () => {
  it("stores the message byte-exact with Return-Path and Delivered-To prepended", async () => {
    const body = "From: x@sender.example\r\nSubject: exact\r\n\r\nline 1\r\n\x00\xff binary\r\n.\r\n";
    const m = await w.queue("x@sender.example", ["Alice@example.com"], Buffer.from(body, "latin1"));
    const res = await w.agent().deliver(m, m.envelope.rcptTo);
    assert.equal(res.length, 1);
    assert.equal(res[0]!.outcome.status, "delivered", JSON.stringify(res));
    const texts = await w.texts("alice@example.com");
    assert.equal(texts.at(-1), `Return-Path: <x@sender.example>\r\nDelivered-To: alice@example.com\r\n${body}`);
    const inbox = await (await w.store.mailbox("alice@example.com")).folder("INBOX");
    const last = inbox.list().at(-1)!;
    assert.equal(last.size, Buffer.byteLength(texts.at(-1)!, "latin1"));
  });

  it("null sender gives Return-Path: <>; unknown user fails 5.1.1", async () => {
    const m = await w.queue("", ["alice@example.com", "nobody@example.com"], msg("bounce"));
    const [ok, bad] = await w.agent().deliver(m, m.envelope.rcptTo);
    assert.equal(ok!.outcome.status, "delivered");
    assert.equal(bad!.outcome.status, "failed");
    assert.match(bad!.outcome.reply!, /^550 5\.1\.1 /);
    assert.ok((await w.texts("alice@example.com")).at(-1)!.startsWith("Return-Path: <>\r\n"));
  });

  it("aliases: local copies plus a spooled copy for the remote target, from the original sender", async () => {
    const before = (await w.texts("bob@example.com")).length;
    const m = await w.queue("x@sender.example", ["team@example.com"], msg("team"));
    const [r] = await w.agent().deliver(m, m.envelope.rcptTo);
    assert.equal(r!.outcome.status, "delivered", JSON.stringify(r));
    assert.ok((await w.texts("alice@example.com")).at(-1)!.includes("Delivered-To: alice@example.com\r\nFrom: x@sender.example\r\nSubject: team"));
    assert.equal((await w.texts("bob@example.com")).length, before + 1);
    const fwd = w.spooled.at(-1)!;
    assert.equal(fwd.envelope.mailFrom, "x@sender.example");
    assert.deepEqual(fwd.envelope.rcptTo.map((x) => x.address), ["friend@remote.example"]);
    const parts: Uint8Array[] = [];
    for await (const c of w.spool.readBody(fwd.id)) parts.push(c);
    assert.equal(Buffer.concat(parts).toString(), `Delivered-To: team@example.com\r\n${msg("team")}`);
    // the forwarded copy coming back to the alias is a loop
    const back = await w.queue("x@sender.example", ["team@example.com"], Buffer.concat(parts));
    const [loop] = await w.agent().deliver(back, back.envelope.rcptTo);
    assert.equal(loop!.outcome.status, "failed");
    assert.match(loop!.outcome.reply!, /^554 5\.4\.6/);
  });

  it("catch-all delivers any local part of the domain", async () => {
    const m = await w.queue("x@sender.example", ["whatever@catch.example"], msg("catch-all"));
    const [r] = await w.agent().deliver(m, m.envelope.rcptTo);
    assert.equal(r!.outcome.status, "delivered");
    assert.match((await w.texts("alice@example.com")).at(-1)!, /Subject: catch-all/);
  });

  it("over quota is deferred with 4.2.2 and nothing is stored", async () => {
    const first = await w.queue("x@sender.example", ["small@example.com"], msg("fits"));
    assert.equal((await w.agent().deliver(first, first.envelope.rcptTo))[0]!.outcome.status, "delivered");
    const big = await w.queue("x@sender.example", ["small@example.com"], msg("too big", `X-Pad: ${"x".repeat(600)}\r\n`));
    const [r] = await w.agent().deliver(big, big.envelope.rcptTo);
    assert.equal(r!.outcome.status, "deferred");
    assert.match(r!.outcome.reply!, /^452 4\.2\.2 mailbox full/);
    assert.equal((await w.texts("small@example.com")).length, 1);
  });

  it("X-Spam-Flag: YES goes to Junk; bulk mail to Advertising only for users who enabled it", async () => {
    const spam = await w.queue("x@sender.example", ["alice@example.com"], msg("spam", "X-Spam-Flag: YES\r\n"));
    await w.agent().deliver(spam, spam.envelope.rcptTo);
    assert.match((await w.texts("alice@example.com", "Junk")).at(-1)!, /Subject: spam/);
    const bulk = await w.queue("x@sender.example", ["alice@example.com", "bob@example.com"], msg("newsletter", "List-Unsubscribe:\r\n <https://x.example/u>\r\n"));
    const res = await w.agent().deliver(bulk, bulk.envelope.rcptTo);
    assert.ok(res.every((r) => r.outcome.status === "delivered"));
    assert.match((await w.texts("bob@example.com", "Advertising")).at(-1)!, /Subject: newsletter/);
    assert.match((await w.texts("alice@example.com")).at(-1)!, /Subject: newsletter/);
    const prec = await w.queue("x@sender.example", ["bob@example.com"], msg("precedence", "Precedence: bulk\r\n"));
    await w.agent().deliver(prec, prec.envelope.rcptTo);
    assert.match((await w.texts("bob@example.com", "Advertising")).at(-1)!, /Subject: precedence/);
  });

  it("config rules: folder, reject, discard; header matching reads only the header section", async () => {
    const agent = w.agent({
      rules: [
        { match: { header: { name: "subject", pattern: "^\\[tern\\]" } }, action: "folder", folder: "Lists.Tern" },
        { match: { envelopeFrom: "@evil\\.example$" }, action: "reject" },
        { match: { envelopeTo: "^bob@", header: { name: "X-Drop", pattern: "." } }, action: "discard" },
      ],
    });
    const list = await w.queue("l@lists.example", ["alice@example.com"], msg("[tern] release"));
    assert.equal((await agent.deliver(list, list.envelope.rcptTo))[0]!.outcome.status, "delivered");
    assert.match((await w.texts("alice@example.com", "Lists.Tern")).at(-1)!, /release/);
    const evil = await w.queue("bad@evil.example", ["alice@example.com"], msg("hi"));
    const [rej] = await agent.deliver(evil, evil.envelope.rcptTo);
    assert.equal(rej!.outcome.status, "failed");
    assert.match(rej!.outcome.reply!, /^550 5\.7\.1/);
    const before = (await w.texts("bob@example.com")).length;
    const drop = await w.queue("x@sender.example", ["bob@example.com"], msg("drop", "X-Drop: 1\r\n"));
    assert.equal((await agent.deliver(drop, drop.envelope.rcptTo))[0]!.outcome.status, "delivered");
    assert.equal((await w.texts("bob@example.com")).length, before);
    // a "Subject: [tern]" line in the body is not a header
    const inBody = await w.queue("x@sender.example", ["alice@example.com"], `Subject: plain\r\n\r\nSubject: [tern] not a header\r\n${"y".repeat(200_000)}\r\n`);
    await agent.deliver(inBody, inBody.envelope.rcptTo);
    assert.match((await w.texts("alice@example.com")).at(-1)!, /Subject: plain/);
    assert.throws(() => w.agent({ rules: [{ match: { envelopeFrom: "(" }, action: "reject" }] }), /filters\.rules\[0\]\.match\.envelopeFrom: invalid regular expression/);
  });

  it("concurrent deliveries to one mailbox get distinct UIDs and files", async () => {
    const agent = w.agent();
    const msgs = await Promise.all(Array.from({ length: 20 }, (_, i) => w.queue("x@sender.example", ["bob@example.com"], msg(`parallel ${i}`))));
    const before = (await w.texts("bob@example.com")).length;
    const res = await Promise.all(msgs.map((m) => agent.deliver(m, m.envelope.rcptTo)));
    assert.ok(res.flat().every((r) => r.outcome.status === "delivered"));
    const inbox = await (await w.store.mailbox("bob@example.com")).folder("INBOX");
    const uids = inbox.list().map((m) => m.uid);
    assert.equal(new Set(uids).size, uids.length);
    const texts = await w.texts("bob@example.com");
    assert.equal(texts.length, before + 20);
    for (let i = 0; i < 20; i++) assert.equal(texts.filter((t) => t.includes(`Subject: parallel ${i}\r\n`)).length, 1);
  });
});
