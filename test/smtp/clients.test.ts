// Real clients over loopback against a real server: python3 smtplib, swaks, curl,
// openssl s_client and nodemailer. Every accepted message is checked in the spool.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import nodemailer from "nodemailer";
import { python, run } from "../helpers/run.ts";
import { startTestServer, TEST_PASSWORD, type TestServer } from "../helpers/server.ts";

let t: TestServer;

async function bodyOf(id: string): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const c of t.server.spool.readBody(id)) parts.push(c.slice());
  return Buffer.concat(parts).toString("utf8");
}

function queuedId(text: string): string {
  const m = /queued as ([A-Za-z0-9]+)/.exec(text);
  assert.ok(m, `no queue id in ${JSON.stringify(text)}`);
  return m[1];
}

describe("real SMTP clients", () => {
  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    await t.stop();
  });

  it("python smtplib: STARTTLS + AUTH on submission, message byte-exact in the spool", async () => {
    const r = await python(`
import smtplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20)
s.ehlo("py.test")
assert "starttls" in s.esmtp_features and "auth" not in s.esmtp_features
s.starttls(context=ctx); s.ehlo("py.test")
assert "pipelining" in s.esmtp_features and "chunking" in s.esmtp_features
s.login("alice@tern.test", sys.argv[2])
s.mail("alice@tern.test"); s.rcpt("bob@example.org")
code, msg = s.data(b"Subject: py\\r\\n\\r\\n.leading dot\\r\\nbody\\r\\n")
print(code, msg.decode()); s.quit()
`, [String(t.submission), TEST_PASSWORD]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^250 2\.0\.0 queued as/);
    const id = queuedId(r.stdout);
    const body = await bodyOf(id);
    assert.ok(body.endsWith("\r\nSubject: py\r\n\r\n.leading dot\r\nbody\r\n"), body);
    assert.match(body, /with ESMTPSA id .*\r\n\t\(using TLSv1\.[23] with cipher .*\)\r\n\t\(authenticated as alice@tern\.test\)/);
    const q = t.server.spool.get(id)!;
    assert.equal(q.envelope.auth, "alice@tern.test");
    assert.equal(q.envelope.client.listener, "submission");
  });

  it("python raw socket: a pipelined group is answered in order", async () => {
    const r = await python(`
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
f = s.makefile("rb")
f.readline()
s.sendall(b"EHLO p\\r\\n")
while True:
    l = f.readline()
    if l[3:4] == b" ": break
s.sendall(b"MAIL FROM:<x@example.org>\\r\\nRCPT TO:<alice@tern.test>\\r\\nRCPT TO:<nobody@tern.test>\\r\\nDATA\\r\\n")
for _ in range(4): print(f.readline().decode().strip())
s.sendall(b"hi\\r\\n.\\r\\nQUIT\\r\\n")
print(f.readline().decode().strip()); print(f.readline().decode().strip())
`, [String(t.smtp)]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.deepEqual(lines.map((l) => l.slice(0, 3)), ["250", "250", "550", "354", "250", "221"]);
  });

  it("python smtplib: implicit TLS on submissions, wrong password → 535 5.7.8", async () => {
    const r = await python(`
import smtplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP_SSL("127.0.0.1", int(sys.argv[1]), context=ctx, timeout=20)
try:
    s.login("alice@tern.test", "wrong")
except smtplib.SMTPAuthenticationError as e:
    print(e.smtp_code, e.smtp_error.decode())
s.login("alice@tern.test", sys.argv[2])
print(s.sendmail("alice@tern.test", ["carol@example.net"], b"Subject: ssl\\r\\n\\r\\nhello\\r\\n"))
s.quit()
`, [String(t.submissions), TEST_PASSWORD]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^535 5\.7\.8/);
    assert.match(r.stdout, /\{\}/);
  });

  it("swaks: MX port delivery to a local user, and relay denied without auth", async () => {
    const ok = await run("swaks", ["--server", `127.0.0.1:${t.smtp}`, "--to", "alice@tern.test",
      "--from", "sender@example.org", "--header", "Subject: swaks", "--body", "from swaks"]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const id = queuedId(ok.stdout);
    assert.match(await bodyOf(id), /Subject: swaks/);
    const denied = await run("swaks", ["--server", `127.0.0.1:${t.smtp}`, "--to", "victim@example.com",
      "--from", "spammer@example.org"]);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stdout, /554 5\.7\.1 .*relay access denied/);
  });

  it("swaks: CHUNKING-free pipelining and STARTTLS + AUTH LOGIN", async () => {
    const r = await run("swaks", ["--server", `127.0.0.1:${t.submission}`, "--tls", "--auth", "LOGIN",
      "--auth-user", "alice@tern.test", "--auth-password", TEST_PASSWORD, "--pipeline",
      "--to", "dave@example.com", "--from", "alice@tern.test"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /235 2\.7\.0/);
    queuedId(r.stdout);
  });

  it("curl smtp: STARTTLS + AUTH, upload a message", async () => {
    const msg = "From: alice@tern.test\r\nTo: erin@example.com\r\nSubject: curl\r\n\r\nvia curl\r\n";
    const r = await run("curl", ["-sS", "-v", "--ssl-reqd", "-k", `smtp://127.0.0.1:${t.submission}`,
      "--mail-from", "alice@tern.test", "--mail-rcpt", "erin@example.com",
      "--user", `alice@tern.test:${TEST_PASSWORD}`, "-T", "-"], msg);
    assert.equal(r.code, 0, r.stderr);
    const id = queuedId(r.stderr);
    assert.ok((await bodyOf(id)).endsWith(msg));
  });

  it("openssl s_client -starttls smtp", async () => {
    const r = await run("openssl", ["s_client", "-starttls", "smtp", "-connect", `127.0.0.1:${t.smtp}`,
      "-quiet", "-ign_eof"], "EHLO ossl\r\nMAIL FROM:<o@example.org>\r\nRCPT TO:<alice@tern.test>\r\nDATA\r\nSubject: o\r\n\r\nx\r\n.\r\nQUIT\r\n");
    assert.match(r.stdout, /250 2\.0\.0 queued as/);
    assert.match(r.stdout, /221 2\.0\.0/);
    const id = queuedId(r.stdout);
    const q = t.server.spool.get(id)!;
    assert.ok(q.envelope.client.tls, "TLS recorded in the envelope");
  });

  it("nodemailer as an app uses it (submission, STARTTLS, AUTH, pooled)", async () => {
    const tr = nodemailer.createTransport({
      host: "127.0.0.1", port: t.submission, secure: false, requireTLS: true, pool: true,
      auth: { user: "alice@tern.test", pass: TEST_PASSWORD }, tls: { rejectUnauthorized: false },
    });
    try {
      for (let i = 0; i < 3; i++) {
        const info = await tr.sendMail({ from: "alice@tern.test", to: `user${i}@example.com`, subject: `nm ${i}`, text: "hello from nodemailer" });
        const id = queuedId(info.response);
        assert.match(await bodyOf(id), new RegExp(`Subject: nm ${i}`));
      }
    } finally {
      tr.close();
    }
  });
});
