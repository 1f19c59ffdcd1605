// python3 imaplib against a real Tern server (Maildir store) over loopback.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { python } from "../helpers/run.ts";
import { IMAPLIB_PRELUDE } from "./imaplib-prelude.ts";
import { startTestServer, TEST_PASSWORD, type TestServer } from "../helpers/server.ts";

const PRELUDE = IMAPLIB_PRELUDE;

const SLOW = { timeout: 60_000 };

describe("IMAP with python imaplib", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    await t.stop();
  });

  it("logs in over implicit TLS and runs the everyday commands", SLOW, async () => {
    const r = await python(PRELUDE + `
M = imaplib.IMAP4_SSL('127.0.0.1', port, ssl_context=ctx)
ok(M.login('alice@tern.test', pw))
out['caps'] = ok(M.capability())[0].decode().split()
out['list'] = [x.decode() for x in ok(M.list())]
ok(M.create('Work.Projects'))
out['list2'] = [x.decode() for x in ok(M.list('""', 'Work*'))]
msg = b'From: Bob <bob@x.test>\\r\\nTo: alice@tern.test\\r\\nSubject: first one\\r\\nDate: Tue, 14 Nov 2023 22:13:20 +0000\\r\\n\\r\\nHello body\\r\\n'
out['append'] = M.append('INBOX', '(\\\\Flagged)', imaplib.Time2Internaldate(1700000000), msg)[1][0].decode()
M.append('INBOX', None, None, msg.replace(b'first one', b'second one'))
out['select'] = [x.decode() for x in ok(M.select('INBOX'))]
typ, data = M.fetch('1:*', '(UID FLAGS RFC822.SIZE ENVELOPE)')
out['fetch'] = [x.decode() if isinstance(x, bytes) else x[0].decode() for x in data]
typ, data = M.fetch('1', '(BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY[TEXT])')
out['sections'] = [x[1].decode() for x in data if isinstance(x, tuple)]
out['flags_after'] = ok(M.fetch('1', '(FLAGS)'))[0].decode()
out['search'] = ok(M.search(None, 'SUBJECT', '"second"'))[0].decode()
out['usearch'] = ok(M.uid('SEARCH', 'FLAGGED'))[0].decode()
out['store'] = ok(M.store('2', '+FLAGS', '(\\\\Deleted $Label1)'))[0].decode()
out['copy'] = M.copy('1', 'Work.Projects')[0]
out['status'] = ok(M.status('Work.Projects', '(MESSAGES UIDNEXT UNSEEN)'))[0].decode()
out['expunge'] = [x.decode() for x in ok(M.expunge()) if x]
imaplib.Commands.setdefault('MOVE', ('SELECTED',))
out['move'] = M.uid('MOVE', '1', 'Trash')[0]
out['after_move'] = ok(M.search(None, 'ALL'))[0].decode()
out['trash'] = ok(M.status('Trash', '(MESSAGES)'))[0].decode()
M.close()
M.logout()
print(json.dumps(out))
`, [String(t.imaps), TEST_PASSWORD]);
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.ok(o.caps.includes("IDLE") && o.caps.includes("UIDPLUS") && o.caps.includes("MOVE"), o.caps);
    assert.ok(o.list.some((l: string) => l.includes("\\Sent") && l.endsWith("Sent")), o.list.join("|"));
    assert.ok(o.list.some((l: string) => l.endsWith("INBOX")));
    assert.deepEqual(o.list2.map((l: string) => l.split(" ").pop()), ["Work", "Work.Projects"]);
    assert.ok(o.list2[0].includes("\\Noselect") && o.list2[0].includes("\\HasChildren"), o.list2[0]);
    assert.match(o.append, /APPENDUID \d+ 1/);
    assert.equal(o.select[0], "2");
    assert.match(o.fetch[0], /UID 1 FLAGS \(\\Flagged \\Recent\) RFC822\.SIZE \d+ ENVELOPE \("Tue, 14 Nov 2023 22:13:20 \+0000" "first one" \(\("Bob" NIL "bob" "x\.test"\)\)/);
    assert.deepEqual(o.sections, ["Subject: first one\r\n\r\n", "Hello body\r\n"]);
    assert.match(o.flags_after, /\\Seen/); // BODY[TEXT] without PEEK sets \Seen
    assert.equal(o.search, "2");
    assert.equal(o.usearch, "1");
    assert.match(o.store, /FLAGS \(\\Deleted \$Label1 \\Recent\)/);
    assert.equal(o.copy, "OK");
    assert.match(o.status, /MESSAGES 1 UIDNEXT 2 UNSEEN 0/);
    assert.deepEqual(o.expunge, ["2"]);
    assert.equal(o.move, "OK");
    assert.equal(o.after_move, "");
    assert.match(o.trash, /MESSAGES 1/);
  });

  it("refuses LOGIN before STARTTLS and accepts it after", SLOW, async () => {
    const r = await python(PRELUDE + `
M = imaplib.IMAP4('127.0.0.1', port)
out['before'] = list(M.capabilities)
try:
    M.login('alice@tern.test', pw); out['plain'] = 'accepted'
except imaplib.IMAP4.error as e:
    out['plain'] = str(e)
M.starttls(ssl_context=ctx)
out['after'] = list(M.capabilities)
ok(M.login('alice@tern.test', pw))
try:
    M.login('alice@tern.test', pw)
except Exception as e:
    out['again'] = 'refused'
M.logout()
N = imaplib.IMAP4_SSL('127.0.0.1', int(sys.argv[3]), ssl_context=ctx)
try:
    N.login('alice@tern.test', 'wrong'); out['wrong'] = 'accepted'
except imaplib.IMAP4.error as e:
    out['wrong'] = str(e)
print(json.dumps(out))
`, [String(t.imap), TEST_PASSWORD, String(t.imaps)]);
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.ok(o.before.includes("STARTTLS") && o.before.includes("LOGINDISABLED"), o.before);
    assert.notEqual(o.plain, "accepted");
    assert.ok(o.after.includes("AUTH=PLAIN") && !o.after.includes("LOGINDISABLED"), o.after);
    assert.match(o.wrong, /AUTHENTICATIONFAILED/);
  });

  it("wakes an IDLE client when another session appends", SLOW, async () => {
    const r = await python(PRELUDE + `
import threading
M = imaplib.IMAP4_SSL('127.0.0.1', port, ssl_context=ctx)
ok(M.login('alice@tern.test', pw))
n0 = int(ok(M.select('INBOX'))[0])
tag = M._new_tag()
M.send(tag + b' IDLE\\r\\n')
out['cont'] = M.readline().decode().strip()
def deliver():
    N = imaplib.IMAP4_SSL('127.0.0.1', port, ssl_context=ctx)
    N.login('alice@tern.test', pw)
    N.append('INBOX', None, None, b'Subject: idle\\r\\n\\r\\nwake up\\r\\n')
    N.logout()
threading.Timer(0.2, deliver).start()
M.sock.settimeout(20)
line = M.readline().decode().strip()
out['event'] = line
out['n0'] = n0
M.send(b'DONE\\r\\n')
out['recent'] = M.readline().decode().strip()
out['done'] = M.readline().decode().strip()
M.logout()
print(json.dumps(out))
`, [String(t.imaps), TEST_PASSWORD]);
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.equal(o.cont, "+ idling");
    assert.equal(o.event, `* ${o.n0 + 1} EXISTS`);
    assert.match(o.recent, /^\* [1-9]\d* RECENT$/); // RFC 3501 §7.3.2: the arrival is recent in the IDLE session
    assert.match(o.done, /OK IDLE terminated/);
  });
});
