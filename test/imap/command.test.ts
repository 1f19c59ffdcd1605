import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseCommand } from "../../src/proto/imap/command.ts";
import { formatSeqSet, parseSeqSet, selectSorted } from "../../src/proto/imap/seqset.ts";
import { astr, dateTime, str } from "../../src/proto/imap/response.ts";
import { parseDateTime } from "../../src/proto/imap/search-keys.ts";

const enc = new TextEncoder();
const p = (s: string) => parseCommand(enc.encode(s));
function cmd(s: string) {
  const r = p(s);
  if (r.kind !== "ok") throw new Error(r.message);
  return r.cmd;
}

describe("IMAP command parser", () => {
  it("parses LOGIN with atoms, quoted strings and literals", () => {
    assert.deepEqual(cmd("a LOGIN alice \"p w\\\"x\""), { name: "LOGIN", user: "alice", password: 'p w"x' });
    assert.deepEqual(cmd("a LOGIN {5}\r\nalice {3+}\r\np\r\n"), { name: "LOGIN", user: "alice", password: "p\r\n" });
  });

  it("parses FETCH items, macros, sections and partials", () => {
    const c = cmd("a UID FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (From Subject)] BODY[1.2.MIME] BODY[]<0.100> RFC822.SIZE)");
    assert.equal(c.name, "FETCH");
    if (c.name !== "FETCH") return;
    assert.equal(c.uid, true);
    assert.deepEqual(c.items[2], { kind: "body", peek: true, section: { part: [], text: { kind: "fields", not: false, fields: ["FROM", "SUBJECT"] } } });
    assert.deepEqual(c.items[3], { kind: "body", peek: false, section: { part: [1, 2], text: { kind: "mime" } } });
    assert.deepEqual(c.items[4], { kind: "body", peek: false, section: { part: [], text: { kind: "all" } }, partial: { start: 0, length: 100 } });
    const m = cmd("a FETCH 1 FAST");
    assert.equal(m.name === "FETCH" && m.items.length, 3);
    const cs = cmd("a FETCH 1:* (FLAGS) (CHANGEDSINCE 12)");
    assert.equal(cs.name === "FETCH" && cs.changedSince, 12);
  });

  it("parses STORE forms", () => {
    assert.deepEqual(cmd("a STORE 1:3 +FLAGS.SILENT (\\Seen $Junk)"), {
      name: "STORE", uid: false, set: [[1, 3]], mode: "add", silent: true, flags: ["\\Seen", "$Junk"],
    });
    const u = cmd("a UID STORE 5 (UNCHANGEDSINCE 7) -FLAGS \\Deleted");
    assert.equal(u.name === "STORE" && u.mode, "remove");
    assert.equal(u.name === "STORE" && u.unchangedSince, 7);
  });

  it("parses SEARCH keys", () => {
    const c = cmd('a UID SEARCH CHARSET UTF-8 OR FROM "bob" NOT SEEN SINCE 1-Feb-2024 UID 1:* 2,4 (LARGER 10 SMALLER 99)');
    assert.equal(c.name, "SEARCH");
    if (c.name !== "SEARCH") return;
    assert.equal(c.key.kind, "and");
  });

  it("parses APPEND with flags and date", () => {
    const c = cmd('a APPEND Sent (\\Seen) "14-Nov-2023 22:13:20 +0100" {3}\r\nabc');
    assert.equal(c.name, "APPEND");
    if (c.name !== "APPEND") return;
    assert.deepEqual(c.flags, ["\\Seen"]);
    assert.equal(c.date, Date.UTC(2023, 10, 14, 21, 13, 20));
    assert.equal(new TextDecoder().decode(c.message), "abc");
  });

  it("parses LIST, STATUS, SELECT (CONDSTORE), ENABLE, ID, UID EXPUNGE", () => {
    assert.deepEqual(cmd('a LIST "" "*"'), { name: "LIST", reference: "", patterns: ["*"], specialUseOnly: false, subscribedOnly: false });
    assert.deepEqual(cmd("a LIST (SPECIAL-USE) \"\" % RETURN (CHILDREN)"), { name: "LIST", reference: "", patterns: ["%"], specialUseOnly: true, subscribedOnly: false });
    assert.deepEqual(cmd("a STATUS INBOX (MESSAGES UIDNEXT)"), { name: "STATUS", mailbox: "INBOX", items: ["MESSAGES", "UIDNEXT"] });
    assert.deepEqual(cmd("a SELECT INBOX (CONDSTORE)"), { name: "SELECT", mailbox: "INBOX", condstore: true });
    assert.deepEqual(cmd("a ENABLE CONDSTORE"), { name: "ENABLE", capabilities: ["CONDSTORE"] });
    assert.deepEqual(cmd('a ID ("name" "x")'), { name: "ID", params: { name: "x" } });
    assert.deepEqual(cmd("a UID EXPUNGE 3:5"), { name: "UID EXPUNGE", uid: true, set: [[3, 5]] });
  });

  it("says BAD with the tag and a reason for malformed commands", () => {
    for (const bad of ["a FOO", "a FETCH x FLAGS", "a FETCH 1 (FLAGS", "a LOGIN", 'a LOGIN "x', "a STORE 1 FLAGZ x",
      "a FETCH 0 FLAGS", "a LOGIN {10}\r\nabc", "a SEARCH BEFORE 32-Foo-2020", "a NOOP extra", "a FETCH 1 BODY[FOO]"]) {
      const r = p(bad);
      assert.equal(r.kind, "bad", bad);
      assert.equal(r.tag, "a", bad);
      assert.ok(r.kind === "bad" && r.message.length > 0);
    }
    assert.equal(p("").kind, "bad");
  });
});

describe("sequence sets and formatting", () => {
  it("selects from sorted values with * and reversed ranges", () => {
    const uids = [2, 5, 9, 10, 40];
    assert.deepEqual(selectSorted(uids, parseSeqSet("1:5,40:*"), 40), [0, 1, 4]);
    assert.deepEqual(selectSorted(uids, parseSeqSet("*:9"), 40), [2, 3, 4]);
    assert.equal(formatSeqSet([1, 2, 3, 5, 7, 8]), "1:3,5,7:8");
  });
  it("formats strings, atoms and dates", () => {
    assert.equal(str('a"b\\'), '"a\\"b\\\\"');
    assert.equal(str("é"), "{2}\r\né");
    assert.equal(astr("Sent"), "Sent");
    assert.equal(astr("a b"), '"a b"');
    assert.equal(dateTime(Date.UTC(2023, 10, 4, 1, 2, 3)), '" 4-Nov-2023 01:02:03 +0000"');
    assert.equal(parseDateTime(" 4-Nov-2023 01:02:03 +0000"), Date.UTC(2023, 10, 4, 1, 2, 3));
  });
});
