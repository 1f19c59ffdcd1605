import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { openSpool, type Spool } from "../../src/spool/index.ts";
import { bytes, envelope, readAll, rmDir, testFs, text, tmpDataDir } from "./_helpers.ts";

async function commitOne(spool: Spool, body: string) {
  const w = spool.begin();
  w.write(bytes(body));
  return await w.commit(envelope());
}

describe("spool: I/O failures", () => {
  it("write failure: commit rejects with SpoolError, the next message commits, reopen is clean", async () => {
    const dir = tmpDataDir();
    const t = testFs();
    try {
      let spool = await openSpool(dir, { fs: t.fs });
      const before = await commitOne(spool, "before");
      const bad = spool.begin();
      bad.write(bytes("doomed body"));
      t.failWrites = 1;
      await assert.rejects(bad.commit(envelope()), { name: "SpoolError" });
      const after = await commitOne(spool, "after");
      assert.deepEqual(spool.list().map((m) => m.id), [before.id, after.id]);
      assert.equal(text(await readAll(spool, before.id)), "before");
      await spool.close();

      spool = await openSpool(dir);
      assert.deepEqual(spool.list().map((m) => m.id), [before.id, after.id]);
      assert.equal(spool.get(bad.id), undefined);
      assert.equal(text(await readAll(spool, after.id)), "after");
      await spool.close();
    } finally {
      rmDir(dir);
    }
  });

  it("write failure of a large direct write", async () => {
    const dir = tmpDataDir();
    const t = testFs();
    try {
      let spool = await openSpool(dir, { fs: t.fs });
      const bad = spool.begin();
      bad.write(bytes("head"));
      t.failWriteIf = (len) => len > 500_000; // the direct payload write fails
      bad.write(new Uint8Array(1_100_000));
      t.failWriteIf = undefined;
      bad.write(bytes("tail")); // ignored: the writer already failed
      await assert.rejects(bad.commit(envelope()), { name: "SpoolError" });
      const ok = await commitOne(spool, "fine");
      await spool.close();
      spool = await openSpool(dir);
      assert.deepEqual(spool.list().map((m) => m.id), [ok.id]);
      await spool.close();
    } finally {
      rmDir(dir);
    }
  });

  it("sync failure: dependent commits reject, writers in the failed region fail, others are fine", async () => {
    const dir = tmpDataDir();
    const t = testFs();
    try {
      let spool = await openSpool(dir, { fs: t.fs });
      const before = await commitOne(spool, "before");
      const a = spool.begin();
      a.write(bytes("a body"));
      const b = spool.begin();
      b.write(bytes("b body"));
      const inFlight = spool.begin(); // still receiving DATA when the sync fails
      inFlight.write(bytes("in flight"));
      t.failSyncs = 1;
      const results = await Promise.allSettled([a.commit(envelope()), b.commit(envelope())]);
      assert.deepEqual(results.map((r) => r.status), ["rejected", "rejected"]);
      for (const r of results) assert.equal((r as PromiseRejectedResult).reason.name, "SpoolError");
      inFlight.write(bytes(" more"));
      await assert.rejects(inFlight.commit(envelope()), { name: "SpoolError" });
      // an update of a committed message in the same failed batch rejects; the message stays
      t.failSyncs = 1;
      await assert.rejects(spool.update(before.id, { attempts: 9 }), { name: "SpoolError" });
      assert.equal(spool.get(before.id)?.state, undefined);
      t.failSyncs = 1;
      await assert.rejects(spool.remove(before.id), { name: "SpoolError" });
      assert.ok(spool.get(before.id));

      const after = await commitOne(spool, "after");
      await spool.update(before.id, { attempts: 1 });
      assert.deepEqual(spool.list().map((m) => m.id), [before.id, after.id]);
      await spool.close();

      spool = await openSpool(dir);
      assert.deepEqual(spool.list().map((m) => m.id), [before.id, after.id]);
      assert.deepEqual(spool.get(before.id)?.state, { attempts: 1 });
      assert.equal(text(await readAll(spool, before.id)), "before");
      assert.equal(text(await readAll(spool, after.id)), "after");
      await spool.close();
    } finally {
      rmDir(dir);
    }
  });

  it("sync failure with a failing truncate: the limit file keeps failed records out", async () => {
    const dir = tmpDataDir();
    const t = testFs();
    try {
      let spool = await openSpool(dir, { fs: t.fs });
      const before = await commitOne(spool, "before");
      const bad = spool.begin();
      bad.write(bytes("bad"));
      t.failSyncs = 1;
      t.failTruncate = true;
      await assert.rejects(bad.commit(envelope()), { name: "SpoolError" });
      t.failTruncate = false;
      const after = await commitOne(spool, "after");
      await spool.close();
      spool = await openSpool(dir);
      assert.deepEqual(spool.list().map((m) => m.id), [before.id, after.id]);
      assert.equal(spool.get(bad.id), undefined);
      await spool.close();
    } finally {
      rmDir(dir);
    }
  });

  it("a commit that was synced before a later failure stays committed", async () => {
    const dir = tmpDataDir();
    const t = testFs();
    try {
      let spool = await openSpool(dir, { fs: t.fs });
      const ok = spool.begin();
      ok.write(bytes("ok"));
      const p1 = ok.commit(envelope());
      const m1 = await p1;
      const bad = spool.begin();
      bad.write(bytes("bad"));
      t.failWrites = 1;
      await assert.rejects(bad.commit(envelope()), { name: "SpoolError" });
      assert.equal(text(await readAll(spool, m1.id)), "ok");
      await spool.close();
      spool = await openSpool(dir);
      assert.deepEqual(spool.list().map((m) => m.id), [m1.id]);
      await spool.close();
    } finally {
      rmDir(dir);
    }
  });
  it("a failure hit by the COMMIT append itself (flush of a full buffer) never leaves a commit behind", async () => {
    const dir = tmpDataDir();
    const t = testFs();
    try {
      let spool = await openSpool(dir, { fs: t.fs, stagingSize: 4096 });
      const before = await commitOne(spool, "before");
      const w = spool.begin();
      w.write(bytes("w".repeat(100)));
      const x = spool.begin();
      x.write(bytes("x".repeat(1900)));
      x.write(bytes("y".repeat(1900))); // staging almost full: the COMMIT append must flush first
      t.failWrites = 1;
      await assert.rejects(w.commit(envelope()), { name: "SpoolError" });
      await assert.rejects(x.commit(envelope()), { name: "SpoolError" });
      const after = await commitOne(spool, "after");
      assert.deepEqual(spool.list().map((m) => m.id), [before.id, after.id]);
      await spool.close();
      spool = await openSpool(dir);
      assert.deepEqual(spool.list().map((m) => m.id), [before.id, after.id]);
      await spool.close();
    } finally {
      rmDir(dir);
    }
  });

  it("the spool keeps working after many failures (segments rotate, failed ones are deleted)", async () => {
    const dir = tmpDataDir();
    const t = testFs();
    try {
      let spool = await openSpool(dir, { fs: t.fs });
      const good: string[] = [];
      for (let i = 0; i < 10; i++) {
        const w = spool.begin();
        w.write(bytes(`bad ${i}`));
        if (i % 2) t.failWrites = 1;
        else t.failSyncs = 1;
        await assert.rejects(w.commit(envelope()), { name: "SpoolError" });
        good.push((await commitOne(spool, `good ${i}`)).id);
      }
      await Promise.all(good.slice(0, 9).map((id) => spool.remove(id)));
      await spool.close();
      spool = await openSpool(dir);
      assert.deepEqual(spool.list().map((m) => m.id), [good[9]]);
      assert.equal(text(await readAll(spool, good[9]!)), "good 9");
      await spool.close();
      const files = (await import("node:fs")).readdirSync(`${dir}/spool`);
      assert.ok(files.length <= 4, files.join(","));
    } finally {
      rmDir(dir);
    }
  });
});
