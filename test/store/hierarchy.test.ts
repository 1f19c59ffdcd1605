// Maildir store: DELETE / RENAME of folders (with hierarchy) and persisted subscriptions.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openMailStore, StoreError } from "../../src/store/index.ts";
import type { FolderHandle } from "../../src/store/types.ts";

const dir = mkdtempSync(join(tmpdir(), "tern-store-h-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const root = () => join(dir, `m${++n}`);
const enc = (s: string) => new TextEncoder().encode(s);
const userDir = (r: string) => join(r, "example.com", "alice");

async function readAll(f: FolderHandle, uid: number): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const c of f.read(uid)) parts.push(c);
  return Buffer.concat(parts).toString("latin1");
}

describe("Maildir store: folder hierarchy", () => {
  it("deleteFolder removes the folder and its messages, keeps its sub-folders", async () => {
    const r = root();
    const box = await openMailStore(r).mailbox("alice@example.com");
    const work = await box.createFolder("Work");
    await work.append(enc("Subject: a\r\n\r\nx\r\n"));
    await (await box.createFolder("Work.Old")).append(enc("Subject: b\r\n\r\ny\r\n"));
    await box.deleteFolder!("Work");
    const names = await box.folders();
    assert.ok(!names.includes("Work"), names.join());
    assert.ok(names.includes("Work.Old"));
    assert.ok(!existsSync(join(userDir(r), ".Work")));
    assert.deepEqual(readdirSync(userDir(r)).filter((e) => e.startsWith("..")), []); // no hidden trash left
    await assert.rejects(box.folder("Work"), StoreError);
    // a folder of the same name starts afresh
    const again = await box.createFolder("Work");
    assert.deepEqual(again.list(), []);
    assert.equal((await box.folder("Work.Old")).list().length, 1);
  });

  it("deleteFolder refuses INBOX, unknown and invalid names with a StoreError", async () => {
    const box = await openMailStore(root()).mailbox("alice@example.com");
    await assert.rejects(box.deleteFolder!("INBOX"), /INBOX cannot be deleted/);
    await assert.rejects(box.deleteFolder!("inbox"), StoreError);
    await assert.rejects(box.deleteFolder!("Nope"), /no folder "Nope"/);
    await assert.rejects(box.deleteFolder!("../x"), /invalid folder name/);
    assert.deepEqual(await box.folders(), ["INBOX", "Drafts", "Junk", "Sent", "Trash"]);
  });

  it("a crash between hiding and removing a deleted folder is swept on the next open", async () => {
    const r = root();
    const box = await openMailStore(r, { removeTree: () => Promise.reject(new Error("crash")) }).mailbox("alice@example.com");
    await (await box.createFolder("Gone")).append(enc("Subject: z\r\n\r\nz\r\n"));
    await assert.rejects(box.deleteFolder!("Gone"), /crash/);
    assert.ok(!(await box.folders()).includes("Gone"));
    assert.equal(readdirSync(userDir(r)).filter((e) => e.startsWith("..trash-")).length, 1);
    const box2 = await openMailStore(r).mailbox("alice@example.com");
    assert.ok(!(await box2.folders()).includes("Gone"));
    assert.deepEqual(readdirSync(userDir(r)).filter((e) => e.startsWith("..trash-")), []);
  });

  it("renameFolder moves the folder and its sub-folders, keeping UIDs, flags and bodies", async () => {
    const r = root();
    const store = openMailStore(r);
    const box = await store.mailbox("alice@example.com");
    const a = await box.createFolder("A");
    const uid = await a.append(enc("Subject: one\r\n\r\nbody one\r\n"), ["\\Flagged"]);
    const validity = a.uidValidity;
    await (await box.createFolder("A.x")).append(enc("Subject: two\r\n\r\nbody two\r\n"));
    await box.createFolder("A.x.y");
    await box.createFolder("AB"); // a sibling with the same prefix stays put
    await box.renameFolder!("A", "B.C");
    const names = await box.folders();
    for (const gone of ["A", "A.x", "A.x.y"]) assert.ok(!names.includes(gone), gone);
    for (const there of ["AB", "B.C", "B.C.x", "B.C.x.y"]) assert.ok(names.includes(there), there);
    const b = await box.folder("B.C");
    assert.equal(b.uidValidity, validity);
    assert.deepEqual(b.list().map((m) => [m.uid, m.flags]), [[uid, ["\\Flagged"]]]);
    assert.equal(await readAll(b, uid), "Subject: one\r\n\r\nbody one\r\n");
    const bx = await box.folder("B.C.x");
    assert.equal(await readAll(bx, bx.list()[0]!.uid), "Subject: two\r\n\r\nbody two\r\n");
    await assert.rejects(box.folder("A"), StoreError);
    // a fresh store (new process) sees the same thing
    const again = await openMailStore(r).mailbox("alice@example.com");
    assert.deepEqual((await (await again.folder("B.C")).list()).map((m) => m.uid), [uid]);
  });

  it("renameFolder renames the children of a parent that is not a folder itself", async () => {
    const box = await openMailStore(root()).mailbox("alice@example.com");
    await box.createFolder("P.q");
    await box.renameFolder!("P", "R");
    const names = await box.folders();
    assert.ok(names.includes("R.q") && !names.includes("P.q"), names.join());
  });

  it("renameFolder refuses existing targets, INBOX, unknown names and moving into itself", async () => {
    const box = await openMailStore(root()).mailbox("alice@example.com");
    await box.createFolder("A");
    await box.createFolder("A.x");
    await box.createFolder("B.x");
    await assert.rejects(box.renameFolder!("A", "B"), /folder "B\.x" exists/); // checked before anything moves
    assert.ok((await box.folders()).includes("A.x"));
    assert.ok(!(await box.folders()).includes("B"));
    await assert.rejects(box.renameFolder!("A", "Sent"), /exists/);
    await assert.rejects(box.renameFolder!("INBOX", "Old"), /INBOX cannot be renamed/);
    await assert.rejects(box.renameFolder!("Nope", "Other"), /no folder "Nope"/);
    await assert.rejects(box.renameFolder!("A", "A.y"), /into itself/);
    await assert.rejects(box.renameFolder!("A", "x/y"), /invalid folder name/);
  });

  it("a renamed folder takes new appends under its new name", async () => {
    const r = root();
    const box = await openMailStore(r).mailbox("alice@example.com");
    const a = await box.createFolder("A");
    await a.append(enc("Subject: 1\r\n\r\n1\r\n"));
    await box.renameFolder!("A", "Z");
    const z = await box.folder("Z");
    const uid = await z.append(enc("Subject: 2\r\n\r\n2\r\n"));
    assert.equal(uid, 2);
    assert.equal(readdirSync(join(userDir(r), ".Z", "new")).length, 2);
  });
});

describe("Maildir store: subscriptions", () => {
  it("are persisted per user, sorted, and survive a restart", async () => {
    const r = root();
    const box = await openMailStore(r).mailbox("alice@example.com");
    assert.deepEqual(await box.subscriptions!(), []);
    await box.setSubscribed!("Sent", true);
    await box.setSubscribed!("inbox", true);
    await box.setSubscribed!("Lists.Tern", true); // a name need not exist (RFC 3501 §6.3.6)
    await box.setSubscribed!("Sent", true);
    assert.deepEqual(await box.subscriptions!(), ["INBOX", "Lists.Tern", "Sent"]);
    await box.setSubscribed!("Lists.Tern", false);
    assert.equal(readFileSync(join(userDir(r), "tern-subscriptions"), "utf8"), "INBOX\nSent\n");
    const other = await openMailStore(r).mailbox("bob@example.com");
    assert.deepEqual(await other.subscriptions!(), []);
    const again = await openMailStore(r).mailbox("alice@example.com");
    assert.deepEqual(await again.subscriptions!(), ["INBOX", "Sent"]);
    await assert.rejects(again.setSubscribed!("bad\nname", true), /invalid folder name/);
  });

  it("follow a rename of the folder and its children", async () => {
    const box = await openMailStore(root()).mailbox("alice@example.com");
    await box.createFolder("A.x");
    await box.createFolder("A");
    await box.setSubscribed!("A", true);
    await box.setSubscribed!("A.x", true);
    await box.setSubscribed!("Sent", true);
    await box.renameFolder!("A", "B");
    assert.deepEqual(await box.subscriptions!(), ["B", "B.x", "Sent"]);
  });

  it("ignore a hidden folder left in the Maildir by hand", async () => {
    const r = root();
    mkdirSync(join(userDir(r), "..trash-x", "cur"), { recursive: true });
    const box = await openMailStore(r).mailbox("alice@example.com");
    assert.deepEqual(await box.folders(), ["INBOX", "Drafts", "Junk", "Sent", "Trash"]);
  });
});
