import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as nfs from "node:fs";
import { join } from "node:path";
import { openSpool, scanSpool } from "../../src/spool/index.ts";
import { bytes, envelope, readAll, rmDir, segFiles, text, tmpDataDir } from "./_helpers.ts";

describe("spool: recovery", () => {
  it("uncommitted and aborted messages are not listed after reopen", async () => {
    const dir = tmpDataDir();
    try {
      let spool = await openSpool(dir);
      const aborted = spool.begin();
      aborted.write(bytes("aborted body"));
      const open = spool.begin();
      open.write(bytes("never finished"));
      const good = spool.begin();
      good.write(bytes("good body"));
      aborted.abort();
      aborted.write(bytes("ignored after abort"));
      await assert.rejects(aborted.commit(envelope()), { name: "SpoolError" });
      const m = await good.commit(envelope());
      assert.deepEqual(spool.list().map((x) => x.id), [m.id]);
      await spool.close();

      spool = await openSpool(dir);
      assert.deepEqual(spool.list().map((x) => x.id), [m.id]);
      assert.equal(spool.get(aborted.id), undefined);
      assert.equal(spool.get(open.id), undefined);
      assert.equal(text(await readAll(spool, m.id)), "good body");
      await spool.close();
    } finally {
      rmDir(dir);
    }
  });

  it("a torn tail record ends the scan; earlier commits are intact", async () => {
    const dir = tmpDataDir();
    try {
      let spool = await openSpool(dir);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const w = spool.begin();
        w.write(bytes(`message ${i}\r\n`.repeat(100)));
        ids.push((await w.commit(envelope())).id);
      }
      await spool.close();
      const files = segFiles(dir);
      const last = join(dir, "spool", files[files.length - 1]!);
      const size = nfs.statSync(last).size;
      nfs.truncateSync(last, size - 7); // mid COMMIT record of the third message
      assert.equal((await scanSpool(dir)).length, 2);

      spool = await openSpool(dir);
      assert.deepEqual(spool.list().map((m) => m.id), ids.slice(0, 2));
      for (let i = 0; i < 2; i++) {
        assert.equal(text(await readAll(spool, ids[i]!)), `message ${i}\r\n`.repeat(100));
      }
      // new writes go to a fresh segment and survive
      const w = spool.begin();
      w.write(bytes("after torn tail"));
      const m = await w.commit(envelope());
      await spool.close();
      spool = await openSpool(dir);
      assert.deepEqual(spool.list().map((x) => x.id), [...ids.slice(0, 2), m.id]);
      assert.equal(text(await readAll(spool, m.id)), "after torn tail");
      await spool.close();
    } finally {
      rmDir(dir);
    }
  });

  it("a corrupted record (bad CRC) ends the scan of its segment", async () => {
    const dir = tmpDataDir();
    try {
      let spool = await openSpool(dir);
      const w1 = spool.begin();
      w1.write(bytes("first"));
      const m1 = await w1.commit(envelope());
      const w2 = spool.begin();
      w2.write(bytes("second-body-xyz"));
      await w2.commit(envelope());
      await spool.close();
      const files = segFiles(dir);
      const path = join(dir, "spool", files[files.length - 1]!);
      const data = nfs.readFileSync(path);
      const at = data.indexOf(Buffer.from("second-body-xyz"));
      assert.ok(at > 0);
      data[at + 3] ^= 0xff;
      nfs.writeFileSync(path, data);
      spool = await openSpool(dir);
      assert.deepEqual(spool.list().map((m) => m.id), [m1.id]);
      await spool.close();
    } finally {
      rmDir(dir);
    }
  });

  it("garbage appended after the last record is ignored", async () => {
    const dir = tmpDataDir();
    try {
      let spool = await openSpool(dir);
      const w = spool.begin();
      w.write(bytes("body"));
      const m = await w.commit(envelope());
      await spool.close();
      const files = segFiles(dir);
      nfs.appendFileSync(join(dir, "spool", files[files.length - 1]!), new Uint8Array(100).fill(0x54));
      spool = await openSpool(dir);
      assert.deepEqual(spool.list().map((x) => x.id), [m.id]);
      await spool.close();
    } finally {
      rmDir(dir);
    }
  });

  it("scanSpool works while a server has the spool open (partial tail ignored)", async () => {
    const dir = tmpDataDir();
    try {
      const spool = await openSpool(dir);
      const w = spool.begin();
      w.write(bytes("committed"));
      const m = await w.commit(envelope());
      const pending = spool.begin();
      pending.write(bytes("in progress"));
      const scanned = await scanSpool(dir);
      assert.deepEqual(scanned.map((x) => x.id), [m.id]);
      assert.deepEqual(scanned[0]!.envelope, envelope());
      pending.abort();
      await spool.close();
      assert.deepEqual(await scanSpool(join(dir, "does-not-exist")), []);
    } finally {
      rmDir(dir);
    }
  });
});
