// A 10,000-message INBOX over IMAP (python imaplib): STATUS, SELECT, FETCH of every
// message's UID/FLAGS/RFC822.SIZE, SEARCH by header/size/flag, byte-exact BODY[] of a
// sample, STORE on half of them. The folder is filled as another Maildir writer would
// (files dropped into new/), then indexed by the store API (folder.refresh()), so the
// test does not pay 10,000 fsyncs and index writes.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { python } from "../helpers/run.ts";
import { TEST_PASSWORD } from "../helpers/server.ts";
import { ALICE, type E2e, folderOf, PY_TLS, startE2e } from "./_helpers.ts";

const COUNT = 10_000;
let e: E2e;
before(async () => {
  e = await startE2e({ users: [{ address: ALICE, password: TEST_PASSWORD }] });
});
after(async () => {
  await e?.stop();
});

/** message i (0-based): distinct subject, one of 7 senders, size grows with i % 50 */
function message(i: number): string {
  return `From: Sender ${i % 7} <sender${i % 7}@example.org>\r\nTo: alice@tern.test\r\n` +
    `Subject: msg ${i} needle-${i}\r\nMessage-ID: <${i}@example.org>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\n` +
    `body of message ${i}\r\n${"x".repeat(i % 50)}\r\n`;
}

const BIG = PY_TLS + `
import imaplib, re
imaplib._MAXLINE = 10_000_000
M = imaplib.IMAP4_SSL("127.0.0.1", int(sys.argv[1]), ssl_context=ctx)
M.login(sys.argv[2], sys.argv[3])
out = {}
out["status"] = M.status("INBOX", "(MESSAGES UIDNEXT UNSEEN)")[1][0].decode()
out["list"] = [x.decode() for x in M.list('""', "INBOX")[1]]
typ, data = M.select("INBOX")
out["exists"] = int(data[0])
typ, data = M.fetch("1:*", "(UID FLAGS RFC822.SIZE)")
rows = []
for x in data:
    m = re.match(rb"(\\d+) \\(UID (\\d+) FLAGS \\(([^)]*)\\) RFC822\\.SIZE (\\d+)\\)", x)
    rows.append([int(m.group(1)), int(m.group(2)), m.group(3).decode(), int(m.group(4))])
out["rows"] = rows
out["needle"] = M.search(None, "SUBJECT", '"needle-7777"')[1][0].decode()
out["from3"] = len(M.search(None, "FROM", '"sender3@example.org"')[1][0].split())
out["larger"] = len(M.uid("SEARCH", "LARGER", sys.argv[4])[1][0].split())
typ, data = M.fetch("9990:*", "(BODY.PEEK[])")
out["bodies"] = [base64.b64encode(x[1]).decode() for x in data if isinstance(x, tuple)]
import hashlib
typ, data = M.fetch("1:*", "(UID BODY.PEEK[])")
out["digests"] = [hashlib.sha256(x[1]).hexdigest() for x in data if isinstance(x, tuple)]
typ, data = M.fetch("5000", "(ENVELOPE)")
out["envelope"] = data[0].decode()
M.store("1:5000", "+FLAGS.SILENT", "(\\\\Seen)")
out["unseen"] = len(M.search(None, "UNSEEN")[1][0].split())
out["seen_uid_range"] = M.uid("SEARCH", "SEEN", "UID", "1:100")[1][0].decode().split()[:3]
M.logout()
print(json.dumps(out))
`;

describe("a 10,000-message folder over IMAP", () => {
  it("STATUS, SELECT, FETCH all, SEARCH, BODY[] byte-exact, STORE", { timeout: 120_000 }, async () => {
    const inbox = await folderOf(e, ALICE);
    const dir = join(e.dataDir, "mail", "tern.test", "alice");
    mkdirSync(join(dir, "new"), { recursive: true });
    const when = new Date("2024-01-01T00:00:00Z");
    const sizes: number[] = [];
    for (let i = 0; i < COUNT; i++) {
      const m = message(i);
      sizes.push(m.length);
      // zero-padded names: with one mtime the store indexes them in this order
      const file = join(dir, "new", `1704067200.M${String(i).padStart(6, "0")}P1.e2e.test,S=${m.length}`);
      writeFileSync(file, m);
      utimesSync(file, when, when);
    }
    await inbox.refresh();
    assert.equal(inbox.list().length, COUNT);
    const uidNext = inbox.uidNext;
    const threshold = message(4040).length;
    const r = await python(BIG, [String(e.t.imaps), ALICE, TEST_PASSWORD, String(threshold)]);
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.match(o.status, new RegExp(`MESSAGES ${COUNT} UIDNEXT ${uidNext} UNSEEN ${COUNT}`));
    assert.equal(o.list.length, 1);
    assert.equal(o.exists, COUNT);
    const uids = inbox.list().map((m) => m.uid);
    assert.equal(o.rows.length, COUNT);
    for (let i = 0; i < COUNT; i++) {
      const [seq, uid, flags, size] = o.rows[i];
      assert.deepEqual([seq, uid, flags, size], [i + 1, uids[i], "\\Recent", sizes[i]], `row ${i + 1}`); // new to the first SELECT (RFC 3501 §2.3.2)
    }
    assert.equal(o.needle, "7778");
    assert.equal(o.from3, Math.ceil((COUNT - 3) / 7));
    assert.equal(o.larger, sizes.filter((s) => s > threshold).length);
    assert.ok(o.larger > 0 && o.larger < COUNT);
    assert.equal(o.bodies.length, 11);
    for (let k = 0; k < 11; k++) assert.equal(Buffer.from(o.bodies[k], "base64").toString("latin1"), message(9989 + k));
    // every body, over several output buffers (written straight from the files, buffers reused)
    assert.equal(o.digests.length, COUNT);
    for (let i = 0; i < COUNT; i++) assert.equal(o.digests[i], createHash("sha256").update(message(i), "latin1").digest("hex"), `body ${i + 1}`);
    assert.match(o.envelope, /ENVELOPE \("Mon, 1 Jan 2024 00:00:00 \+0000" "msg 4999 needle-4999" \(\("Sender 1" NIL "sender1" "example\.org"\)\)/);
    assert.equal(o.unseen, COUNT - 5000);
    assert.deepEqual(o.seen_uid_range, uids.slice(0, 3).map(String));
    await inbox.refresh();
    assert.equal(inbox.list().filter((m) => m.flags.includes("\\Seen")).length, 5000, "the flags reached the store");
  });
});
