import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openMailStore, StoreError } from "../../src/store/index.ts";
import type { FolderHandle } from "../../src/store/types.ts";

const dir = mkdtempSync(join(tmpdir(), "tern-store-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const root = () => join(dir, `m${++n}`);
const enc = (s: string) => new TextEncoder().encode(s);

async function readAll(f: FolderHandle, uid: number): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const c of f.read(uid)) parts.push(c);
  return Buffer.concat(parts).toString("latin1");
}

describe("Maildir store", () => {
  it("creates INBOX, Sent, Drafts, Junk, Trash as Maildir++ with cur/new/tmp", async () => {
    const r = root();
    const box = await openMailStore(r).mailbox("Alice@Example.com");
    assert.deepEqual(await box.folders(), ["INBOX", "Drafts", "Junk", "Sent", "Trash"]);
    for (const d of ["", ".Sent", ".Drafts", ".Junk", ".Trash"]) {
      for (const s of ["cur", "new", "tmp"]) assert.ok(existsSync(join(r, "example.com", "alice", d, s)), `${d}/${s}`);
    }
    await assert.rejects(box.folder("Nope"), StoreError);
    await assert.rejects(box.createFolder("../x"), /invalid folder name/);
    await box.createFolder("Lists.Tern");
    assert.ok((await box.folders()).includes("Lists.Tern"));
    assert.ok(existsSync(join(r, "example.com", "alice", ".Lists.Tern", "cur")));
  });

  it("append writes tmp → new/ with ,S=<size>, reads back byte-exact, assigns UIDs", async () => {
    const r = root();
    const store = openMailStore(r, { hostname: "mx:1/a" });
    const inbox = await (await store.mailbox("bob@example.com")).folder("inbox");
    const body = "Subject: hi\r\n\r\nbody \x00\xff\r\n";
    const uid1 = await inbox.append(Buffer.from(body, "latin1"));
    const uid2 = await inbox.append((async function* () {
      yield enc("a");
      yield enc("bc");
    })());
    assert.deepEqual([uid1, uid2], [1, 2]);
    assert.equal(inbox.uidNext, 3);
    const files = readdirSync(join(r, "example.com", "bob", "new"));
    assert.equal(files.length, 2);
    for (const f of files) assert.match(f, /^\d+\.M\d+P\d+Q\d+R[0-9a-f]+\.mx\\0721\\057a,S=\d+$/);
    assert.deepEqual(readdirSync(join(r, "example.com", "bob", "tmp")), []);
    assert.equal(await readAll(inbox, uid1), body);
    assert.equal(await readAll(inbox, uid2), "abc");
    const list = inbox.list();
    assert.equal(list[0]!.size, Buffer.byteLength(body, "latin1"));
    assert.ok(list[0]!.key.endsWith(`,S=${list[0]!.size}`));
    assert.ok(list[1]!.modseq > list[0]!.modseq);
    assert.equal(inbox.highestModseq, list[1]!.modseq);
  });

  it("flags go into the :2, info part and the index, with new MODSEQs; expunge removes files", async () => {
    const r = root();
    const inbox = await (await openMailStore(r).mailbox("c@example.com")).folder("INBOX");
    const uid = await inbox.append(enc("x"));
    const uid2 = await inbox.append(enc("y"), ["\\Seen", "$Label1"]);
    const before = inbox.highestModseq;
    const [m] = await inbox.setFlags([uid], ["\\seen", "\\Flagged", "$Work"], "add");
    assert.deepEqual(m!.flags, ["\\Seen", "\\Flagged", "$Work"]);
    assert.ok(m!.modseq > before);
    const cur = readdirSync(join(r, "example.com", "c", "cur"));
    assert.ok(cur.some((f) => f === `${m!.key}:2,FS`), cur.join());
    assert.ok(cur.some((f) => f.endsWith(":2,S")), "appended with flags lands in cur/");
    await inbox.setFlags([uid], ["\\Flagged"], "remove");
    assert.ok(readdirSync(join(r, "example.com", "c", "cur")).includes(`${m!.key}:2,S`));
    await inbox.expunge([uid]);
    assert.deepEqual(inbox.list().map((x) => x.uid), [uid2]);
    assert.equal(readdirSync(join(r, "example.com", "c", "cur")).filter((f) => f.startsWith(m!.key)).length, 0);
  });

  it("the index survives a reopen: same UIDVALIDITY, UIDs, flags", async () => {
    const r = root();
    const inbox = await (await openMailStore(r).mailbox("d@example.com")).folder("INBOX");
    await inbox.append(enc("1"));
    const u2 = await inbox.append(enc("2"));
    await inbox.setFlags([u2], ["\\Answered", "Custom"], "set");
    const again = await (await openMailStore(r).mailbox("d@example.com")).folder("INBOX");
    assert.equal(again.uidValidity, inbox.uidValidity);
    assert.equal(again.uidNext, 3);
    assert.deepEqual(again.list(), inbox.list());
    assert.equal(await again.append(enc("3")), 3);
  });

  it("refresh() notices files dropped into new/ and removed or renamed by another program", async () => {
    const r = root();
    const store = openMailStore(r);
    const changes: string[] = [];
    const off = store.onChange((a, f) => changes.push(`${a} ${f}`));
    const inbox = await (await store.mailbox("e@example.com")).folder("INBOX");
    const u1 = await inbox.append(enc("one"));
    const u2 = await inbox.append(enc("two"));
    const base = join(r, "example.com", "e");
    writeFileSync(join(base, "new", "1700000000.external.host"), "dropped\r\n");
    const f1 = inbox.list().find((m) => m.uid === u1)!;
    unlinkSync(join(base, "new", f1.key));
    const f2 = inbox.list().find((m) => m.uid === u2)!;
    renameSync(join(base, "new", f2.key), join(base, "cur", `${f2.key}:2,ST`));
    changes.length = 0;
    await inbox.refresh();
    const list = inbox.list();
    assert.deepEqual(list.map((m) => m.uid), [u2, 3]);
    assert.deepEqual(list[0]!.flags, ["\\Seen", "\\Deleted"]);
    assert.equal(list[1]!.size, 9);
    assert.equal(await readAll(inbox, 3), "dropped\r\n");
    assert.deepEqual(changes, ["e@example.com INBOX"]);
    // and the refreshed index is what a new process sees
    const again = await (await openMailStore(r).mailbox("e@example.com")).folder("INBOX");
    assert.deepEqual(again.list(), list);
    off();
  });

  it("a corrupt index is rebuilt from the files with a new UIDVALIDITY", async () => {
    const r = root();
    let now = 1_700_000_000_000;
    const inbox = await (await openMailStore(r, { now: () => now }).mailbox("f@example.com")).folder("INBOX");
    await inbox.append(enc("keep me"));
    writeFileSync(join(r, "example.com", "f", "tern-index"), "garbage");
    now += 5000;
    const again = await (await openMailStore(r, { now: () => now }).mailbox("f@example.com")).folder("INBOX");
    assert.notEqual(again.uidValidity, inbox.uidValidity);
    assert.equal(again.list().length, 1);
    assert.equal(await readAll(again, again.list()[0]!.uid), "keep me");
    assert.ok(readFileSync(join(r, "example.com", "f", "tern-index")).length > 10);
  });

  it("concurrent appends to one folder get distinct UIDs and files", async () => {
    const r = root();
    const inbox = await (await openMailStore(r).mailbox("g@example.com")).folder("INBOX");
    const uids = await Promise.all(Array.from({ length: 40 }, (_, i) => inbox.append(enc(`message ${i}`))));
    assert.equal(new Set(uids).size, 40);
    assert.equal(readdirSync(join(r, "example.com", "g", "new")).length, 40);
    const again = await (await openMailStore(r).mailbox("g@example.com")).folder("INBOX");
    assert.equal(again.list().length, 40);
    const bodies = new Set<string>();
    for (const m of again.list()) bodies.add(await readAll(again, m.uid));
    assert.equal(bodies.size, 40);
  });

  it("refuses unusable addresses and unknown uids with StoreError", async () => {
    const store = openMailStore(root());
    await assert.rejects(store.mailbox("no-at-sign"), StoreError);
    await assert.rejects(store.mailbox("x@../etc"), StoreError);
    const inbox = await (await store.mailbox(".hidden/../x@example.com")).folder("INBOX");
    await assert.rejects(async () => {
      for await (const _ of inbox.read(99)) void _;
    }, /no message with uid 99/);
  });
});
