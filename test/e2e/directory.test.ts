// End to end through the directory: aliases and catch-all (server.directory and the
// `tern alias` CLI against the running server's dataDir), and quota (deferred 4.2.2,
// kept queued, never bounced; delivered once there is room).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { MessageState } from "../../src/queue/types.ts";
import { runTern } from "../helpers/child.ts";
import { RawClient } from "../helpers/smtp-client.ts";
import { ALICE, BOB, delivered, type E2e, folderOf, SLOW, smtpSend, startE2e, storedBodies, until } from "./_helpers.ts";

let e: E2e;
before(async () => {
  e = await startE2e();
});
after(async () => {
  await e?.stop();
});

/** the reply code to RCPT TO:<address> on the MX port */
async function rcptCode(address: string): Promise<number> {
  const c = await RawClient.connect(e.t.smtp);
  try {
    await c.hello("client.example");
    c.send(`MAIL FROM:<sender@example.org>\r\nRCPT TO:<${address}>\r\nRSET\r\n`);
    await c.expect("250 ");
    const r = await c.reply();
    await c.expect("250 ");
    return r.code;
  } finally {
    await c.quit();
  }
}

async function emptyInboxes(): Promise<void> {
  for (const u of [ALICE, BOB]) {
    const f = await folderOf(e, u);
    const uids = f.list().map((m) => m.uid);
    if (uids.length) await f.expunge(uids);
  }
}

const stateOf = (id: string) => e.t.server.spool.get(id)?.state as unknown as MessageState | undefined;

describe("aliases and catch-all", () => {
  it("an alias added through server.directory fans out to local users and spools a copy for its remote target", SLOW, async () => {
    await emptyInboxes();
    e.t.server.directory.addAlias("team@tern.test", [ALICE, BOB, "partner@example.net"]);
    const [id] = await smtpSend(e.t.smtp, [{ to: ["team@tern.test"], body: "Subject: to the team\r\n\r\nhello team\r\n" }]);
    await delivered(e, [id!]);
    for (const u of [ALICE, BOB]) {
      const got = await storedBodies(await folderOf(e, u));
      assert.equal(got.length, 1, u);
      assert.match(got[0]!, new RegExp(`^Return-Path: <sender@example\\.org>\\r\\nDelivered-To: ${u.replace(".", "\\.")}\\r\\nReceived: `));
      assert.match(got[0]!, /\r\n\r\nhello team\r\n$/);
    }
    const ev = e.events.find((x) => x.id === id && x.type === "delivered");
    assert.equal(ev?.recipient, "team@tern.test");
    // the remote target: a new queued message from the original sender, deferred (no DNS here)
    const fwd = e.t.server.spool.list().find((m) => m.envelope.rcptTo.some((r) => r.address === "partner@example.net"));
    assert.ok(fwd, "forwarded copy spooled");
    assert.equal(fwd.envelope.mailFrom, "sender@example.org");
    await until(() => stateOf(fwd.id)?.rcpts[0]?.status === "deferred", "the forwarded copy is tried and deferred");
    e.t.server.directory.removeAlias("team@tern.test");
  });

  it("`tern alias add` on the running server's dataDir: an alias and a catch-all take effect without a restart", SLOW, async () => {
    await emptyInboxes();
    const env = { TERN_DATA_DIR: e.dataDir, TERN_DOMAINS: "tern.test" };
    assert.equal(await rcptCode("sales@tern.test"), 550);
    assert.equal(await rcptCode("anything@tern.test"), 550);
    const a = await runTern(["alias", "add", "sales@tern.test", BOB], env);
    assert.equal(a.code, 0, a.stderr);
    const c = await runTern(["alias", "add", "@tern.test", ALICE], env);
    assert.equal(c.code, 0, c.stderr);
    // the server notices the directory change by itself (data_version, checked every 20 ms)
    await until(async () => (await rcptCode("anything@tern.test")) === 250, "catch-all accepted");
    assert.equal(await rcptCode("sales@tern.test"), 250);
    const ids = await smtpSend(e.t.smtp, [
      { to: ["sales@tern.test"], body: "Subject: sales\r\n\r\nfor sales\r\n" },
      { to: ["Nobody.Here@tern.test"], body: "Subject: catch\r\n\r\nfor anyone\r\n" },
      { to: [BOB], body: "Subject: direct\r\n\r\nfor bob himself\r\n" }, // a user beats the catch-all
    ]);
    await delivered(e, ids);
    const bob = await storedBodies(await folderOf(e, BOB));
    const alice = await storedBodies(await folderOf(e, ALICE));
    assert.deepEqual(bob.map((b) => /Subject: (\w+)/.exec(b)![1]), ["sales", "direct"]);
    assert.deepEqual(alice.map((b) => /Subject: (\w+)/.exec(b)![1]), ["catch"]);
    assert.match(alice[0]!, /^Return-Path: <sender@example\.org>\r\nDelivered-To: alice@tern\.test\r\n/);
    assert.match(alice[0]!, /\tfor <Nobody\.Here@tern\.test>;/);
    assert.deepEqual(e.events.filter((x) => ids.includes(x.id) && x.type !== "queued").map((x) => x.type), ["delivered", "delivered", "delivered"]);
    const d = await runTern(["alias", "del", "@tern.test"], env);
    assert.equal(d.code, 0, d.stderr);
    await until(async () => (await rcptCode("anything@tern.test")) === 550, "catch-all gone");
  });
});

describe("quota", () => {
  it("a message over the user's quota is deferred with 4.2.2 and kept queued (no bounce); delivered once there is room", SLOW, async () => {
    await emptyInboxes();
    e.t.server.directory.setQuota(BOB, 1000);
    const [small] = await smtpSend(e.t.smtp, [{ to: [BOB], body: "Subject: small\r\n\r\nfits\r\n" }]);
    await delivered(e, [small!]);
    const big = "Subject: big\r\n\r\n" + "x".repeat(76).concat("\r\n").repeat(20);
    const [id] = await smtpSend(e.t.smtp, [{ to: [BOB], body: big }]);
    await until(() => stateOf(id!)?.rcpts[0]?.status === "deferred", "deferred");
    const st = stateOf(id!)!;
    assert.match(st.rcpts[0]!.lastReply!, /^452 4\.2\.2 mailbox full <bob@tern\.test>/);
    assert.ok(st.rcpts[0]!.nextAttemptAt! > Date.now(), "a retry is scheduled");
    const ev = e.events.find((x) => x.id === id && x.type === "deferred");
    assert.equal(ev?.agent, "local");
    assert.match(ev!.reply!, /4\.2\.2/);
    assert.ok(!e.events.some((x) => x.id === id && (x.type === "bounced" || x.type === "dsn")), "no bounce");
    assert.equal((await folderOf(e, BOB)).list().length, 1, "only the small message");
    // room again (quota raised): an operator retry delivers it
    e.t.server.directory.setQuota(BOB, 0);
    assert.equal(e.t.server.queue.scheduler.retry(id!), true);
    await delivered(e, [id!]);
    const got = await storedBodies(await folderOf(e, BOB));
    assert.equal(got.length, 2);
    assert.ok(got[1]!.endsWith("\r\n\r\n" + big.slice(big.indexOf("\r\n\r\n") + 4)));
  });
});
