// The folder index journal: changes are appended (no whole-index rewrite), replayed on
// open, folded into a new snapshot; torn tails and stale journals do no harm.

import assert from "node:assert/strict";
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openMailStore } from "../../src/store/index.ts";
import { decodeLog, encodeRecords, type LogRecord, replay } from "../../src/store/index-log.ts";
import type { FolderIndex } from "../../src/store/index-file.ts";

const dir = mkdtempSync(join(tmpdir(), "tern-ixlog-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const root = () => join(dir, `m${++n}`);
const enc = (s: string) => new TextEncoder().encode(s);

const entry = (uid: number, flags: string[] = []) => ({ uid, key: `k${uid}`, file: `new/k${uid}`, size: 10, flags, internalDate: 1000 * uid, modseq: uid });

describe("folder index journal", () => {
  it("encodes and decodes every record kind; a torn or corrupt tail ends the replay", () => {
    const recs: LogRecord[] = [
      { t: "append", entry: entry(1, ["\\Seen"]), uidNext: 2, highestModseq: 1 },
      { t: "flags", uid: 1, file: "cur/k1:2,FS", flags: ["\\Seen", "\\Flagged"], modseq: 2, highestModseq: 2 },
      { t: "expunge", uids: [1], highestModseq: 3 },
    ];
    const bytes = encodeRecords(recs);
    assert.deepEqual(decodeLog(bytes), { records: recs, torn: false });
    for (let cut = 0; cut < bytes.length; cut++) {
      const got = decodeLog(bytes.subarray(0, cut));
      assert.ok(got.records.length < 3, `cut at ${cut}`);
      assert.deepEqual(got.records, recs.slice(0, got.records.length));
      assert.equal(got.torn, cut > 0 && got.records.length < 3 && !isBoundary(bytes, cut));
    }
    const flipped = bytes.slice();
    flipped[flipped.length - 2]! ^= 0xff; // inside the last payload: its CRC no longer matches
    assert.deepEqual(decodeLog(flipped), { records: recs.slice(0, 2), torn: true });
  });

  it("replays idempotently: old appends, older flags and repeated expunges change nothing", () => {
    const ix: FolderIndex = { uidValidity: 7, uidNext: 3, highestModseq: 5, messages: [entry(1), { ...entry(2), modseq: 5, flags: ["\\Seen"] }] };
    replay(ix, [
      { t: "append", entry: entry(2), uidNext: 3, highestModseq: 2 }, // already in the snapshot
      { t: "flags", uid: 2, file: "cur/k2:2,", flags: [], modseq: 4, highestModseq: 4 }, // older than the entry
      { t: "expunge", uids: [9], highestModseq: 5 }, // not there
    ]);
    assert.deepEqual(ix.messages.map((m) => [m.uid, m.flags]), [[1, []], [2, ["\\Seen"]]]);
    assert.equal(ix.uidNext, 3);
    replay(ix, [
      { t: "append", entry: entry(3), uidNext: 4, highestModseq: 6 },
      { t: "flags", uid: 1, file: "cur/k1:2,F", flags: ["\\Flagged"], modseq: 7, highestModseq: 7 },
      { t: "expunge", uids: [2], highestModseq: 8 },
    ]);
    assert.deepEqual(ix.messages.map((m) => [m.uid, m.flags]), [[1, ["\\Flagged"]], [3, []]]);
    assert.deepEqual([ix.uidNext, ix.highestModseq], [4, 8]);
  });

  it("appends, flag changes and expunges go to the journal and survive a reopen", async () => {
    const r = root();
    const box = await openMailStore(r).mailbox("a@example.com");
    const f = await box.createFolder("Work");
    const uids: number[] = [];
    for (let i = 0; i < 20; i++) uids.push(await f.append(enc(`Subject: ${i}\r\n\r\nbody ${i}\r\n`), i % 2 ? ["\\Seen"] : []));
    await f.setFlags([uids[0]!, uids[1]!], ["\\Flagged", "$Work"], "add");
    await f.expunge([uids[2]!, uids[3]!]);
    const log = join(r, "example.com", "a", ".Work", "tern-index.log");
    const snapshot = join(r, "example.com", "a", ".Work", "tern-index");
    assert.ok(statSync(log).size > 0, "the changes are in the journal");
    const before = f.list();
    const state = [f.uidValidity, f.uidNext, f.highestModseq];
    const snapshotBytes = readFileSync(snapshot);

    const again = await (await openMailStore(r).mailbox("a@example.com")).folder("Work");
    assert.deepEqual(again.list(), before);
    assert.deepEqual([again.uidValidity, again.uidNext, again.highestModseq], state);
    assert.equal(statSync(log).size, 0, "replayed into a new snapshot, journal emptied");
    assert.notDeepEqual(readFileSync(snapshot), snapshotBytes);
    // the UIDs go on from where they were
    assert.equal(await again.append(enc("Subject: later\r\n\r\nx\r\n")), uids[19]! + 1);
  });

  it("a stale journal (crash between the snapshot and the truncation) and a torn tail do no harm", async () => {
    const r = root();
    const box = await openMailStore(r).mailbox("b@example.com");
    const f = await box.createFolder("Work");
    const folderDir = join(r, "example.com", "b", ".Work");
    const uids: number[] = [];
    for (let i = 0; i < 5; i++) uids.push(await f.append(enc(`m${i}`)));
    await f.setFlags([uids[0]!], ["\\Seen"], "add");
    copyFileSync(join(folderDir, "tern-index.log"), join(dir, "stale.log"));
    // reopen: the journal is folded into the snapshot; then newer changes go to a new journal
    const g = await (await openMailStore(r).mailbox("b@example.com")).folder("Work");
    await g.setFlags([uids[0]!], ["\\Seen"], "remove");
    await g.expunge([uids[4]!]);
    const want = g.list();
    await (await openMailStore(r).mailbox("b@example.com")).folder("Work"); // folds them into the snapshot
    // put the old journal back (as if its truncation was lost), with a torn record after it
    copyFileSync(join(dir, "stale.log"), join(folderDir, "tern-index.log"));
    appendFileSync(join(folderDir, "tern-index.log"), new Uint8Array([40, 0, 0, 0, 1, 2, 3]));
    const h = await (await openMailStore(r).mailbox("b@example.com")).folder("Work");
    // the stale appends (UIDs below UIDNEXT) and the older \Seen (lower MODSEQ) are skipped
    assert.deepEqual(h.list().map((m) => [m.uid, m.flags]), want.map((m) => [m.uid, m.flags]));
    assert.ok(!existsSync(join(folderDir, "tern-index.log")) || statSync(join(folderDir, "tern-index.log")).size === 0);
  });

  it("a long journal is folded into a snapshot on its own", async () => {
    const r = root();
    const f = await (await openMailStore(r).mailbox("c@example.com")).createFolder("Bulk");
    const log = join(r, "example.com", "c", ".Bulk", "tern-index.log");
    let emptied = false;
    for (let i = 0; i < 300; i++) {
      await f.append(enc(`m${i}`));
      if (existsSync(log) && statSync(log).size === 0) emptied = true;
    }
    assert.ok(emptied, "the journal was emptied once it passed its bound");
    assert.ok(statSync(log).size < 300 * 60);
    const again = await (await openMailStore(r).mailbox("c@example.com")).folder("Bulk");
    assert.equal(again.list().length, 300);
    assert.deepEqual(again.list().map((m) => m.uid), f.list().map((m) => m.uid));
  });
});

/** true when `cut` falls exactly between two records */
function isBoundary(bytes: Uint8Array, cut: number): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  while (pos < cut) pos += 8 + view.getUint32(pos, true);
  return pos === cut;
}
