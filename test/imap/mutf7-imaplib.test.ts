// Modified UTF-7 mailbox names (RFC 3501 §5.1.3) on the real Maildir store, driven by
// python imaplib (which does not encode names: the script sends them encoded) — plus
// \Recent as a real client sees it.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { python } from "../helpers/run.ts";
import { IMAPLIB_PRELUDE } from "./imaplib-prelude.ts";
import { startTestServer, TEST_PASSWORD, type TestServer } from "../helpers/server.ts";

const PRELUDE = IMAPLIB_PRELUDE + `
def answer(r):
    return [r[0], [x.decode() if isinstance(x, bytes) else str(x) for x in r[1]]]
M = imaplib.IMAP4_SSL('127.0.0.1', port, ssl_context=ctx)
ok(M.login('alice@tern.test', pw))
msg = b'From: Bob <bob@x.test>\\r\\nSubject: hi\\r\\n\\r\\nHello\\r\\n'
`;

const SLOW = { timeout: 60_000 };

describe("IMAP modified UTF-7 mailbox names on the Maildir store (python imaplib)", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ users: [{ address: "alice@tern.test", password: TEST_PASSWORD }] });
  });
  after(async () => {
    await t.stop();
  });

  it("CREATE, LIST, SELECT, APPEND, STATUS and RENAME with encoded non-ASCII names; invalid names get NO", SLOW, async () => {
    const r = await python(PRELUDE + `
drafts = 'Entw&APw-rfe'                 # Entwürfe
taipei = 'Reisen.&U,BTFw-'              # Reisen.台北
out['py_encoded'] = 'Entwürfe'.encode('utf-7').decode().replace('+', '&').replace('/', ',')
ok(M.create(drafts))
ok(M.create(taipei))
out['list'] = [x.decode() for x in ok(M.list('""', '*'))]
ok(M.append(taipei, None, None, msg))
out['status'] = ok(M.status(taipei, '(MESSAGES RECENT)'))[0].decode()
out['select'] = answer(M.select(taipei))
out['fetch'] = ok(M.fetch('1', '(FLAGS)'))[0].decode()
ok(M.close())
out['rename'] = M.rename(drafts, '&ZeVnLIqe-')[0]   # 日本語
out['list2'] = [x.decode() for x in ok(M.list('""', '%'))]
out['raw8bit'] = answer(M._simple_command('CREATE', '"Grüße"'.encode('utf-8')))
out['unterminated'] = answer(M.create('Bad&U,BTFw'))
out['badbase64'] = answer(M.create('"Bad&U*BT-"'))
out['ascii_encoded'] = answer(M.create('&AGEAYgBj-'))   # "abc", which must be written as itself
out['null_shift'] = answer(M.rename('&ZeVnLIqe-', '&Jjo-&Jjo-'))
out['list3'] = [x.decode() for x in ok(M.list('""', '*'))]
M.logout()
print(json.dumps(out))
`, [String(t.imaps), TEST_PASSWORD]);
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.equal(o.py_encoded, "Entw&APw-rfe"); // Python's UTF-7 agrees with the name sent
    assert.ok(o.list.some((l: string) => l.endsWith(' "." Entw&APw-rfe')), o.list.join("|"));
    assert.ok(o.list.some((l: string) => l.endsWith(' "." Reisen.&U,BTFw-')), o.list.join("|"));
    assert.ok(o.list.some((l: string) => /\\Noselect.* "\." Reisen$/.test(l)), o.list.join("|"));
    assert.match(o.status, /MESSAGES 1 RECENT 1/);
    assert.equal(o.select[0], "OK");
    assert.match(o.fetch, /FLAGS \(\\Recent\)/);
    assert.equal(o.rename, "OK");
    assert.ok(o.list2.some((l: string) => l.endsWith(' "." &ZeVnLIqe-')), o.list2.join("|"));
    for (const k of ["raw8bit", "unterminated", "badbase64", "ascii_encoded", "null_shift"]) {
      assert.equal(o[k][0], "NO", `${k}: ${o[k]}`);
      assert.match(o[k][1][0], /^Mailbox name is not valid mUTF-7: /, k);
    }
    assert.match(o.raw8bit[1][0], /8-bit/);
    assert.match(o.unterminated[1][0], /unterminated/);
    assert.ok(!o.list3.some((l: string) => /Bad|Gr|Jjo|AGEA/.test(l)), o.list3.join("|"));
    // stored on disk exactly as the client sent them (Dovecot's Maildir++ layout too)
    const home = join(t.dir, "mail", "tern.test", "alice");
    assert.ok(existsSync(join(home, ".Reisen.&U,BTFw-", "cur")));
    assert.ok(existsSync(join(home, ".&ZeVnLIqe-", "cur")));
    assert.ok(!existsSync(join(home, ".Entw&APw-rfe")));
  });
});
