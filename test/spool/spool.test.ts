import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { openSpool, scanSpool } from "../../src/spool/index.ts";
import { bytes, envelope, readAll, rmDir, segFiles, text, tmpDataDir } from "./_helpers.ts";

describe("spool: commit, read, reopen", () => {
  it("commit then reopen: listed with envelope and byte-exact body", async () => {
    const dir = tmpDataDir();
    try {
      let spool = await openSpool(dir);
      const w = spool.begin();
      const body = "Subject: hi\r\n\r\nhello\r\n";
      w.write(bytes("Subject: hi\r\n"));
      w.write(bytes("\r\nhello\r\n"));
      assert.equal(w.size, body.length);
      const env = envelope("a@x.org", ["b@y.org", "c@z.org"]);
      const msg = await w.commit(env);
      assert.equal(msg.id, w.id);
      assert.equal(msg.size, body.length);
      assert.deepEqual(msg.envelope, env);
      assert.equal(text(await readAll(spool, msg.id)), body);
      assert.equal(spool.list().length, 1);
      await spool.close();

      spool = await openSpool(dir);
      const list = spool.list();
      assert.equal(list.length, 1);
      assert.equal(list[0]!.id, msg.id);
      assert.deepEqual(list[0]!.envelope, env);
      assert.equal(list[0]!.size, body.length);
      assert.equal(list[0]!.committedAt, msg.committedAt);
      assert.equal(text(await readAll(spool, msg.id)), body);
      assert.deepEqual(spool.get(msg.id)?.envelope, env);
      assert.equal(spool.get("nope"), undefined);
      await spool.close();

      const scanned = await scanSpool(dir);
      assert.deepEqual(scanned.map((m) => m.id), [msg.id]);
    } finally {
      rmDir(dir);
    }
  });

  it("write() copies: the caller may reuse its buffer", async () => {
    const dir = tmpDataDir();
    try {
      const spool = await openSpool(dir);
      const w = spool.begin();
      const buf = bytes("AAAA");
      w.write(buf);
      buf.set(bytes("BBBB"));
      w.write(buf);
      const big = new Uint8Array(800 * 1024).fill(0x43); // direct-write path
      w.write(big);
      big.fill(0x44);
      const m = await w.commit(envelope());
      const got = await readAll(spool, m.id);
      assert.equal(text(got.subarray(0, 8)), "AAAABBBB");
      assert.equal(got.length, 8 + 800 * 1024);
      assert.ok(got.subarray(8).every((b) => b === 0x43));
      await spool.close();
    } finally {
      rmDir(dir);
    }
  });

  it("interleaved concurrent writers", async () => {
    const dir = tmpDataDir();
    try {
      let spool = await openSpool(dir, { segmentSize: 256 * 1024 });
      const n = 20;
      const writers = Array.from({ length: n }, () => spool.begin());
      const expected: string[] = writers.map(() => "");
      let seed = 12345;
      const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
      for (let round = 0; round < 60; round++) {
        for (let i = 0; i < n; i++) {
          if (rnd() < 0.3) continue;
          const len = 1 + Math.floor(rnd() * (rnd() < 0.05 ? 700_000 : 3000));
          const ch = String.fromCharCode(65 + ((i + round) % 26));
          const s = `<${i}:${round}>` + ch.repeat(len);
          writers[i]!.write(bytes(s));
          expected[i] += s;
        }
        if (round % 10 === 0) await new Promise((r) => setTimeout(r, 0));
      }
      const msgs = await Promise.all(writers.map((w, i) => w.commit(envelope(`s${i}@x.org`))));
      for (let i = 0; i < n; i++) {
        assert.equal(msgs[i]!.size, expected[i]!.length);
        assert.equal(text(await readAll(spool, msgs[i]!.id)), expected[i]);
      }
      assert.ok(segFiles(dir).length > 1, "rotated into several segments");
      await spool.close();

      spool = await openSpool(dir, { segmentSize: 256 * 1024 });
      assert.equal(spool.list().length, n);
      for (let i = 0; i < n; i++) {
        const m = spool.get(msgs[i]!.id)!;
        assert.equal(m.envelope.mailFrom, `s${i}@x.org`);
        assert.equal(text(await readAll(spool, m.id)), expected[i]);
      }
      await spool.close();
    } finally {
      rmDir(dir);
    }
  });

  it("update state survives reopen", async () => {
    const dir = tmpDataDir();
    try {
      let spool = await openSpool(dir);
      const w = spool.begin();
      w.write(bytes("x"));
      const m = await w.commit(envelope());
      await spool.update(m.id, { attempts: 1 });
      await spool.update(m.id, { attempts: 2, next: 12345, rcpt: { "bob@example.net": "4.4.1" } });
      assert.deepEqual(spool.get(m.id)?.state, { attempts: 2, next: 12345, rcpt: { "bob@example.net": "4.4.1" } });
      await assert.rejects(spool.update("nonexistent", {}), { name: "SpoolError" });
      await spool.close();
      spool = await openSpool(dir);
      assert.deepEqual(spool.get(m.id)?.state, { attempts: 2, next: 12345, rcpt: { "bob@example.net": "4.4.1" } });
      await spool.close();
      const scanned = await scanSpool(dir);
      assert.deepEqual(scanned[0]!.state, { attempts: 2, next: 12345, rcpt: { "bob@example.net": "4.4.1" } });
    } finally {
      rmDir(dir);
    }
  });

  it("remove: gone after reopen and fully-done segments unlinked", async () => {
    const dir = tmpDataDir();
    try {
      const opts = { segmentSize: 64 * 1024 };
      let spool = await openSpool(dir, opts);
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) {
        const w = spool.begin();
        w.write(new Uint8Array(10_000).fill(i));
        ids.push((await w.commit(envelope())).id);
      }
      assert.ok(segFiles(dir).length >= 6);
      // keep the first message (pins the first segment), remove the others
      await Promise.all(ids.slice(1).map((id) => spool.remove(id)));
      await spool.remove(ids[1]!); // already removed: no-op
      assert.deepEqual(spool.list().map((m) => m.id), [ids[0]]);
      await spool.close();
      // first segment (pinned) + current one (+ at most one holding the DONE tombstones)
      assert.ok(segFiles(dir).length <= 3, `segments left: ${segFiles(dir).join(",")}`);

      spool = await openSpool(dir, opts);
      assert.deepEqual(spool.list().map((m) => m.id), [ids[0]]);
      assert.ok((await readAll(spool, ids[0]!)).every((b) => b === 0));
      await spool.remove(ids[0]!);
      await spool.close();
      spool = await openSpool(dir, opts);
      assert.equal(spool.list().length, 0);
      await spool.close();
      assert.equal(segFiles(dir).length, 1, `segments left: ${segFiles(dir).join(",")}`);
    } finally {
      rmDir(dir);
    }
  });

  it("a DONE record outlives the older segment of its message (tombstone)", async () => {
    const dir = tmpDataDir();
    try {
      const opts = { segmentSize: 32 * 1024 };
      let spool = await openSpool(dir, opts);
      const mk = async (fill: number, size: number) => {
        const w = spool.begin();
        w.write(new Uint8Array(size).fill(fill));
        return (await w.commit(envelope())).id;
      };
      const filler = async (n: number) => {
        for (let i = 0; i < n; i++) await spool.remove(await mk(9, 20_000));
      };
      const a = await mk(1, 8000); // first segment
      const b = await mk(2, 8000); // first segment too: keeps it alive
      await filler(3);
      await spool.remove(a); // DONE lands in a later segment
      await filler(3); // that segment is retired and would be deleted without the tombstone
      await spool.close();
      assert.ok(segFiles(dir).length <= 3, `segments left: ${segFiles(dir).join(",")}`);
      spool = await openSpool(dir, opts);
      assert.deepEqual(spool.list().map((m) => m.id), [b]);
      await spool.remove(b);
      await spool.close();
      spool = await openSpool(dir, opts);
      assert.equal(spool.list().length, 0);
      await spool.close();
      assert.equal(segFiles(dir).length, 1, `segments left: ${segFiles(dir).join(",")}`);
    } finally {
      rmDir(dir);
    }
  });
});
