// End to end: python smtplib on the MX port → spool → queue → local MDA → Maildir →
// POP3 out (python poplib byte-exact; fetchmail), and deletions seen across POP3/IMAP.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fetchmailAll } from "../helpers/fetchmail.ts";
import { python } from "../helpers/run.ts";
import { TEST_PASSWORD } from "../helpers/server.ts";
import { ALICE, delivered, type E2e, folderOf, PY_TLS, readStored, SLOW, smtpSend, startE2e, storedBodies } from "./_helpers.ts";

let e: E2e;
before(async () => {
  e = await startE2e();
});
after(async () => {
  await e?.stop();
});

const SMTPLIB = `
import smtplib, sys, json
port, rcpt, body = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode("latin1")
s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.example", timeout=20)
s.ehlo()
s.mail("sender@example.org")
code, _ = s.rcpt(rcpt)
assert code == 250, code
code, text = s.data(body)
s.quit()
print(json.dumps([code, text.decode()]))
`;

const POPLIB = PY_TLS + `
import poplib
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=20)
p.stls(context=ctx)
p.user(sys.argv[2]); p.pass_(sys.argv[3])
out = {"uidl": [l.decode() for l in p.uidl()[1]], "msgs": []}
for i in range(1, len(out["uidl"]) + 1):
    out["msgs"].append(base64.b64encode(b"\\r\\n".join(p.retr(i)[1]) + b"\\r\\n").decode())
for n in sys.argv[4:]:
    p.dele(int(n))
p.quit()
print(json.dumps(out))
`;

async function pop(user: string, dele: number[] = []): Promise<{ uidl: string[]; msgs: string[] }> {
  const r = await python(POPLIB, [String(e.t.pop3), user, TEST_PASSWORD, ...dele.map(String)]);
  assert.equal(r.code, 0, r.stderr);
  const o = JSON.parse(r.stdout) as { uidl: string[]; msgs: string[] };
  return { uidl: o.uidl, msgs: o.msgs.map((m) => Buffer.from(m, "base64").toString("latin1")) };
}

async function emptyInbox(user = ALICE): Promise<void> {
  const f = await folderOf(e, user);
  const uids = f.list().map((m) => m.uid);
  if (uids.length) await f.expunge(uids);
}

// a body with lines that need dot-stuffing both ways (SMTP in, POP3 out) and 8-bit bytes
const BODY = "From: Sender <sender@example.org>\r\nTo: alice@tern.test\r\nSubject: end to end\r\n\r\n" +
  "first line\r\n.a line with a leading dot\r\n..two dots\r\n.\r\ncaf\xe9 latin1 byte\r\nlast line\r\n";

describe("SMTP → Maildir → POP3", () => {
  it("python smtplib in, poplib out: byte-exact with Return-Path, Delivered-To and our Received", SLOW, async () => {
    await emptyInbox();
    const r = await python(SMTPLIB, [String(e.t.smtp), ALICE, BODY]);
    assert.equal(r.code, 0, r.stderr);
    const [code, text] = JSON.parse(r.stdout) as [number, string];
    assert.equal(code, 250, text);
    const id = /queued as (\S+)/.exec(text)?.[1];
    assert.ok(id, text);
    await delivered(e, [id]);
    assert.ok(e.events.some((x) => x.id === id && x.type === "delivered" && x.agent === "local"));

    const got = await pop(ALICE);
    assert.equal(got.msgs.length, 1);
    const date = /^\t(\w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d \+0000)\r$/m.exec(got.msgs[0]!)?.[1];
    assert.ok(date, got.msgs[0]);
    const expected = "Return-Path: <sender@example.org>\r\n" +
      "Delivered-To: alice@tern.test\r\n" +
      "Received: from client.example ([127.0.0.1])\r\n" +
      `\tby mx.tern.test (Tern) with ESMTP id ${id}\r\n` +
      "\tfor <alice@tern.test>;\r\n" +
      `\t${date}\r\n` + BODY;
    assert.equal(got.msgs[0], expected);
    // the same bytes are on disk, and the UIDL is the store's uidvalidity.uid
    const inbox = await folderOf(e, ALICE);
    const [m] = inbox.list();
    assert.equal(await readStored(inbox, m!.uid), expected);
    assert.deepEqual(got.uidl, [`1 ${inbox.uidValidity}.${m!.uid}`]);
  });

  it("fetchmail (STLS) fetches what arrived over SMTP, byte-exact after its own Received, and deletes it", SLOW, async () => {
    await emptyInbox();
    const bodies = [BODY, "Subject: second\r\nMessage-ID: <2@example.org>\r\n\r\n.\r\nbye\r\n"];
    await delivered(e, await smtpSend(e.t.smtp, bodies.map((body) => ({ to: [ALICE], body }))));
    const stored = await storedBodies(await folderOf(e, ALICE));
    assert.equal(stored.length, 2);
    const r = await fetchmailAll(e.t.pop3, ALICE, TEST_PASSWORD);
    assert.equal(r.code, 0, r.log);
    const got = r.messages;
    assert.equal(got.length, 2);
    for (let i = 0; i < 2; i++) {
      // fetchmail inserts its own Received after Return-Path and Delivered-To and hands
      // LF line ends to an MDA: without that header, it is our stored message
      const theirs = /^Received: from 127\.0\.0\.1 .*\n(?:\t.*\n)*?\tfor .*\n/m;
      assert.match(got[i]!, theirs);
      assert.equal(got[i]!.replace(theirs, ""), stored[i]!.replace(/\r\n/g, "\n"));
    }
    assert.equal((await folderOf(e, ALICE)).list().length, 0, "fetchmail deleted what it fetched");
  });
});

// one client process, two protocols: an IMAP session stays selected while POP3 deletes
const CROSS = PY_TLS + `
import imaplib, poplib
port_imaps, port_pop3, user, pw = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
def pop3():
    p = poplib.POP3("127.0.0.1", port_pop3, timeout=20)
    p.stls(context=ctx); p.user(user); p.pass_(pw)
    return p
out = {}
M = imaplib.IMAP4_SSL("127.0.0.1", port_imaps, ssl_context=ctx)
M.login(user, pw)
out["exists"] = int(M.select("INBOX")[1][0])
out["uids"] = [int(x) for x in M.uid("SEARCH", "ALL")[1][0].split()]
P = pop3()
P.dele(1); P.dele(3); P.quit()
M.noop()
out["expunge_seen"] = [int(x) for x in M.response("EXPUNGE")[1] if x]
out["uids_after_pop"] = [int(x) for x in M.uid("SEARCH", "ALL")[1][0].split()]
M.uid("STORE", str(out["uids_after_pop"][-1]), "+FLAGS", "(\\\\Deleted)")
out["expunged"] = [int(x) for x in M.expunge()[1] if x]
M.logout()
P = pop3()
out["uidl"] = [l.decode() for l in P.uidl()[1]]
out["retr"] = base64.b64encode(b"\\r\\n".join(P.retr(1)[1]) + b"\\r\\n").decode()
P.quit()
print(json.dumps(out))
`;

describe("deletions across POP3 and IMAP", () => {
  it("DELE over POP3 shows up as EXPUNGE in a selected IMAP session; EXPUNGE over IMAP removes it for POP3", SLOW, async () => {
    await emptyInbox();
    await delivered(e, await smtpSend(e.t.smtp, [1, 2, 3, 4].map((n) => ({ to: [ALICE], body: `Subject: m${n}\r\n\r\nbody ${n}\r\n` }))));
    const r = await python(CROSS, [String(e.t.imaps), String(e.t.pop3), ALICE, TEST_PASSWORD]);
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.equal(o.exists, 4);
    const [, u2, , u4] = o.uids as number[];
    // POP3 deleted messages 1 and 3: the IMAP session is told with two EXPUNGEs (any
    // order; each number counts after the previous ones, RFC 9051 §7.5.1), UIDs unchanged
    const seqs = [...(o.uids as number[])];
    for (const n of o.expunge_seen as number[]) seqs.splice(n - 1, 1);
    assert.deepEqual(seqs, [u2, u4], `EXPUNGE ${o.expunge_seen}`);
    assert.deepEqual(o.uids_after_pop, [u2, u4]);
    // IMAP expunged u4 (now message 2): POP3 sees only u2, under its old UIDL
    assert.deepEqual(o.expunged, [2]);
    const inbox = await folderOf(e, ALICE);
    assert.deepEqual(o.uidl, [`1 ${inbox.uidValidity}.${u2}`]);
    // deliveries run concurrently, so UID order need not be send order: compare with the store
    assert.equal(Buffer.from(o.retr, "base64").toString("latin1"), await readStored(inbox, u2));
    assert.deepEqual(inbox.list().map((m) => m.uid), [u2]);
  });
});
