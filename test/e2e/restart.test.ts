// End to end across a restart: mail delivered over SMTP, one message expunged over
// IMAP, server.close(), a new server on the same dataDir: POP3 UIDLs and IMAP
// UIDVALIDITY/UIDs are the same, and new mail gets a UID above every old one.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { python } from "../helpers/run.ts";
import { TEST_PASSWORD } from "../helpers/server.ts";
import type { MessageState } from "../../src/queue/types.ts";
import { ALICE, BOB, delivered, type E2e, folderOf, PY_TLS, SLOW, smtpSend, startE2e, until } from "./_helpers.ts";

let e: E2e;
before(async () => {
  e = await startE2e();
});
after(async () => {
  await e?.stop();
});

interface Seen {
  uidvalidity: number;
  uidnext: number;
  /** UID → Subject over IMAP */
  imap: [number, string][];
  /** POP3 UIDL lines "n uidl" */
  uidl: string[];
}

const LOOK = PY_TLS + `
import imaplib, poplib, re
port_imaps, port_pop3, user, pw = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
M = imaplib.IMAP4_SSL("127.0.0.1", port_imaps, ssl_context=ctx)
M.login(user, pw)
st = M.status("INBOX", "(UIDVALIDITY UIDNEXT)")[1][0].decode()
out = {"uidvalidity": int(re.search(r"UIDVALIDITY (\\d+)", st).group(1)), "uidnext": int(re.search(r"UIDNEXT (\\d+)", st).group(1))}
M.select("INBOX")
typ, data = M.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
out["imap"] = []
for x in data:
    if isinstance(x, tuple):
        uid = int(re.search(rb"UID (\\d+)", x[0]).group(1))
        out["imap"].append([uid, x[1].decode().strip()])
for uid in sys.argv[5:]:
    M.uid("STORE", uid, "+FLAGS", "(\\\\Deleted)")
M.expunge()
M.logout()
p = poplib.POP3_SSL("127.0.0.1", port_pop3, context=ctx, timeout=20)
p.user(user); p.pass_(pw)
out["uidl"] = [l.decode() for l in p.uidl()[1]]
p.quit()
print(json.dumps(out))
`;

async function look(expunge: number[] = []): Promise<Seen> {
  const r = await python(LOOK, [String(e.t.imaps), String(e.t.pop3s), ALICE, TEST_PASSWORD, ...expunge.map(String)]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Seen;
}

const msg = (n: number) => ({ to: [ALICE], body: `Subject: restart ${n}\r\n\r\nbody ${n}\r\n` });

describe("restart", () => {
  it("keeps POP3 UIDLs, IMAP UIDVALIDITY and UIDs; new mail gets a higher UID", SLOW, async () => {
    await delivered(e, await smtpSend(e.t.smtp, [1, 2, 3, 4].map(msg)));
    // expunge the third over IMAP (its UID must never come back); `first` is what the
    // clients saw before that EXPUNGE
    const gone = (await folderOf(e, ALICE)).list()[2]!.uid;
    const first = await look([gone]);
    assert.equal(first.imap.length, 4);
    assert.equal(first.imap[2]![0], gone);
    const kept = first.imap.filter(([uid]) => uid !== gone);

    await e.restart();
    const after = await look();
    assert.equal(after.uidvalidity, first.uidvalidity);
    assert.deepEqual(after.imap, kept);
    assert.equal(after.uidnext, first.uidnext);
    // POP3: the same UIDL for each message that is left
    const uidlOf = (s: Seen) => s.uidl.map((l) => l.split(" ")[1]);
    assert.deepEqual(uidlOf(after), uidlOf(first), "POP3 (after the EXPUNGE, before the restart) saw the same UIDLs");
    assert.deepEqual(uidlOf(after), kept.map(([uid]) => `${first.uidvalidity}.${uid}`));

    await delivered(e, await smtpSend(e.t.smtp, [msg(5)]));
    const later = await look();
    const [newUid, subject] = later.imap.at(-1)!;
    assert.equal(subject, "Subject: restart 5");
    assert.ok(newUid >= first.uidnext, `new UID ${newUid} reuses none below UIDNEXT ${first.uidnext}`);
    assert.equal(later.uidvalidity, first.uidvalidity);
  });

  it("a message deferred by quota stays queued across a restart (same state, no bounce) and the quota is kept", SLOW, async () => {
    e.t.server.directory.setQuota(BOB, 100);
    const [id] = await smtpSend(e.t.smtp, [{ to: [BOB], body: "Subject: too big\r\n\r\n" + "y".repeat(500) + "\r\n" }]);
    const state = () => e.t.server.spool.get(id!)?.state as unknown as MessageState | undefined;
    await until(() => state()?.rcpts[0]?.status === "deferred", "deferred");
    const was = state()!;
    await e.restart();
    assert.equal(e.t.server.directory.getUser(BOB)?.quota, 100, "the quota set at run time survives the restart");
    const now = state();
    assert.ok(now, "still queued after the restart");
    assert.equal(now.rcpts[0]!.status, "deferred");
    assert.equal(now.rcpts[0]!.attempts, was.rcpts[0]!.attempts);
    assert.match(now.rcpts[0]!.lastReply!, /^452 4\.2\.2 /);
    assert.equal((await folderOf(e, BOB)).list().length, 0);
    assert.ok(!e.events.some((x) => x.id === id && (x.type === "bounced" || x.type === "dsn")));
  });
});
