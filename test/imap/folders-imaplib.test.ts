// IMAP DELETE / RENAME / SUBSCRIBE / LSUB on the real Maildir store, driven by python
// imaplib against a Tern server over loopback.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { python } from "../helpers/run.ts";
import { IMAPLIB_PRELUDE } from "./imaplib-prelude.ts";
import { startTestServer, TEST_PASSWORD, type TestServer } from "../helpers/server.ts";

const PRELUDE = IMAPLIB_PRELUDE + `
user = sys.argv[3]
def names(r):
    return [x.decode().rsplit(' ', 1)[1].strip('"') for x in ok(r) if x]
M = imaplib.IMAP4_SSL('127.0.0.1', port, ssl_context=ctx)
ok(M.login(user, pw))
msg = b'From: Bob <bob@x.test>\\r\\nSubject: keep me\\r\\n\\r\\nHello\\r\\n'
`;

const SLOW = { timeout: 60_000 };

describe("IMAP folder commands on the Maildir store (python imaplib)", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      users: [{ address: "alice@tern.test", password: TEST_PASSWORD }, { address: "bob@tern.test", password: TEST_PASSWORD }],
    });
  });
  after(async () => {
    await t.stop();
  });
  const userDir = (local: string) => join(t.dir, "mail", "tern.test", local);

  it("RENAME moves a folder with its children and messages; DELETE removes one", SLOW, async () => {
    const r = await python(PRELUDE + `
ok(M.create('Projects'))
ok(M.create('Projects.2024'))
ok(M.append('Projects', '(\\\\Flagged)', None, msg))
ok(M.append('Projects.2024', None, None, msg.replace(b'keep me', b'child')))
out['rename'] = M.rename('Projects', 'Archive.Projects')[0]
out['list'] = names(M.list('""', '*'))
out['status'] = ok(M.status('Archive.Projects', '(MESSAGES UIDNEXT)'))[0].decode()
ok(M.select('Archive.Projects.2024'))
out['child'] = ok(M.fetch('1', '(BODY.PEEK[HEADER.FIELDS (SUBJECT)])'))[0][1].decode()
ok(M.close())
out['old_select'] = M.select('Projects')[0]
r = M.rename('Nope', 'Other'); out['rename_missing'] = [r[0], [x.decode() for x in r[1]]]
r = M.rename('Archive.Projects', 'Sent'); out['rename_exists'] = [r[0], [x.decode() for x in r[1]]]
out['rename_inbox'] = M.rename('INBOX', 'Old')[0]
ok(M.select('Archive.Projects'))
out['rename_selected'] = M.rename('Archive.Projects', 'X')[0]
ok(M.close())
out['delete'] = M.delete('Archive.Projects')[0]
out['list2'] = [x.decode() for x in ok(M.list('""', 'Archive*'))]
out['delete_again'] = M.delete('Archive.Projects')[0]
out['delete_inbox'] = M.delete('INBOX')[0]
ok(M.create('Archive.Projects'))
out['fresh'] = ok(M.status('Archive.Projects', '(MESSAGES)'))[0].decode()
M.logout()
print(json.dumps(out))
`, [String(t.imaps), TEST_PASSWORD, "alice@tern.test"]);
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.equal(o.rename, "OK");
    assert.ok(o.list.includes("Archive.Projects") && o.list.includes("Archive.Projects.2024"), o.list.join());
    assert.ok(!o.list.includes("Projects") && !o.list.includes("Projects.2024"), o.list.join());
    assert.match(o.status, /MESSAGES 1 UIDNEXT 2/);
    assert.equal(o.child, "Subject: child\r\n\r\n");
    assert.equal(o.old_select, "NO");
    assert.equal(o.rename_missing[0], "NO");
    assert.match(o.rename_missing[1][0], /NONEXISTENT/);
    assert.equal(o.rename_exists[0], "NO");
    assert.match(o.rename_exists[1][0], /ALREADYEXISTS/);
    assert.equal(o.rename_inbox, "NO");
    assert.equal(o.rename_selected, "NO");
    assert.equal(o.delete, "OK");
    // the child stays; the deleted parent becomes \\Noselect (RFC 3501 §6.3.4)
    assert.ok(o.list2.some((l: string) => l.endsWith("Archive.Projects") && l.includes("\\Noselect")), o.list2.join("|"));
    assert.ok(o.list2.some((l: string) => l.endsWith("Archive.Projects.2024") && !l.includes("\\Noselect")), o.list2.join("|"));
    assert.equal(o.delete_again, "NO");
    assert.equal(o.delete_inbox, "NO");
    assert.match(o.fresh, /MESSAGES 0/);
    assert.ok(existsSync(join(userDir("alice"), ".Archive.Projects.2024", "cur")));
  });

  it("SUBSCRIBE / UNSUBSCRIBE are kept per user and shown by LSUB and LIST (SUBSCRIBED)", SLOW, async () => {
    const r = await python(PRELUDE + `
out['lsub0'] = names(M.lsub('""', '*'))
ok(M.create('News'))
ok(M.subscribe('INBOX'))
ok(M.subscribe('Sent'))
ok(M.subscribe('News'))
out['sub_missing'] = M.subscribe('Nope')[0]
out['lsub1'] = names(M.lsub('""', '*'))
ok(M.unsubscribe('Sent'))
out['lsub2'] = names(M.lsub('""', '*'))
typ, data = M._simple_command('LIST', '(SUBSCRIBED)', '""', '"*"')
out['listsub'] = [x.decode() for x in M._untagged_response(typ, data, 'LIST')[1] if x]
ok(M.rename('News', 'Feeds'))
out['lsub3'] = names(M.lsub('""', '*'))
ok(M.delete('Feeds'))
out['lsub4'] = names(M.lsub('""', '*'))
M.logout()
M = imaplib.IMAP4_SSL('127.0.0.1', port, ssl_context=ctx)
ok(M.login(user, pw))
out['again'] = names(M.lsub('""', '*'))
M.logout()
print(json.dumps(out))
`, [String(t.imaps), TEST_PASSWORD, "bob@tern.test"]);
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.deepEqual(o.lsub0, []);
    assert.equal(o.sub_missing, "NO");
    assert.deepEqual(o.lsub1, ["INBOX", "News", "Sent"]);
    assert.deepEqual(o.lsub2, ["INBOX", "News"]);
    assert.equal(o.listsub.length, 2, o.listsub.join("|"));
    assert.ok(o.listsub.every((l: string) => l.includes("\\Subscribed")), o.listsub.join("|"));
    assert.deepEqual(o.lsub3, ["INBOX", "Feeds"]);
    assert.deepEqual(o.lsub4, ["INBOX"]);
    assert.deepEqual(o.again, ["INBOX"]);
    assert.equal(readFileSync(join(userDir("bob"), "tern-subscriptions"), "utf8"), "INBOX\n");
  });
});
