import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { openSpool } from "../../src/spool/index.ts";
import { envelope, rmDir, testFs, tmpDataDir } from "./_helpers.ts";

const MB = 1024 * 1024;

describe("spool: large message", () => {
  it("a 100 MB message in 64 KiB chunks commits, reads back byte-exact, is never buffered whole", async () => {
    const dir = tmpDataDir();
    const t = testFs();
    try {
      const total = 100 * MB;
      const chunk = new Uint8Array(64 * 1024);
      for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31 + 7) & 0xff;
      let base = process.memoryUsage().rss;
      let peak = 0;
      const sample = () => {
        const g = (process.memoryUsage().rss - base) / MB;
        if (g > peak) peak = g;
      };

      // write path: the spool holds at most its staging buffer
      let spool = await openSpool(dir, { fs: t.fs });
      const w = spool.begin();
      const hin = createHash("sha256");
      for (let off = 0, n = 0; off < total; off += chunk.length, n++) {
        chunk[0] = n & 0xff; // vary the content; write() copies, so reuse is fine
        chunk[1] = (n >> 8) & 0xff;
        w.write(chunk);
        hin.update(chunk);
        if (n % 64 === 0) {
          sample();
          await new Promise((r) => setTimeout(r, 0)); // let the event loop run, as a socket would
        }
      }
      const m = await w.commit(envelope());
      sample();
      assert.equal(m.size, total);
      assert.ok(peak < 60, `rss grew by ${peak.toFixed(1)} MB while writing`);
      const want = hin.digest("hex");

      // read path: streams in <= 64 KiB parts; nothing is read ahead before the first part
      const readHash = async () => {
        const h = createHash("sha256");
        let size = 0;
        let first = true;
        t.bytesRead = 0;
        for await (const part of spool.readBody(m.id)) {
          if (first) {
            assert.ok(t.bytesRead <= 64 * 1024, `read ${t.bytesRead} bytes before the first part`);
            first = false;
          }
          assert.ok(part.length <= 64 * 1024);
          h.update(part);
          size += part.length;
          if ((size & (4 * MB - 1)) === 0) sample();
        }
        assert.equal(size, total);
        return h.digest("hex");
      };
      peak = 0;
      base = process.memoryUsage().rss;
      assert.equal(await readHash(), want);
      // loose: fresh 64 KiB parts are garbage the runtime may collect lazily (Deno/V8)
      assert.ok(peak < 100, `rss grew by ${peak.toFixed(1)} MB while reading`);
      await spool.close();

      // recovery scan streams through a bounded buffer too
      peak = 0;
      base = process.memoryUsage().rss;
      spool = await openSpool(dir, { fs: t.fs });
      sample();
      assert.ok(peak < 60, `rss grew by ${peak.toFixed(1)} MB while recovering`);
      assert.equal(spool.get(m.id)?.size, total);
      assert.equal(await readHash(), want);
      await spool.close();
    } finally {
      rmDir(dir);
    }
  });
});
