// \Recent over the real Maildir store: the claim mark starts at the UIDNEXT a folder
// had when this process opened it, so a restart forgets old arrivals but files dropped
// into new/ while the server was down count as new.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RecentSet, unclaimedCount } from "../../src/imap/recent.ts";
import { openMailStore } from "../../src/store/index.ts";

const dir = mkdtempSync(join(tmpdir(), "tern-recent-"));
const enc = new TextEncoder();

describe("IMAP \\Recent on the Maildir store", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("starts at the folder's UIDNEXT when opened; files adopted at open are new", async () => {
    const first = await (await openMailStore(dir).mailbox("alice@example.com")).folder("INBOX");
    assert.equal(first.openUidNext, 1);
    await first.append(enc.encode("Subject: a\r\n\r\nx\r\n"));
    await first.append(enc.encode("Subject: b\r\n\r\ny\r\n"));
    assert.equal(unclaimedCount(first, first.list()), 2);
    const claim = new RecentSet(first, true);
    claim.see(2);
    assert.equal(unclaimedCount(first, first.list()), 0);

    // another program delivers while "the server is down"; then a new process opens the folder
    writeFileSync(join(dir, "example.com", "alice", "new", "1700000000.M1P1.elsewhere"), "Subject: c\r\n\r\nz\r\n");
    const again = await (await openMailStore(dir).mailbox("alice@example.com")).folder("INBOX");
    assert.notEqual(again, first);
    assert.equal(again.openUidNext, 3);
    assert.deepEqual(again.list().map((m) => m.uid), [1, 2, 3]);
    assert.equal(unclaimedCount(again, again.list()), 1); // only the adopted file
    const s = new RecentSet(again, true);
    s.see(3);
    assert.deepEqual([1, 2, 3].map((u) => s.has(u)), [false, false, true]);
  });
});
