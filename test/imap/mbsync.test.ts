// mbsync (isync) syncing both ways with a real Tern server over loopback.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../helpers/run.ts";
import { startTestServer, TEST_PASSWORD, type TestServer } from "../helpers/server.ts";

const hasMbsync = await run("mbsync", ["--version"]).then((r) => r.code === 0, () => false);

const SLOW = { timeout: 60_000 };

describe("IMAP with mbsync", { skip: !hasMbsync && "mbsync not installed" }, () => {
  let t: TestServer;
  let dir: string;
  before(async () => {
    t = await startTestServer({ auth: { allowInsecure: true } });
    dir = mkdtempSync(join(tmpdir(), "tern-mbsync-"));
    mkdirSync(join(dir, "mail"));
    writeFileSync(join(dir, "rc"), `IMAPAccount tern
Host 127.0.0.1
Port ${t.imap}
User alice@tern.test
Pass ${TEST_PASSWORD}
SSLType None
AuthMechs LOGIN

IMAPStore remote
Account tern

MaildirStore local
Path ${dir}/mail/
Inbox ${dir}/mail/INBOX
SubFolders Verbatim

Channel sync
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
SyncState *
`);
  });
  after(async () => {
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const mbsync = () => run("mbsync", ["-c", join(dir, "rc"), "-a"], undefined, 60_000);
  const files = (folder: string) =>
    ["cur", "new"].flatMap((d) => readdirSync(join(dir, "mail", folder, d)).map((f) => join(dir, "mail", folder, d, f)));

  it("pulls server mail, pushes local mail and flags, and propagates deletions", SLOW, async () => {
    const box = await t.server.store.mailbox("alice@tern.test");
    const inbox = await box.folder("INBOX");
    const enc = new TextEncoder();
    await inbox.append(enc.encode("From: bob@x.test\r\nSubject: from server\r\n\r\nserver body\r\n"), [], Date.now());
    let r = await mbsync();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const got = files("INBOX");
    assert.equal(got.length, 1);
    assert.match(readFileSync(got[0]!, "utf8"), /Subject: from server/);

    // local → server: a new message in Sent and the \Seen flag on the pulled one
    writeFileSync(join(dir, "mail", "Sent", "new", `1700000000.local1.host`), "From: alice@tern.test\r\nSubject: pushed\r\n\r\nhi\r\n");
    const [first] = got;
    const { renameSync } = await import("node:fs");
    renameSync(first!, first!.replace(/(:2,[A-Z]*)?$/, "") .replace("/new/", "/cur/") + ":2,S");
    r = await mbsync();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const sent = (await box.folder("Sent")).list();
    assert.equal(sent.length, 1);
    assert.ok(inbox.list()[0]!.flags.includes("\\Seen"), JSON.stringify(inbox.list()));

    // server-side deletion → gone locally
    await inbox.setFlags([inbox.list()[0]!.uid], ["\\Deleted"], "add");
    await inbox.expunge([inbox.list()[0]!.uid]);
    r = await mbsync();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(files("INBOX").length, 0);
  });
});
