import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { openSpool, type Spool } from "../../src/spool/index.ts";
import { bytes, envelope, readAll, rmDir, testFs, text, tmpDataDir } from "./_helpers.ts";

describe("spool: group commit", () => {
  it("50 concurrent commits share far fewer than 50 datasyncs", async () => {
    const dir = tmpDataDir();
    const t = testFs();
    try {
      let spool: Spool = await openSpool(dir, { fs: t.fs });
      const writers = Array.from({ length: 50 }, (_, i) => {
        const w = spool.begin();
        w.write(bytes(`body ${i}\r\n`));
        return w;
      });
      t.datasyncs = 0;
      const msgs = await Promise.all(writers.map((w) => w.commit(envelope())));
      assert.ok(t.datasyncs <= 5, `datasyncs: ${t.datasyncs}`);
      assert.equal(spool.list().length, 50);

      // commits arriving while a sync is in flight wait for the next one, then share it
      t.datasyncs = 0;
      const more: Promise<unknown>[] = [];
      for (let i = 0; i < 50; i++) {
        const w = spool.begin();
        w.write(bytes(`late ${i}`));
        more.push(w.commit(envelope()));
        if (i % 10 === 9) await new Promise((r) => setTimeout(r, 0));
      }
      await Promise.all(more);
      assert.ok(t.datasyncs < 25, `datasyncs: ${t.datasyncs}`);
      await spool.close();

      spool = await openSpool(dir);
      assert.equal(spool.list().length, 100);
      assert.equal(text(await readAll(spool, msgs[7]!.id)), "body 7\r\n");
      await spool.close();
    } finally {
      rmDir(dir);
    }
  });

  it("a lone commit completes without waiting for a timer", async () => {
    const dir = tmpDataDir();
    const t = testFs();
    try {
      const spool = await openSpool(dir, { fs: t.fs });
      // warm-up commit: creating the segment needs a directory fsync first
      const w0 = spool.begin();
      w0.write(bytes("warm-up"));
      await w0.commit(envelope());

      t.instantSync = true; // datasync resolves at once: only our own scheduling remains
      const w = spool.begin();
      w.write(bytes("hello"));
      let timerFired = false;
      const timer = setTimeout(() => {
        timerFired = true;
      }, 0);
      const m = await w.commit(envelope());
      assert.equal(timerFired, false, "commit waited for a timer");
      clearTimeout(timer);
      assert.equal(m.size, 5);
      await spool.close();
    } finally {
      rmDir(dir);
    }
  });

  it("update and remove share syncs with commits", async () => {
    const dir = tmpDataDir();
    const t = testFs();
    try {
      const spool = await openSpool(dir, { fs: t.fs });
      const ws = Array.from({ length: 20 }, () => spool.begin());
      for (const w of ws) w.write(bytes("x"));
      const ms = await Promise.all(ws.map((w) => w.commit(envelope())));
      t.datasyncs = 0;
      await Promise.all([
        ...ms.slice(0, 10).map((m) => spool.update(m.id, { attempts: 1 })),
        ...ms.slice(10).map((m) => spool.remove(m.id)),
      ]);
      assert.ok(t.datasyncs <= 3, `datasyncs: ${t.datasyncs}`);
      assert.equal(spool.list().length, 10);
      assert.deepEqual(spool.get(ms[0]!.id)?.state, { attempts: 1 });
      await spool.close();
    } finally {
      rmDir(dir);
    }
  });
});
