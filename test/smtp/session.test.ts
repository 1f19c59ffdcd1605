import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Harness, testPolicy } from "../helpers/session-harness.ts";

const dec = new TextDecoder();
const bodyOf = (h: Harness, i = 0) => dec.decode(h.spool.committed[i].body);

describe("SMTP session", () => {
  it("greets and advertises the extensions", async () => {
    const h = new Harness();
    assert.match(h.sends[0], /^220 mx\.test ESMTP/);
    const r = await h.send("EHLO client.test\r\n");
    for (const ext of ["PIPELINING", "SIZE 10000", "8BITMIME", "SMTPUTF8", "CHUNKING", "ENHANCEDSTATUSCODES", "DSN", "STARTTLS"]) {
      assert.match(r, new RegExp(`^250[- ]${ext}\\r$`, "m"), ext);
    }
    assert.doesNotMatch(r, /AUTH/, "no AUTH before TLS");
  });

  it("answers a pipelined group in one write, in order, and spools with a Received header", async () => {
    const h = new Harness();
    await h.send("EHLO c\r\n");
    const r = await h.send("MAIL FROM:<bob@remote.test>\r\nRCPT TO:<alice@local.test>\r\nDATA\r\n");
    assert.equal(h.codes(r).join(","), "250,250,354");
    const before = h.sends.length;
    const r2 = await h.send("Subject: x\r\n\r\n..dot\r\n.\r\nQUIT\r\n");
    assert.match(r2, /^250 2\.0\.0 queued as Q1\r\n221 /);
    assert.equal(h.sends.length - before, 1, "250 and 221 flushed together");
    assert.equal(h.spool.committed.length, 1);
    const body = bodyOf(h);
    assert.match(body, /^Received: from c \(\[192\.0\.2\.1\]\)\r\n\tby mx\.test \(Tern\) with ESMTP id Q1\r\n\tfor <alice@local\.test>;/);
    assert.ok(body.endsWith("\r\nSubject: x\r\n\r\n.dot\r\n"));
    const env = h.spool.committed[0].envelope;
    assert.equal(env.mailFrom, "bob@remote.test");
    assert.deepEqual(env.rcptTo, [{ address: "alice@local.test" }]);
    assert.equal(env.client.helo, "c");
    assert.ok(h.closed);
  });

  it("keeps DSN, SMTPUTF8 and BODY parameters in the envelope", async () => {
    const h = new Harness();
    await h.send("EHLO c\r\n");
    const r = await h.send("MAIL FROM:<bøb@remote.test> SMTPUTF8 BODY=8BITMIME RET=HDRS ENVID=abc+2Bd SIZE=100\r\n" +
      "RCPT TO:<alice@local.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;alice@local.test\r\nDATA\r\nx\r\n.\r\n");
    assert.equal(h.codes(r).join(","), "250,250,354,250");
    const env = h.spool.committed[0].envelope;
    assert.equal(env.mailFrom, "bøb@remote.test");
    assert.equal(env.smtputf8, true);
    assert.equal(env.body, "8BITMIME");
    assert.deepEqual(env.dsn, { ret: "HDRS", envid: "abc+d" });
    assert.deepEqual(env.rcptTo[0], { address: "alice@local.test", notify: ["FAILURE", "DELAY"], orcpt: "rfc822;alice@local.test" });
  });

  it("refuses UTF-8 addresses without SMTPUTF8, unknown parameters and bad syntax", async () => {
    const h = new Harness();
    await h.send("EHLO c\r\n");
    assert.match(await h.send("MAIL FROM:<bøb@remote.test>\r\n"), /^553 5\.6\.7 /);
    assert.match(await h.send("MAIL FROM:<b@remote.test> FOO=1\r\n"), /^555 5\.5\.4 /);
    assert.match(await h.send("MAIL FROM:b@remote.test\r\n"), /^501 5\.5\.4 /);
    assert.match(await h.send("MAIL TO:<b@remote.test>\r\n"), /^501 5\.5\.4 Syntax: MAIL FROM:<address>/);
    assert.match(await h.send("MAIL FROM:<b@remote.test> SIZE=999999\r\n"), /^552 5\.3\.4 /);
    assert.match(await h.send("FOO\r\n"), /^500 5\.5\.1 .*\[S1\]\r\n$/);
  });

  it("enforces the relay policy and local users", async () => {
    const h = new Harness();
    await h.send("EHLO c\r\nMAIL FROM:<a@b.test>\r\n");
    assert.match(await h.send("RCPT TO:<someone@elsewhere.test>\r\n"), /^554 5\.7\.1 /);
    assert.match(await h.send("RCPT TO:<nobody@local.test>\r\n"), /^550 5\.1\.1 /);
    assert.match(await h.send("RCPT TO:<postmaster@local.test>\r\n"), /^250 2\.1\.5/);
    const t = new Harness(testPolicy(), "10.0.0.1");
    await t.send("EHLO c\r\nMAIL FROM:<a@b.test>\r\n");
    assert.match(await t.send("RCPT TO:<someone@elsewhere.test>\r\n"), /^250 /, "trusted network relays");
  });

  it("enforces the bad sequences", async () => {
    const h = new Harness();
    assert.match(await h.send("MAIL FROM:<a@b.test>\r\n"), /^503 5\.5\.1/);
    await h.send("EHLO c\r\n");
    assert.match(await h.send("RCPT TO:<alice@local.test>\r\n"), /^503 5\.5\.1/);
    assert.match(await h.send("DATA\r\n"), /^503 5\.5\.1/);
    await h.send("MAIL FROM:<a@b.test>\r\n");
    assert.match(await h.send("MAIL FROM:<a@b.test>\r\n"), /^503 5\.5\.1/);
    assert.match(await h.send("DATA\r\n"), /^554 5\.5\.1/);
    assert.match(await h.send("VRFY alice\r\n"), /^252 2\.5\.2/);
  });

  it("rejects bare LF in DATA without losing sync (smuggling)", async () => {
    const h = new Harness();
    await h.send("EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<alice@local.test>\r\nDATA\r\n");
    const r = await h.send("Subject: x\r\n\n.\nMAIL FROM:<evil@x.test>\r\nRCPT TO:<alice@local.test>\r\n.\r\nNOOP\r\n");
    assert.equal(h.codes(r).join(","), "550,250");
    assert.match(r, /^550 5\.6\.0 .*bare LF/);
    assert.equal(h.spool.committed.length, 0);
    assert.equal(h.spool.aborted, 1);
  });

  it("enforces the size limit while streaming and reads to the end", async () => {
    const h = new Harness();
    await h.send("EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<alice@local.test>\r\nDATA\r\n");
    const r = await h.send("x".repeat(20_000) + "\r\n.\r\nNOOP\r\n");
    assert.equal(h.codes(r).join(","), "552,250");
    assert.equal(h.spool.committed.length, 0);
  });

  it("BDAT: chunks, LAST, a zero-length LAST and refused chunks stay in sync", async () => {
    const h = new Harness();
    await h.send("EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<alice@local.test>\r\n");
    const r = await h.send("BDAT 5\r\nhelloBDAT 7\r\n world\nBDAT 0 LAST\r\n");
    assert.equal(h.codes(r).join(","), "250,250,250");
    assert.ok(bodyOf(h).endsWith("\r\nhello world\n"));
    const r2 = await h.send("BDAT 4 LAST\r\nabcdNOOP\r\n");
    assert.equal(h.codes(r2).join(","), "503,250");
    await h.send("MAIL FROM:<a@b.test>\r\nRCPT TO:<alice@local.test>\r\n");
    assert.match(await h.send("BDAT 3 LAST\r\nxyz"), /^250 2\.0\.0 queued as Q2/);
  });

  it("turns a spool failure into 452 4.3.1 and goes on", async () => {
    const h = new Harness();
    h.spool.failNext = true;
    await h.send("EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<alice@local.test>\r\nDATA\r\n");
    assert.match(await h.send("x\r\n.\r\n"), /^452 4\.3\.1 /);
    const r = await h.send("MAIL FROM:<a@b.test>\r\nRCPT TO:<alice@local.test>\r\nDATA\r\ny\r\n.\r\n");
    assert.equal(h.codes(r).join(","), "250,250,354,250");
  });

  it("line too long: 500 5.5.2 and the next command works", async () => {
    const h = new Harness();
    const r = await h.send("NOOP " + "x".repeat(2000) + "\r\nNOOP\r\n");
    assert.equal(h.codes(r).join(","), "500,250");
    assert.match(r, /^500 5\.5\.2 line too long/);
  });

  it("too many errors: 421 and close", async () => {
    const h = new Harness(testPolicy({ maxErrors: 3 }));
    const r = await h.send("A\r\nB\r\nC\r\nNOOP\r\n");
    assert.equal(h.codes(r).join(","), "500,500,500,421");
    assert.ok(h.closed);
  });

  it("STARTTLS discards pipelined plaintext and resets state", async () => {
    const h = new Harness();
    await h.send("EHLO c\r\n");
    const r = await h.send("STARTTLS\r\nMAIL FROM:<a@b.test>\r\n");
    assert.equal(h.codes(r).join(","), "220");
    assert.equal(h.tlsStarted, 1);
    assert.match(await h.send("MAIL FROM:<a@b.test>\r\n"), /^503 /, "EHLO needed again");
    const e = await h.send("EHLO c\r\n");
    assert.doesNotMatch(e, /STARTTLS/);
    assert.match(e, /AUTH PLAIN LOGIN/);
    assert.match(await h.send("STARTTLS\r\n"), /^503 5\.5\.1/);
  });

  it("submission: AUTH required; PLAIN and LOGIN; failures slowed and limited", async () => {
    const h = new Harness(testPolicy({ requireAuth: true, listener: "submission" }), "192.0.2.9", true);
    await h.send("EHLO c\r\n");
    assert.match(await h.send("MAIL FROM:<alice@local.test>\r\n"), /^530 5\.7\.0/);
    assert.match(await h.send(`AUTH PLAIN ${btoa("\0alice@local.test\0wrong")}\r\n`), /^535 5\.7\.8/);
    assert.match(await h.send("AUTH LOGIN\r\n"), /^334 VXNlcm5hbWU6\r\n$/);
    assert.match(await h.send(btoa("alice@local.test") + "\r\n"), /^334 UGFzc3dvcmQ6/);
    assert.match(await h.send(btoa("secret") + "\r\n"), /^235 2\.7\.0/);
    const r = await h.send("MAIL FROM:<alice@local.test>\r\nRCPT TO:<x@remote.test>\r\nDATA\r\nhi\r\n.\r\n");
    assert.equal(h.codes(r).join(","), "250,250,354,250");
    assert.equal(h.spool.committed[0].envelope.auth, "alice@local.test");
    assert.match(bodyOf(h), /with ESMTPSA id Q1\r\n\t\(using TLSv1\.3 with cipher X\)\r\n\t\(authenticated as alice@local\.test\)/);
    const f = new Harness(testPolicy({ maxAuthFailures: 2 }), "192.0.2.9", true);
    await f.send("EHLO c\r\n");
    assert.match(await f.send(`AUTH PLAIN ${btoa("\0a\0b")}\r\n`), /^535/);
    assert.match(await f.send(`AUTH PLAIN ${btoa("\0a\0b")}\r\n`), /^421 4\.7\.0/);
    assert.ok(f.closed);
  });

  it("AUTH is refused without TLS unless configured", async () => {
    const h = new Harness();
    await h.send("EHLO c\r\n");
    assert.match(await h.send("AUTH PLAIN\r\n"), /^538 5\.7\.11/);
    const i = new Harness(testPolicy({ allowInsecureAuth: true }));
    assert.match(await i.send("EHLO c\r\n"), /AUTH PLAIN LOGIN/);
  });

  it("graceful shutdown: finishes the message in flight, then 421", async () => {
    const h = new Harness();
    await h.send("EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<alice@local.test>\r\nDATA\r\npart");
    h.session.shutdown(false);
    assert.equal(h.closed, false);
    const r = await h.send("\r\n.\r\n");
    assert.equal(h.codes(r).join(","), "250,421");
    assert.ok(h.closed);
    const idle = new Harness();
    idle.session.shutdown(false);
    assert.match(idle.sends.join(""), /421 4\.3\.2/);
  });
});
