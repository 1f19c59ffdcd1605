// \Recent (RFC 3501 §2.3.2): recent in exactly one session, driven over the fake store.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ImapHarness, msg } from "./harness.ts";
import { RecentSet, unclaimedCount } from "../../src/imap/recent.ts";
import { FakeImapStore } from "../helpers/fake-imap-store.ts";

async function session(store?: FakeImapStore): Promise<ImapHarness> {
  const h = new ImapHarness(store);
  await h.login();
  return h;
}

const line = (r: string, re: RegExp) => r.split("\r\n").find((l) => re.test(l));

describe("IMAP \\Recent", () => {
  it("the first SELECT gets the new messages as RECENT, a second session gets 0", async () => {
    const a = await session();
    await a.deliver("INBOX", msg("one"), ["\\Seen"]);
    await a.deliver("INBOX", msg("two"));
    const r = await a.send("s SELECT INBOX\r\n");
    assert.match(r, /\* 2 EXISTS\r\n\* 2 RECENT\r\n/);
    const b = await session(a.store);
    assert.match(await b.send("s SELECT INBOX\r\n"), /\* 2 EXISTS\r\n\* 0 RECENT\r\n/);
    assert.match(await b.send("f FETCH 1:* FLAGS\r\n"), /\* 1 FETCH \(FLAGS \(\\Seen\)\)\r\n\* 2 FETCH \(FLAGS \(\)\)\r\n/);
    // a re-SELECT in the first session: the claim was spent
    assert.match(await a.send("t SELECT INBOX\r\n"), /\* 0 RECENT\r\n/);
  });

  it("FETCH FLAGS shows \\Recent; STORE never sets or clears it", async () => {
    const a = await session();
    await a.deliver("INBOX", msg("one"), ["\\Seen"]);
    await a.deliver("INBOX", msg("two"));
    await a.send("s SELECT INBOX\r\n");
    assert.match(await a.send("f FETCH 1:* (UID FLAGS)\r\n"),
      /\* 1 FETCH \(UID 1 FLAGS \(\\Seen \\Recent\)\)\r\n\* 2 FETCH \(UID 2 FLAGS \(\\Recent\)\)\r\nf OK/);
    assert.match(await a.send("a STORE 2 FLAGS (\\Flagged \\Recent)\r\n"), /\* 2 FETCH \(FLAGS \(\\Flagged \\Recent\)\)\r\na OK/);
    assert.match(await a.send("b STORE 1 -FLAGS (\\Recent \\Seen)\r\n"), /\* 1 FETCH \(FLAGS \(\\Recent\)\)\r\nb OK/);
    assert.deepEqual(a.box().get("INBOX").msgs.map((m) => m.flags), [[], ["\\Flagged"]]); // never stored
    assert.match(await a.send("c APPEND Junk (\\Recent \\Seen) {5}\r\n"), /^\+ /);
    assert.match(await a.send("hello\r\n"), /c OK \[APPENDUID/);
    assert.deepEqual(a.box().get("Junk").msgs[0]!.flags, ["\\Seen"]);
  });

  it("a delivery while selected is announced with EXISTS and RECENT, to one session only", async () => {
    const a = await session();
    await a.deliver("INBOX", msg("one"));
    await a.send("s SELECT INBOX\r\n");
    const b = await session(a.store);
    await b.send("s SELECT INBOX\r\n");
    await a.deliver("INBOX", msg("two"));
    const ra = await a.send("n NOOP\r\n");
    assert.match(ra, /\* 2 EXISTS\r\n\* 2 RECENT\r\n/); // both messages are recent here
    const rb = await b.send("n NOOP\r\n");
    assert.match(rb, /\* 2 EXISTS\r\n\* 0 RECENT\r\n/); // a took it first
    assert.match(await a.send("f FETCH 2 FLAGS\r\n"), /\* 2 FETCH \(FLAGS \(\\Recent\)\)/);
    assert.match(await b.send("f FETCH 2 FLAGS\r\n"), /\* 2 FETCH \(FLAGS \(\)\)/);
    // b syncs first this time: the third message is recent in b alone
    await a.deliver("INBOX", msg("three"));
    assert.match(await b.send("n NOOP\r\n"), /\* 3 EXISTS\r\n\* 1 RECENT\r\n/);
    assert.match(await a.send("n NOOP\r\n"), /\* 3 EXISTS\r\n\* 2 RECENT\r\n/);
    assert.equal(line(await a.send("r SEARCH RECENT\r\n"), /^\* SEARCH/), "* SEARCH 1 2");
    assert.equal(line(await b.send("r SEARCH RECENT\r\n"), /^\* SEARCH/), "* SEARCH 3");
  });

  it("IDLE hears EXISTS and RECENT for an arrival", async () => {
    const a = await session();
    await a.send("s SELECT INBOX\r\n");
    assert.equal(await a.send("i IDLE\r\n"), "+ idling\r\n");
    await a.deliver("INBOX", msg("one"));
    await new Promise((r) => setTimeout(r, 0));
    assert.equal(a.sends.slice(-1)[0], "* 1 EXISTS\r\n* 1 RECENT\r\n");
    assert.match(await a.send("DONE\r\n"), /^i OK/);
  });

  it("EXAMINE sees unclaimed messages as recent but never claims them", async () => {
    const a = await session();
    await a.deliver("INBOX", msg("one"));
    await a.deliver("INBOX", msg("two"));
    assert.match(await a.send("e EXAMINE INBOX\r\n"), /\* 2 RECENT\r\n/);
    assert.match(await a.send("f FETCH 1 FLAGS\r\n"), /\* 1 FETCH \(FLAGS \(\\Recent\)\)/);
    const b = await session(a.store);
    assert.match(await b.send("e EXAMINE INBOX\r\n"), /\* 2 RECENT\r\n/);
    assert.match(await b.send("s SELECT INBOX\r\n"), /\* 2 RECENT\r\n/); // still unclaimed
    assert.match(await a.send("e EXAMINE INBOX\r\n"), /\* 0 RECENT\r\n/);
    // a delivery while examined: recent in the examining session, still claimable
    await a.deliver("INBOX", msg("three"));
    assert.match(await a.send("n NOOP\r\n"), /\* 3 EXISTS\r\n\* 1 RECENT\r\n/);
    assert.match(await b.send("n NOOP\r\n"), /\* 3 EXISTS\r\n\* 3 RECENT\r\n/);
  });

  it("SEARCH RECENT, NEW (recent and unseen), OLD (not recent)", async () => {
    const a = await session();
    await a.deliver("INBOX", msg("old one"));
    await a.send("s SELECT INBOX\r\n");
    await a.send("c CLOSE\r\n");
    await a.deliver("INBOX", msg("new seen"), ["\\Seen"]);
    await a.deliver("INBOX", msg("new unseen"));
    assert.match(await a.send("s SELECT INBOX\r\n"), /\* 3 EXISTS\r\n\* 2 RECENT\r\n/);
    const q = async (k: string) => line(await a.send(`q ${k}\r\n`), /^\* SEARCH/);
    assert.equal(await q("SEARCH RECENT"), "* SEARCH 2 3");
    assert.equal(await q("SEARCH NEW"), "* SEARCH 3");
    assert.equal(await q("SEARCH OLD"), "* SEARCH 1");
    assert.equal(await q("SEARCH NOT RECENT"), "* SEARCH 1");
    assert.equal(await q("UID SEARCH OR OLD NEW"), "* SEARCH 1 3");
    assert.equal(await q("SEARCH UNSEEN OLD"), "* SEARCH 1");
  });

  it("STATUS RECENT counts unclaimed messages; on the selected mailbox, this session's", async () => {
    const a = await session();
    await a.deliver("Junk", msg("spam"));
    await a.deliver("Junk", msg("more spam"));
    assert.match(await a.send("t STATUS Junk (MESSAGES RECENT)\r\n"), /\* STATUS Junk \(MESSAGES 2 RECENT 2\)/);
    assert.match(await a.send("t STATUS Junk (RECENT)\r\n"), /RECENT 2\)/); // STATUS does not claim
    const b = await session(a.store);
    await b.send("s SELECT Junk\r\n");
    assert.match(await b.send("t STATUS Junk (RECENT)\r\n"), /RECENT 2\)/);
    assert.match(await a.send("t STATUS Junk (RECENT)\r\n"), /RECENT 0\)/);
    await a.deliver("Junk", msg("third"));
    assert.match(await a.send("t STATUS Junk (RECENT UNSEEN)\r\n"), /RECENT 1 UNSEEN 3\)/);
  });

  it("COPY and APPEND make new messages, recent for the next SELECT of the target", async () => {
    const a = await session();
    await a.deliver("INBOX", msg("one"));
    await a.send("s SELECT INBOX\r\n");
    await a.send("c COPY 1 Trash\r\n");
    const b = await session(a.store);
    assert.match(await b.send("s SELECT Trash\r\n"), /\* 1 EXISTS\r\n\* 1 RECENT\r\n/);
    assert.match(await b.send("f FETCH 1 FLAGS\r\n"), /FLAGS \(\\Recent\)/);
  });

  it("the claim range: one threshold, ranges only when another session took some in between", () => {
    const store = new FakeImapStore();
    const f = store.box("a@x.test").get("INBOX");
    const add = () => f.append(new TextEncoder().encode("x\r\n"));
    return (async () => {
      for (let i = 0; i < 3; i++) await add();
      const a = new RecentSet(f, true);
      assert.equal(a.empty, true);
      a.see(3);
      assert.deepEqual([1, 2, 3, 4].map((u) => a.has(u)), [true, true, true, false]);
      await add();
      const b = new RecentSet(f, true);
      b.see(4); // b selects before a syncs
      await add();
      a.see(5);
      assert.deepEqual([1, 2, 3, 4, 5].map((u) => a.has(u)), [true, true, true, false, true]);
      assert.equal(a.count([1, 2, 3, 4, 5]), 4);
      assert.deepEqual([3, 4, 5].map((u) => b.has(u)), [false, true, false]);
      assert.equal(unclaimedCount(f, f.list()), 0);
      await add();
      assert.equal(unclaimedCount(f, f.list()), 1);
      const ro = new RecentSet(f, false);
      ro.see(6);
      assert.equal(ro.has(6), true);
      assert.equal(unclaimedCount(f, f.list()), 1);
    })();
  });
});
