import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeStore } from "../helpers/fake-store.ts";
import { ALICE, PASSWORD, Pop3Harness, testPolicy } from "./harness.ts";

const MSG1 = "Subject: one\r\nFrom: a@x\r\n\r\nhello\r\n.dot line\r\n..two\r\nlast\r\n";
const MSG2 = "Subject: two\r\n\r\nno final newline";

async function setup(over: Parameters<typeof testPolicy>[1] = {}, secure = true) {
  const store = new FakeStore();
  const inbox = store.box(ALICE).inbox;
  await inbox.add(MSG1);
  await inbox.add(MSG2);
  const policy = testPolicy(store, over);
  return { store, inbox, policy, h: new Pop3Harness(policy, secure) };
}

const plain = (s: string) => btoa(s);

describe("POP3 session: AUTHORIZATION", () => {
  it("greets, and CAPA before TLS offers STLS but no plaintext login", async () => {
    const { h } = await setup({}, false);
    assert.match(h.out[0]!, /^\+OK pop\.tern\.test Tern POP3 server ready\r\n$/);
    const capa = await h.send("CAPA\r\n");
    assert.match(capa, /^\+OK .*\r\n/);
    assert.match(capa, /\r\nSTLS\r\n/);
    assert.match(capa, /\r\nUIDL\r\n/);
    assert.match(capa, /\r\nTOP\r\n/);
    assert.match(capa, /\r\nRESP-CODES\r\n/);
    assert.doesNotMatch(capa, /USER|SASL/);
    assert.ok(capa.endsWith("\r\n.\r\n"));
  });

  it("refuses USER, PASS and AUTH PLAIN before STLS, accepts them after", async () => {
    const { h } = await setup({}, false);
    assert.match(await h.send(`USER ${ALICE}\r\n`), /^-ERR .*STLS/);
    assert.match(await h.send(`PASS ${PASSWORD}\r\n`), /^-ERR .*STLS/);
    assert.match(await h.send(`AUTH PLAIN ${plain(`\0${ALICE}\0${PASSWORD}`)}\r\n`), /^-ERR .*STLS/);
    assert.equal(await h.send("STLS\r\n"), "+OK begin TLS negotiation\r\n");
    assert.equal(h.tlsStarted, 1);
    const capa = await h.send("CAPA\r\n");
    assert.match(capa, /\r\nUSER\r\n/);
    assert.match(capa, /\r\nSASL PLAIN\r\n/);
    assert.doesNotMatch(capa, /STLS/);
    assert.match(await h.send("STLS\r\n"), /^-ERR TLS is already active/);
    assert.match(await h.login(), /^\+OK send PASS\r\n\+OK alice@tern\.test has 2 messages \(\d+ octets\)\r\n$/);
  });

  it("STLS drops commands pipelined behind it (RFC 2595 §4)", async () => {
    const { h } = await setup({}, false);
    const out = await h.send(`STLS\r\nUSER ${ALICE}\r\nPASS ${PASSWORD}\r\n`);
    assert.equal(out, "+OK begin TLS negotiation\r\n");
    assert.match(await h.send("STAT\r\n"), /^-ERR STAT is not allowed before login/);
  });

  it("auth.allowInsecure permits plaintext login without TLS", async () => {
    const { h } = await setup({ allowInsecureAuth: true }, false);
    assert.match(await h.login(), /\+OK alice@tern\.test has 2 messages/);
  });

  it("PASS without USER, APOP and transaction commands before login are errors", async () => {
    const { h } = await setup({ maxErrors: 20 });
    assert.match(await h.send(`PASS ${PASSWORD}\r\n`), /^-ERR USER first/);
    assert.match(await h.send("APOP alice abc\r\n"), /^-ERR APOP is not supported/);
    for (const c of ["STAT", "LIST", "UIDL 1", "RETR 1", "DELE 1", "TOP 1 1", "NOOP", "RSET"]) {
      assert.match(await h.send(`${c}\r\n`), /^-ERR \w+ is not allowed before login\r\n$/, c);
    }
  });

  it("AUTH PLAIN with an initial response and after an empty challenge", async () => {
    const a = await setup();
    assert.match(await a.h.send(`AUTH PLAIN ${plain(`\0${ALICE}\0${PASSWORD}`)}\r\n`), /^\+OK alice@tern\.test has 2/);
    const b = await setup();
    assert.equal(await b.h.send("AUTH PLAIN\r\n"), "+ \r\n");
    assert.match(await b.h.send(`${plain(`${ALICE}\0${ALICE}\0${PASSWORD}`)}\r\n`), /^\+OK alice@tern\.test has 2/);
  });

  it("AUTH: mechanism list, unknown mechanism, cancel, bad base64", async () => {
    const { h } = await setup();
    assert.equal(await h.send("AUTH\r\n"), "+OK supported mechanisms follow\r\nPLAIN\r\n.\r\n");
    assert.match(await h.send("AUTH CRAM-MD5\r\n"), /^-ERR mechanism CRAM-MD5 is not supported/);
    await h.send("AUTH PLAIN\r\n");
    assert.match(await h.send("*\r\n"), /^-ERR authentication cancelled/);
    await h.send("AUTH PLAIN\r\n");
    assert.match(await h.send("!!!\r\n"), /^-ERR cannot decode base64/);
    assert.match(await h.send("STAT\r\n"), /^-ERR STAT is not allowed before login/);
  });

  it("wrong passwords: -ERR [AUTH], slowed down, then disconnected", async () => {
    const { h } = await setup();
    assert.equal(await h.send(`USER ${ALICE}\r\nPASS wrong\r\n`), "+OK send PASS\r\n-ERR [AUTH] invalid user name or password\r\n");
    assert.match(await h.send(`AUTH PLAIN ${plain(`\0nobody@tern.test\0x`)}\r\n`), /^-ERR \[AUTH\] invalid/);
    assert.equal(h.closed, false);
    assert.match(await h.send(`USER ${ALICE}\r\nPASS nope\r\n`), /-ERR \[AUTH\] too many failed logins, closing\r\n$/);
    assert.equal(h.closed, true);
    assert.deepEqual(h.delays, [100, 200, 300]);
    assert.equal(await h.send(`USER ${ALICE}\r\n`), "");
  });

  it("a second session on the same maildrop gets -ERR [IN-USE]; the lock goes with QUIT or a drop", async () => {
    const { h, policy } = await setup();
    await h.login();
    const second = new Pop3Harness(policy, true);
    assert.match(await second.login(), /-ERR \[IN-USE\] maildrop is in use/);
    const bob = new Pop3Harness(policy, true);
    assert.match(await bob.login("bob@tern.test"), /\+OK bob@tern\.test has 0 messages/);
    await h.send("QUIT\r\n");
    assert.match(await second.login(), /\+OK alice@tern\.test has 2/);
    second.session.connectionLost();
    assert.equal(policy.locks.isLocked(ALICE), false);
  });

  it("a store that cannot open the maildrop gives [SYS/TEMP] and no lock", async () => {
    const { h, store, policy } = await setup();
    store.failOpen = true;
    assert.match(await h.login(), /-ERR \[SYS\/TEMP\] cannot open the maildrop/);
    assert.equal(policy.locks.size, 0);
    store.failOpen = false;
    assert.match(await h.login(), /\+OK alice@tern\.test has 2/);
  });

  it("an authenticator that throws gives [SYS/TEMP]", async () => {
    const { h } = await setup({ authenticate: () => Promise.reject(new Error("db down")) });
    assert.match(await h.login(), /-ERR \[SYS\/TEMP\] authentication is unavailable/);
  });
});

describe("POP3 session: TRANSACTION and UPDATE", () => {
  it("STAT, LIST, UIDL with and without an argument", async () => {
    const { h, inbox } = await setup();
    await h.login();
    const s1 = MSG1.length;
    const s2 = MSG2.length;
    assert.equal(await h.send("STAT\r\n"), `+OK 2 ${s1 + s2}\r\n`);
    assert.equal(await h.send("LIST\r\n"), `+OK 2 messages (${s1 + s2} octets)\r\n1 ${s1}\r\n2 ${s2}\r\n.\r\n`);
    assert.equal(await h.send("LIST 2\r\n"), `+OK 2 ${s2}\r\n`);
    assert.equal(await h.send("LIST 3\r\n"), "-ERR no such message 3\r\n");
    const v = inbox.uidValidity;
    assert.equal(await h.send("UIDL\r\n"), `+OK unique-id listing follows\r\n1 ${v}.1\r\n2 ${v}.2\r\n.\r\n`);
    assert.equal(await h.send("UIDL 1\r\n"), `+OK 1 ${v}.1\r\n`);
  });

  it("RETR is byte-exact and dot-stuffed; a missing final CRLF is added before the terminator", async () => {
    const { h } = await setup();
    await h.login();
    const r1 = await h.send("RETR 1\r\n");
    assert.equal(r1, `+OK ${MSG1.length} octets\r\n${MSG1.replace(/\r\n\./g, "\r\n..")}.\r\n`);
    const r2 = await h.send("RETR 2\r\n");
    assert.equal(r2, `+OK ${MSG2.length} octets\r\n${MSG2}\r\n.\r\n`);
    assert.equal(await h.send("RETR 9\r\n"), "-ERR no such message 9\r\n");
  });

  it("TOP sends the header and n body lines, stuffed", async () => {
    const { h, inbox } = await setup();
    await h.login();
    assert.equal(await h.send("TOP 1 0\r\n"), "+OK top of message follows\r\nSubject: one\r\nFrom: a@x\r\n\r\n.\r\n");
    assert.equal(
      await h.send("TOP 1 2\r\n"),
      "+OK top of message follows\r\nSubject: one\r\nFrom: a@x\r\n\r\nhello\r\n..dot line\r\n.\r\n",
    );
    assert.equal(await h.send("TOP 2 5\r\n"), `+OK top of message follows\r\n${MSG2}\r\n.\r\n`);
    assert.equal(inbox.openReaders, 0, "TOP closed the store's reader early");
  });

  it("DELE marks, RSET unmarks, QUIT expunges only what is marked", async () => {
    const { h, inbox, policy } = await setup();
    await h.login();
    assert.equal(await h.send("DELE 1\r\n"), "+OK message 1 deleted\r\n");
    assert.equal(await h.send("DELE 1\r\n"), "-ERR message 1 is already deleted\r\n");
    assert.equal(await h.send("RETR 1\r\n"), "-ERR message 1 is already deleted\r\n");
    assert.equal(await h.send("STAT\r\n"), `+OK 1 ${MSG2.length}\r\n`);
    assert.match(await h.send("LIST\r\n"), new RegExp(`^\\+OK 1 messages .*\\r\\n2 ${MSG2.length}\\r\\n\\.\\r\\n$`));
    assert.match(await h.send("RSET\r\n"), /^\+OK maildrop has 2 messages/);
    await h.send("DELE 2\r\nNOOP\r\n");
    assert.equal(inbox.entries.length, 2, "nothing deleted before QUIT");
    assert.equal(await h.send("QUIT\r\n"), "+OK pop.tern.test signing off (1 messages deleted)\r\n");
    assert.equal(h.closed, true);
    assert.deepEqual(inbox.expunged, [[2]]);
    assert.equal(inbox.entries.length, 1);
    assert.equal(policy.locks.size, 0);
  });

  it("UIDs stay stable across sessions after a deletion", async () => {
    const { h, inbox, policy } = await setup();
    await h.login();
    await h.send("DELE 1\r\nQUIT\r\n");
    const h2 = new Pop3Harness(policy, true);
    await h2.login();
    assert.equal(await h2.send("UIDL\r\n"), `+OK unique-id listing follows\r\n1 ${inbox.uidValidity}.2\r\n.\r\n`);
  });

  it("a dropped connection deletes nothing and frees the lock", async () => {
    const { h, inbox, policy } = await setup();
    await h.login();
    await h.send("DELE 1\r\nDELE 2\r\n");
    h.session.connectionLost();
    assert.equal(inbox.expunged.length, 0);
    assert.equal(inbox.entries.length, 2);
    assert.equal(policy.locks.size, 0);
  });

  it("an idle timeout closes without a response and without UPDATE", async () => {
    const { h, inbox, policy } = await setup();
    await h.login();
    await h.send("DELE 1\r\n");
    const before = h.out.length;
    h.session.timeout();
    assert.equal(h.closed, true);
    assert.equal(h.out.length, before);
    assert.equal(inbox.expunged.length, 0);
    assert.equal(policy.locks.size, 0);
  });

  it("a failing expunge answers -ERR [SYS/TEMP] and still frees the lock", async () => {
    const { h, inbox, policy } = await setup();
    await h.login();
    inbox.failExpunge = true;
    assert.match(await h.send("DELE 1\r\nQUIT\r\n"), /-ERR \[SYS\/TEMP\] some deleted messages were not removed\r\n$/);
    assert.equal(h.closed, true);
    assert.equal(policy.locks.size, 0);
  });

  it("a message that cannot be read gets -ERR; one that breaks mid-stream closes the connection", async () => {
    const { h, inbox } = await setup();
    await h.login();
    inbox.failRead = "open";
    assert.match(await h.send("RETR 1\r\n"), /^-ERR \[SYS\/TEMP\] message 1 cannot be read/);
    assert.equal(h.closed, false);
    inbox.failRead = "middle";
    const out = await h.send("RETR 1\r\nSTAT\r\n");
    assert.match(out, /^\+OK \d+ octets\r\n/);
    assert.ok(!out.endsWith(".\r\n"), "no terminator after a broken stream");
    assert.equal(h.closed, true);
    assert.equal(inbox.openReaders, 0);
  });

  it("pipelined commands are answered in order", async () => {
    const { h } = await setup();
    const out = await h.send(`USER ${ALICE}\r\nPASS ${PASSWORD}\r\nSTAT\r\nRETR 2\r\nNOOP\r\nQUIT\r\n`);
    const lines = out.split("\r\n");
    assert.equal(lines[0], "+OK send PASS");
    assert.match(lines[1]!, /^\+OK alice@tern\.test has 2/);
    assert.match(lines[2]!, /^\+OK 2 \d+$/);
    assert.match(lines[3]!, /^\+OK \d+ octets$/);
    assert.match(out, /no final newline\r\n\.\r\n\+OK\r\n\+OK pop\.tern\.test signing off \(0 messages deleted\)\r\n$/);
  });

  it("commands for the wrong state, unknown ones and over-long lines are errors; too many close", async () => {
    const { h } = await setup({ maxErrors: 5 });
    await h.login();
    assert.match(await h.send(`USER ${ALICE}\r\n`), /^-ERR USER is not allowed after login/);
    assert.match(await h.send("STLS\r\n"), /^-ERR STLS is not allowed after login/);
    assert.match(await h.send("FOO\r\n"), /^-ERR unknown command FOO/);
    assert.match(await h.send(`NOOP ${"x".repeat(300)}\r\n`), /^-ERR line too long/);
    assert.equal(h.closed, false);
    assert.match(await h.send("RETR x\r\n"), /-ERR invalid message number\r\n-ERR too many errors, closing\r\n$/);
    assert.equal(h.closed, true);
  });

  it("CAPA after login lists no login mechanisms; invalid UTF-8 is an error", async () => {
    const { h } = await setup();
    await h.login();
    const capa = await h.send("CAPA\r\n");
    assert.doesNotMatch(capa, /USER|SASL|STLS/);
    assert.match(capa, /PIPELINING/);
    assert.match(await h.send(new Uint8Array([0x4e, 0xff, 0x0d, 0x0a])), /^-ERR command is not valid UTF-8/);
  });

  it("shutdown: -ERR [SYS/TEMP] and close, nothing deleted", async () => {
    const { h, inbox } = await setup();
    await h.login();
    await h.send("DELE 1\r\n");
    h.session.shutdown(false);
    assert.match(h.out.at(-1)!, /^-ERR \[SYS\/TEMP\] server shutting down/);
    assert.equal(h.closed, true);
    assert.equal(inbox.expunged.length, 0);
  });
});
