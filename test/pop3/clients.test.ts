// Real POP3 clients over loopback against a real server (Maildir store):
// python3 poplib (STLS, USER/PASS, AUTH PLAIN, pop3s) and fetchmail.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { fetchmailAll } from "../helpers/fetchmail.ts";
import { python } from "../helpers/run.ts";
import { startTestServer, TEST_PASSWORD, type TestServer } from "../helpers/server.ts";
import type { FolderHandle } from "../../src/store/types.ts";

const ALICE = "alice@tern.test";
const enc = new TextEncoder();
let t: TestServer;
/** real clients start processes and hash passwords: give them time */
const SLOW = { timeout: 60_000 };
let inbox: FolderHandle;

const POPLIB = `
import poplib, ssl, sys, json, base64
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
port, password, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
if mode == "pop3s":
    p = poplib.POP3_SSL("127.0.0.1", port, context=ctx, timeout=20)
else:
    p = poplib.POP3("127.0.0.1", port, timeout=20)
out = {"welcome": p.getwelcome().decode()}
out["capa_before"] = sorted(p.capa().keys())
if mode == "stls":
    p.stls(context=ctx)
    out["capa_after"] = sorted(p.capa().keys())
if mode == "auth-plain":
    p.stls(context=ctx)
    resp = p._shortcmd("AUTH PLAIN " + base64.b64encode(b"\\0alice@tern.test\\0" + password.encode()).decode())
    out["auth"] = resp.decode()
else:
    p.user("alice@tern.test"); out["pass"] = p.pass_(password).decode()
out["stat"] = list(p.stat())
out["list"] = [l.decode() for l in p.list()[1]]
out["uidl"] = [l.decode() for l in p.uidl()[1]]
out["top"] = [l.decode() for l in p.top(1, 1)[1]]
out["retr"] = [base64.b64encode(l).decode() for l in p.retr(2)[1]]
out["dele"] = p.dele(1).decode()
if mode == "stls":
    out["rset"] = p.rset().decode()
    p.dele(2)
out["quit"] = p.quit().decode()
print(json.dumps(out))
`;

async function reset(messages: string[]): Promise<void> {
  await inbox.refresh();
  const uids = inbox.list().map((m) => m.uid);
  if (uids.length) await inbox.expunge(uids);
  for (const m of messages) await inbox.append(enc.encode(m));
}

const M1 = "Subject: first\r\nFrom: a@example.org\r\n\r\nline one\r\nline two\r\n";
const M2 = "Subject: second\r\n\r\n.starts with a dot\r\n..two dots\r\nend\r\n";

describe("real POP3 clients", () => {
  before(async () => {
    t = await startTestServer();
    inbox = await (await t.server.store.mailbox(ALICE)).folder("INBOX");
  });
  after(async () => {
    await t.stop();
  });

  it("poplib: STLS, USER/PASS, STAT/LIST/UIDL/TOP/RETR byte-exact, DELE/RSET/DELE/QUIT", SLOW, async () => {
    await reset([M1, M2]);
    const uids = inbox.list().map((m) => `${inbox.uidValidity}.${m.uid}`);
    const r = await python(POPLIB, [String(t.pop3), TEST_PASSWORD, "stls"]);
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.match(o.welcome, /^\+OK mx\.tern\.test Tern POP3 server ready/);
    assert.ok(o.capa_before.includes("STLS") && !o.capa_before.includes("USER"));
    assert.ok(o.capa_after.includes("USER") && o.capa_after.includes("SASL") && !o.capa_after.includes("STLS"));
    assert.deepEqual(o.stat, [2, M1.length + M2.length]);
    assert.deepEqual(o.list, [`1 ${M1.length}`, `2 ${M2.length}`]);
    assert.deepEqual(o.uidl, [`1 ${uids[0]}`, `2 ${uids[1]}`]);
    assert.deepEqual(o.top, ["Subject: first", "From: a@example.org", "", "line one"]);
    // poplib strips the CRLF and undoes the dot-stuffing: join back and compare bytes
    const retr = (o.retr as string[]).map((l) => Buffer.from(l, "base64").toString("latin1"));
    assert.equal(retr.join("\r\n") + "\r\n", M2);
    assert.match(o.rset, /^\+OK maildrop has 2 messages/);
    assert.match(o.quit, /^\+OK .*1 messages deleted/);
    await inbox.refresh();
    assert.deepEqual(inbox.list().map((m) => m.size), [M1.length], "only message 2 was expunged");
  });

  it("poplib: AUTH PLAIN after STLS; the deletion is visible in the store (and so to IMAP)", SLOW, async () => {
    await reset([M1, M2]);
    const r = await python(POPLIB, [String(t.pop3), TEST_PASSWORD, "auth-plain"]);
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.match(o.auth, /^\+OK alice@tern\.test has 2 messages/);
    await inbox.refresh();
    assert.deepEqual(inbox.list().map((m) => m.size), [M2.length]);
  });

  it("poplib: pop3s (implicit TLS) with USER/PASS", SLOW, async () => {
    await reset([M1, M2]);
    const r = await python(POPLIB, [String(t.pop3s), TEST_PASSWORD, "pop3s"]);
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.ok(o.capa_before.includes("USER") && !o.capa_before.includes("STLS"));
    assert.match(o.pass, /^\+OK alice@tern\.test has 2 messages/);
  });

  it("plaintext login refused before STLS; a second session gets [IN-USE]; a dropped one deletes nothing", SLOW, async () => {
    await reset([M1, M2]);
    const r = await python(`
import poplib, ssl, sys, socket
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
port, pw = int(sys.argv[1]), sys.argv[2]
p = poplib.POP3("127.0.0.1", port, timeout=20)
try:
    p.user("alice@tern.test"); print("no refusal")
except poplib.error_proto as e:
    print("refused", e.args[0].decode())
p.stls(context=ctx); p.user("alice@tern.test"); p.pass_(pw)
p.dele(1); p.dele(2)
q = poplib.POP3_SSL("127.0.0.1", int(sys.argv[3]), context=ctx, timeout=20)
q.user("alice@tern.test")
try:
    q.pass_(pw); print("no lock")
except poplib.error_proto as e:
    print("second", e.args[0].decode())
q.quit()
p.sock.shutdown(socket.SHUT_RDWR); p.sock.close()
`, [String(t.pop3), TEST_PASSWORD, String(t.pop3s)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^refused -ERR .*STLS/m);
    assert.match(r.stdout, /^second -ERR \[IN-USE\] /m);
    // the dropped session's DELEs were never applied, and its lock is released
    for (let i = 0; i < 100 && (await loginWorks()) === false; i++) await new Promise((r) => setTimeout(r, 20));
    await inbox.refresh();
    assert.equal(inbox.list().length, 2);
  });

  it("bad passwords: -ERR [AUTH], then the server hangs up", SLOW, async () => {
    const r = await python(`
import poplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
p = poplib.POP3_SSL("127.0.0.1", int(sys.argv[1]), context=ctx, timeout=30)
for i in range(4):
    try:
        p.user("alice@tern.test"); p.pass_("wrong"); print("accepted")
    except poplib.error_proto as e:
        m = e.args[0]
        m = m.decode() if isinstance(m, bytes) else m
        print("closed" if m == "-ERR EOF" else "err", m)
        if m == "-ERR EOF": break
    except Exception as e:
        print("closed", type(e).__name__)
        break
`, [String(t.pop3s)]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.match(lines[0]!, /^err -ERR \[AUTH\] invalid/);
    assert.match(lines[1]!, /^err -ERR \[AUTH\] invalid/);
    assert.match(lines[2]!, /^err -ERR \[AUTH\] too many failed logins/);
    assert.match(lines[3]!, /^closed /);
  });

  it("fetchmail: STLS, fetches every message byte-exact to an MDA, deletes them", SLOW, async () => {
    const M3 = "Subject: third\r\nMessage-ID: <3@example.org>\r\n\r\n.\r\n.. \r\nbye\r\n";
    await reset([M1, M3]);
    const r = await fetchmailAll(t.pop3, ALICE, TEST_PASSWORD);
    assert.equal(r.code, 0, r.log);
    assert.match(r.log, /STLS/);
    const got = r.messages;
    assert.equal(got.length, 2);
    // fetchmail adds a Received header and delivers LF line ends to an MDA
    const strip = (s: string) => s.slice(s.indexOf("Subject:"));
    assert.equal(strip(got[0]!), M1.replace(/\r\n/g, "\n"));
    assert.equal(strip(got[1]!), M3.replace(/\r\n/g, "\n"));
    await inbox.refresh();
    assert.equal(inbox.list().length, 0, "fetchmail deleted what it fetched");
  });
});

/** can alice log in (and leave again) right now? */
async function loginWorks(): Promise<boolean> {
  const r = await python(`
import poplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
p = poplib.POP3_SSL("127.0.0.1", int(sys.argv[1]), context=ctx, timeout=20)
p.user("alice@tern.test")
try:
    p.pass_(sys.argv[2]); p.rset(); p.quit(); print("ok")
except poplib.error_proto as e:
    print("no")
`, [String(t.pop3s), TEST_PASSWORD]);
  return r.stdout.trim() === "ok";
}
