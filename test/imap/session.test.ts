import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ImapHarness, msg } from "./harness.ts";

const SLOW = { timeout: 60_000 };

async function selected(over = {}) {
  const h = new ImapHarness(undefined, over);
  await h.login();
  await h.deliver("INBOX", msg("one"), ["\\Seen"]);
  await h.deliver("INBOX", msg("two"));
  await h.deliver("INBOX", msg("three"), ["\\Flagged"]);
  const r = await h.send("s SELECT INBOX\r\n");
  assert.match(r, /s OK \[READ-WRITE\]/);
  return h;
}

describe("IMAP session", () => {
  it("greets with capabilities and enforces LOGINDISABLED without TLS", async () => {
    const h = new ImapHarness(undefined, { allowInsecureAuth: false });
    assert.match(h.sends[0]!, /^\* OK \[CAPABILITY IMAP4rev1 .*STARTTLS LOGINDISABLED\]/);
    assert.match(await h.send("a LOGIN alice@x.test pw\r\n"), /^a NO \[PRIVACYREQUIRED\]/);
    assert.match(await h.send("b STARTTLS\r\nc NOOP\r\n"), /^b OK/);
    assert.equal(h.tls, 1);
    const r = await h.send("d CAPABILITY\r\n");
    assert.match(r, /AUTH=PLAIN/);
    assert.doesNotMatch(r, /STARTTLS|LOGINDISABLED|c OK/);
    assert.match(await h.send("e LOGIN alice@x.test pw\r\n"), /e OK \[CAPABILITY .*UIDPLUS/);
  });

  it("refuses commands in the wrong state and bad syntax with BAD", async () => {
    const h = new ImapHarness();
    assert.match(await h.send("a SELECT INBOX\r\n"), /^a BAD/);
    assert.match(await h.send("b FETCH 1 (FLAGS\r\n"), /^b BAD expected/);
    assert.match(await h.send("\r\n"), /^\* BAD/);
    await h.login();
    assert.match(await h.send("c FETCH 1 FLAGS\r\n"), /^c BAD FETCH needs a selected mailbox/);
  });

  it("AUTHENTICATE PLAIN with SASL-IR and with a continuation; failures are NO then BYE", async () => {
    const h = new ImapHarness();
    const b64 = Buffer.from("\0alice@x.test\0pw").toString("base64");
    assert.match(await h.send(`a AUTHENTICATE PLAIN ${b64}\r\n`), /^a OK/);
    const k = new ImapHarness();
    assert.equal(await k.send("a AUTHENTICATE PLAIN\r\n"), "+ \r\n");
    assert.match(await k.send(`${b64}\r\n`), /^a OK/);
    const f = new ImapHarness();
    assert.match(await f.send("a LOGIN alice@x.test nope\r\n"), /^a NO \[AUTHENTICATIONFAILED\]/);
    assert.match(await f.send("b LOGIN alice@x.test nope\r\n"), /^b NO/);
    const last = await f.send("c LOGIN alice@x.test nope\r\n");
    assert.match(last, /\* BYE/);
    assert.equal(f.closed, true);
  });

  it("SELECT reports EXISTS, UNSEEN, UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ", async () => {
    const h = new ImapHarness();
    await h.login();
    await h.deliver("INBOX", msg("one"), ["\\Seen"]);
    await h.deliver("INBOX", msg("two"));
    const r = await h.send("s SELECT inbox\r\n");
    assert.match(r, /\* 2 EXISTS\r\n/);
    assert.match(r, /\* OK \[UNSEEN 2\]/);
    assert.match(r, /\* OK \[UIDVALIDITY \d+\]/);
    assert.match(r, /\* OK \[UIDNEXT 3\]/);
    assert.match(r, /\* OK \[HIGHESTMODSEQ \d+\]/);
    assert.match(await h.send("x SELECT Nope\r\n"), /x NO \[NONEXISTENT\]/);
    assert.match(await h.send("y FETCH 1 FLAGS\r\n"), /y BAD/); // failed SELECT deselects
  });

  it("FETCH FLAGS, UID, sections, partial; BODY[] sets \\Seen, PEEK does not", async () => {
    const h = await selected();
    assert.match(await h.send("f FETCH 1:* (UID FLAGS)\r\n"),
      /\* 1 FETCH \(UID 1 FLAGS \(\\Seen \\Recent\)\)\r\n\* 2 FETCH \(UID 2 FLAGS \(\\Recent\)\)\r\n\* 3 FETCH \(UID 3 FLAGS \(\\Flagged \\Recent\)\)\r\nf OK/);
    const peek = await h.send("p FETCH 2 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\n");
    assert.equal(peek, "* 2 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {16}\r\nSubject: two\r\n\r\n)\r\np OK FETCH completed\r\n");
    const body = await h.send("b FETCH 2 BODY[TEXT]<1.3>\r\n");
    assert.match(body, /BODY\[TEXT\]<1> \{3\}\r\nell FLAGS \(\\Seen \\Recent\)\)/);
    const u = await h.send("u UID FETCH 3 (RFC822.SIZE INTERNALDATE)\r\n");
    assert.match(u, /\* 3 FETCH \(UID 3 RFC822\.SIZE \d+ INTERNALDATE "14-Nov-2023 22:13:20 \+0000"\)/);
    assert.match(await h.send("n UID FETCH 99:100 FLAGS\r\n"), /^n OK/);
  });

  it("STORE +FLAGS/-FLAGS/FLAGS.SILENT and keywords; \\Recent is ignored, unknown system flags are BAD", async () => {
    const h = await selected();
    assert.match(await h.send("a STORE 2 +FLAGS (\\Answered $Work)\r\n"), /\* 2 FETCH \(FLAGS \(\\Answered \$Work \\Recent\)\)\r\na OK/);
    assert.match(await h.send("b UID STORE 2 -FLAGS ($Work)\r\n"), /\* 2 FETCH \(UID 2 FLAGS \(\\Answered \\Recent\)\)/);
    assert.equal(await h.send("c STORE 1 FLAGS.SILENT (\\Draft)\r\n"), "c OK STORE completed\r\n");
    assert.deepEqual(h.box().get("INBOX").msgs[0]!.flags, ["\\Draft"]);
    assert.match(await h.send("d STORE 1 +FLAGS (\\Bogus)\r\n"), /d BAD/);
  });

  it("SEARCH by flags, header, body, size, dates, UID, OR/NOT", async () => {
    const h = await selected();
    const s = async (q: string) => (await h.send(`s ${q}\r\n`)).split("\r\n")[0];
    assert.equal(await s("SEARCH UNSEEN"), "* SEARCH 2 3");
    assert.equal(await s("SEARCH FLAGGED"), "* SEARCH 3");
    assert.equal(await s("SEARCH SUBJECT thr"), "* SEARCH 3");
    assert.equal(await s('SEARCH FROM "bob@y"'), "* SEARCH 1 2 3");
    assert.equal(await s("SEARCH HEADER Message-ID two@"), "* SEARCH 2");
    assert.equal(await s("SEARCH BODY hello"), "* SEARCH 1 2 3");
    assert.equal(await s("SEARCH OR SEEN FLAGGED"), "* SEARCH 1 3");
    assert.equal(await s("SEARCH NOT SEEN NOT FLAGGED"), "* SEARCH 2");
    assert.equal(await s("SEARCH LARGER 10000"), "* SEARCH");
    assert.equal(await s("SEARCH ON 14-Nov-2023 SENTSINCE 1-Nov-2023"), "* SEARCH 1 2 3");
    assert.equal(await s("SEARCH BEFORE 14-Nov-2023"), "* SEARCH");
    assert.equal(await s("UID SEARCH 2:*"), "* SEARCH 2 3");
    assert.equal(await s("UID SEARCH UID 3"), "* SEARCH 3");
    assert.equal(await s("SEARCH CHARSET UTF-8 TEXT hello"), "* SEARCH 1 2 3");
    assert.match(await s("SEARCH CHARSET X-UNKNOWN TEXT x"), /^s NO \[BADCHARSET \(UTF-8 US-ASCII\)\]/);
  });

  it("EXPUNGE, UID EXPUNGE and CLOSE remove \\Deleted messages with the right sequence numbers", async () => {
    const h = await selected();
    await h.send("a STORE 1:3 +FLAGS.SILENT (\\Deleted)\r\n");
    assert.equal(await h.send("b UID EXPUNGE 2\r\n"), "* 2 EXPUNGE\r\nb OK UID EXPUNGE completed\r\n");
    assert.equal(await h.send("c EXPUNGE\r\n"), "* 2 EXPUNGE\r\n* 1 EXPUNGE\r\nc OK EXPUNGE completed\r\n");
    await h.deliver("INBOX", msg("four"), ["\\Deleted"]);
    assert.match(await h.send("d CLOSE\r\n"), /d OK CLOSE/);
    assert.equal(h.box().get("INBOX").msgs.length, 0);
  });

  it("EXAMINE is read-only: no \\Seen, no STORE", async () => {
    const h = await selected();
    assert.match(await h.send("e EXAMINE INBOX\r\n"), /e OK \[READ-ONLY\]/);
    await h.send("f FETCH 2 BODY[]\r\n");
    assert.deepEqual(h.box().get("INBOX").msgs[1]!.flags, []);
    assert.match(await h.send("g STORE 2 +FLAGS (\\Seen)\r\n"), /g NO \[READ-ONLY\]/);
  });

  it("APPEND with a literal, flags and date answers APPENDUID; TRYCREATE for a missing folder", async () => {
    const h = new ImapHarness();
    await h.login();
    const m = msg("appended");
    assert.equal(await h.send(`a APPEND Drafts (\\Draft) "01-Jan-2024 10:00:00 +0100" {${m.length}}\r\n`), "+ Ready for literal data\r\n");
    const r = await h.send(m + "\r\n");
    assert.match(r, /^a OK \[APPENDUID \d+ 1\]/);
    const f = h.box().get("Drafts");
    assert.deepEqual(f.msgs[0]!.flags, ["\\Draft"]);
    assert.equal(f.msgs[0]!.internalDate, Date.UTC(2024, 0, 1, 9));
    assert.equal(new TextDecoder().decode(f.bodies.get(1)), m);
    assert.match(await h.send(`b APPEND Nope {1+}\r\nx\r\n`), /b NO \[TRYCREATE\]/);
  });

  it("a literal over the limit gets NO [TOOBIG] and no continuation", async () => {
    const h = new ImapHarness(undefined, { maxLiteral: 100 });
    await h.login();
    assert.match(await h.send("a APPEND INBOX {101}\r\n"), /^a NO \[TOOBIG\]/);
    assert.match(await h.send("b NOOP\r\n"), /^b OK/);
    const r = await h.send("c APPEND INBOX {999+}\r\n");
    assert.match(r, /c BAD \[TOOBIG\].*\* BYE/s);
    assert.equal(h.closed, true);
  });

  it("COPY and MOVE answer COPYUID; MOVE expunges in the source", async () => {
    const h = await selected();
    assert.match(await h.send("c COPY 1:2 Trash\r\n"), /c OK \[COPYUID \d+ 1:2 1:2\] COPY completed/);
    const r = await h.send("m UID MOVE 2:3 Junk\r\n");
    assert.match(r, /\* OK \[COPYUID \d+ 2:3 1:2\] moved\r\n\* 3 EXPUNGE\r\n\* 2 EXPUNGE\r\nm OK MOVE completed/);
    assert.equal(h.box().get("Junk").msgs.length, 2);
    assert.deepEqual(h.box().get("Junk").msgs[1]!.flags, ["\\Flagged"]);
    assert.match(await h.send("x COPY 1 Nope\r\n"), /x NO \[TRYCREATE\]/);
  });

  it("LIST with special-use, hierarchy, patterns; CREATE, RENAME, DELETE, SUBSCRIBE/LSUB; STATUS", async () => {
    const h = new ImapHarness();
    await h.login();
    assert.match(await h.send("a CREATE Lists.Tern.\r\n"), /a OK/);
    assert.match(await h.send("a2 CREATE Lists.Tern\r\n"), /a2 NO \[ALREADYEXISTS\]/);
    assert.equal(await h.send('b LIST "" ""\r\n'), '* LIST (\\Noselect) "." ""\r\nb OK LIST completed\r\n');
    const all = await h.send('c LIST "" *\r\n');
    assert.match(all, /\* LIST \(\\HasNoChildren\) "\." INBOX\r\n/);
    assert.match(all, /\* LIST \(\\Noselect \\HasChildren\) "\." Lists\r\n/);
    assert.match(all, /\* LIST \(\\HasNoChildren \\Sent\) "\." Sent\r\n/);
    assert.match(all, /\* LIST \(\\HasNoChildren \\Trash\) "\." Trash\r\n/);
    const pct = await h.send('d LIST "" %\r\n');
    assert.doesNotMatch(pct, /Lists\.Tern/);
    const su = await h.send('e LIST (SPECIAL-USE) "" *\r\n');
    assert.equal(su.match(/\* LIST/g)!.length, 4);
    assert.match(await h.send("f RENAME Lists Archive\r\n"), /f OK/);
    assert.ok(h.box().folderMap.has("Archive.Tern"));
    assert.match(await h.send("g DELETE Archive.Tern\r\n"), /g OK/);
    assert.match(await h.send("h DELETE INBOX\r\n"), /h NO/);
    assert.match(await h.send("i SUBSCRIBE Junk\r\ni2 UNSUBSCRIBE Sent\r\n"), /i2 OK/);
    const lsub = await h.send('j LSUB "" *\r\n');
    assert.doesNotMatch(lsub, /Sent/);
    assert.match(lsub, /\* LSUB \(\\HasNoChildren \\Junk\) "\." Junk/);
    await h.deliver("INBOX", msg("x"));
    assert.match(await h.send("k STATUS INBOX (MESSAGES UNSEEN UIDNEXT UIDVALIDITY)\r\n"),
      /\* STATUS INBOX \(MESSAGES 1 UNSEEN 1 UIDNEXT 2 UIDVALIDITY \d+\)/);
    assert.match(await h.send("l STATUS Nope (MESSAGES)\r\n"), /l NO \[NONEXISTENT\]/);
  });

  it("another session's changes arrive as EXISTS / FETCH / EXPUNGE, and wake IDLE", async () => {
    const h = await selected();
    const other = new ImapHarness(h.store);
    await other.login();
    await other.send("o SELECT INBOX\r\n");
    await h.send("a STORE 2 +FLAGS (\\Seen)\r\n");
    await h.deliver("INBOX", msg("four"));
    const r = await other.send("n NOOP\r\n");
    assert.match(r, /\* 4 EXISTS\r\n/);
    assert.match(r, /\* 2 FETCH \(UID 2 FLAGS \(\\Seen\)\)/);
    assert.equal(await other.send("i IDLE\r\n"), "+ idling\r\n");
    await h.send("b STORE 1 +FLAGS (\\Deleted)\r\nc EXPUNGE\r\n");
    await new Promise((r) => setTimeout(r, 0));
    const woke = other.sends.at(-1)!;
    assert.match(other.sends.slice(-3).join(""), /\* 1 FETCH \(UID 1 FLAGS \(\\Seen \\Deleted\)\)|\* 1 EXPUNGE/);
    assert.match(woke, /\* 1 EXPUNGE/);
    assert.match(await other.send("DONE\r\n"), /^i OK IDLE terminated/);
  });

  it("CONDSTORE: MODSEQ in FETCH, CHANGEDSINCE, UNCHANGEDSINCE → MODIFIED", async () => {
    const h = await selected();
    assert.match(await h.send("e ENABLE CONDSTORE\r\n"), /\* ENABLED CONDSTORE/);
    const f = await h.send("f FETCH 1:* (MODSEQ)\r\n");
    const mods = [...f.matchAll(/MODSEQ \((\d+)\)/g)].map((m) => Number(m[1]));
    assert.equal(mods.length, 3);
    const since = await h.send(`g FETCH 1:* (FLAGS) (CHANGEDSINCE ${mods[1]})\r\n`);
    assert.equal(since.match(/\* \d FETCH/g)!.length, 1);
    const s = await h.send(`s STORE 1:3 (UNCHANGEDSINCE ${mods[0]}) +FLAGS (\\Answered)\r\n`);
    assert.match(s, /\* 1 FETCH \(FLAGS \(\\Seen \\Answered \\Recent\) MODSEQ \(\d+\)\)/);
    assert.match(s, /s OK \[MODIFIED 2:3\]/);
  });

  it("NAMESPACE, ID, UNSELECT, LOGOUT", async () => {
    const h = await selected();
    assert.match(await h.send("n NAMESPACE\r\n"), /\* NAMESPACE \(\("" "\."\)\) NIL NIL/);
    assert.match(await h.send('i ID ("name" "test")\r\n'), /\* ID \("name" "Tern"/);
    assert.match(await h.send("u UNSELECT\r\n"), /u OK/);
    assert.match(await h.send("f FETCH 1 FLAGS\r\n"), /f BAD/);
    assert.match(await h.send("l LOGOUT\r\n"), /\* BYE .*\r\nl OK LOGOUT completed/s);
    assert.equal(h.closed, true);
  });

  it("handles a pipelined burst split into single bytes", async () => {
    const h = await selected();
    const input = "p1 NOOP\r\np2 FETCH 1 (UID)\r\np3 LOGIN {1}\r\n";
    let out = "";
    for (const ch of input.slice(0, -1)) out += await h.send(ch);
    out += await h.send("\n");
    assert.match(out, /p1 OK.*\* 1 FETCH \(UID 1\)\r\np2 OK.*\+ Ready/s);
  });

  it("FETCH of a large folder stays fast (10,000 messages)", SLOW, async () => {
    const h = new ImapHarness();
    await h.login();
    const f = h.box().get("INBOX");
    for (let i = 0; i < 10_000; i++) await f.append(new Uint8Array(10), i % 2 ? ["\\Seen"] : []);
    await h.send("s SELECT INBOX\r\n");
    const r = await h.send("f UID FETCH 1:* (UID FLAGS)\r\n");
    assert.equal(r.match(/FETCH \(UID/g)!.length, 10_000);
    assert.match(await h.send("g SEARCH UNSEEN\r\n"), /^\* SEARCH 1 3 5/);
  });
});
