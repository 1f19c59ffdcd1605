// Outbound relay end to end: a user submits on 587 (python smtplib, STARTTLS + AUTH),
// Tern spools the message and relays it over SMTP (opportunistic STARTTLS) to a loopback
// receiver the `routes` config points at; the receiver gets the spooled bytes exactly
// (our Received header included) and the message then leaves the spool.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { testCert } from "../helpers/cert.ts";
import { python } from "../helpers/run.ts";
import { TEST_PASSWORD, type TestServer } from "../helpers/server.ts";
import { type SmtpReceiver, startReceiver } from "../helpers/smtp-receiver.ts";
import { idOf, readEvents, spooledBody, startRelay, until } from "./_helpers.ts";

let rx: SmtpReceiver;
let t: TestServer;

before(async () => {
  rx = await startReceiver({ tls: await testCert(), hostname: "mx.example.org" });
  t = await startRelay({ routes: { "example.org": `127.0.0.1:${rx.port}` } });
});
after(async () => {
  await t?.stop();
  await rx?.close();
});

const SUBMIT = `
import smtplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20)
s.ehlo("py.test"); s.starttls(context=ctx); s.ehlo("py.test")
s.login("alice@tern.test", sys.argv[2])
s.mail("alice@tern.test"); s.rcpt("bob@example.org"); s.rcpt("carol@example.org")
code, msg = s.data(b"Subject: relayed\\r\\nFrom: alice@tern.test\\r\\n\\r\\n.leading dot\\r\\n..two dots\\r\\nbody\\r\\n")
print(code, msg.decode()); s.quit()
`;

describe("outbound e2e: submission → relay → remote receiver", { timeout: 60_000 }, () => {
  it("587 STARTTLS + AUTH → delivered byte-exact at the receiver, then removed from the spool", { timeout: 60_000 }, async () => {
    // hold the domain so the spooled body can be read before the relay removes it
    t.server.queue.scheduler.suspend("example.org");
    const r = await python(SUBMIT, [String(t.submission), TEST_PASSWORD]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^250 /);
    const id = idOf(r.stdout);
    const spooled = await spooledBody(t.server.spool, id);
    assert.equal(rx.transactions.length, 0, "suspended: nothing relayed yet");

    t.server.queue.scheduler.resume("example.org");
    await until(() => rx.transactions.length === 1, "the receiver got the message");
    const tx = rx.transactions[0]!;
    assert.equal(tx.mailFrom, "alice@tern.test");
    assert.deepEqual([...tx.rcptTo].sort(), ["bob@example.org", "carol@example.org"], "one transaction for both recipients of the domain");
    assert.equal(tx.tls, true, "opportunistic STARTTLS to the receiver");
    assert.equal(Buffer.from(tx.body).toString("latin1"), Buffer.from(spooled).toString("latin1"), "the receiver's body is the spooled body, byte for byte");
    const text = new TextDecoder().decode(tx.body);
    assert.match(text, /^Received: from /, "our Received header leads");
    assert.ok(text.endsWith("\r\n\r\n.leading dot\r\n..two dots\r\nbody\r\n"), "dot-stuffing undone exactly once on each hop");

    await until(() => t.server.spool.get(id) === undefined, "the delivered message leaves the spool");
    await until(() => readEvents(t.dir).filter((e) => e.id === id && e.type === "delivered").length === 2, "two delivered lines in events.log");
    const ev = readEvents(t.dir).filter((e) => e.id === id && e.type === "delivered");
    assert.deepEqual(ev.map((e) => e.recipient).sort(), ["bob@example.org", "carol@example.org"]);
    assert.ok(ev.every((e) => e.agent === "remote"));
  });
});
