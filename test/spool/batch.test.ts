// Spool.commitBatch: many messages sharing an envelope (but for recipients) and byte
// pieces, committed as one unit — stored once, read back byte-exact, recovered as
// separate messages, all or nothing on failure.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as nfs from "node:fs";
import { join } from "node:path";
import { newQueueId, openSpool, scanSpool } from "../../src/spool/index.ts";
import type { BatchEnvelope, BatchMessage } from "../../src/spool/types.ts";
import { bytes, readAll, rmDir, segFiles, testFs, text, tmpDataDir } from "./_helpers.ts";

const shared: BatchEnvelope = {
  mailFrom: "news@x.org",
  auth: "apikey:k1",
  client: { address: "127.0.0.1", port: 0, helo: "api", listener: "http" },
  receivedAt: 1_700_000_000_000,
};

/** n messages: own head and line (strings, one non-ASCII), a shared 4 KB body (bytes) */
function batch(n: number, body = bytes("x".repeat(4000) + "\r\n")): { msgs: BatchMessage[]; want: Map<string, string> } {
  const want = new Map<string, string>();
  const msgs = Array.from({ length: n }, (_, i): BatchMessage => {
    const id = newQueueId();
    const head = `Received: by test id ${id}\r\nTo: u${i}@y.org\r\n\r\n`;
    const own = i === 1 ? "caf\u00e9 \u20ac\r\n" : `hello ${i}\r\n`;
    want.set(id, head + own + text(body));
    return { id, rcptTo: [{ address: `u${i}@y.org` }], smtputf8: i === 2, parts: [head, "", own, body, bytes("")] };
  });
  return { msgs, want };
}

const segBytes = (dir: string) => segFiles(dir).reduce((n, f) => n + nfs.statSync(join(dir, "spool", f)).size, 0);

describe("spool: commitBatch", () => {
  it("stores shared pieces once, reads each message back byte-exact, recovers them as messages", async () => {
    const dir = tmpDataDir();
    try {
      let spool = await openSpool(dir);
      const { msgs, want } = batch(50);
      const done = await spool.commitBatch(shared, msgs);
      assert.deepEqual(done.map((m) => m.id), msgs.map((m) => m.id));
      // 50 × 4 KB shared: stored once (the whole segment is far below 50 × 4 KB)
      assert.ok(segBytes(dir) < 20_000, `segments hold ${segBytes(dir)} bytes`);
      const check = async () => {
        assert.equal(spool.count, 50);
        for (const [id, body] of want) {
          assert.equal(text(await readAll(spool, id)), body);
          const m = spool.get(id)!;
          assert.equal(m.size, Buffer.byteLength(body));
          assert.equal(m.envelope.mailFrom, "news@x.org");
          assert.equal(m.envelope.auth, "apikey:k1");
          assert.equal(m.envelope.smtputf8, id === msgs[2]!.id ? true : undefined);
        }
        assert.deepEqual(spool.get(msgs[7]!.id)!.envelope.rcptTo, [{ address: "u7@y.org" }]);
        const buf = new Uint8Array(5000);
        const n = spool.readBodyInto!(msgs[1]!.id, buf, 3);
        assert.equal(text(buf.subarray(3, 3 + n!)), want.get(msgs[1]!.id));
      };
      await check();
      await spool.close();
      spool = await openSpool(dir);
      await check();
      assert.deepEqual((await scanSpool(dir)).map((m) => m.id), [...want.keys()].sort());
      // members are messages of their own: state and removal per id
      await spool.update(msgs[0]!.id, { attempts: 1 });
      for (const m of msgs.slice(1)) await spool.remove(m.id);
      await spool.close();
      spool = await openSpool(dir);
      assert.deepEqual(spool.list().map((m) => [m.id, m.state]), [[msgs[0]!.id, { attempts: 1 }]]);
      assert.equal(text(await readAll(spool, msgs[0]!.id)), want.get(msgs[0]!.id));
      await spool.remove(msgs[0]!.id);
      await spool.close();
      spool = await openSpool(dir);
      assert.equal(spool.count, 0);
      await spool.close();
    } finally {
      rmDir(dir);
    }
  });

  it("a batch larger than the staging buffer and spread over segments, a piece written directly", async () => {
    const dir = tmpDataDir();
    try {
      const opts = { stagingSize: 16 * 1024, segmentSize: 32 * 1024 };
      let spool = await openSpool(dir, opts);
      const { msgs, want } = batch(400, bytes("y".repeat(9000) + "\r\n")); // above half the staging buffer
      msgs[5]!.parts.push("z".repeat(30_000) + "\r\n"); // a large own string
      want.set(msgs[5]!.id, want.get(msgs[5]!.id) + "z".repeat(30_000) + "\r\n");
      await spool.commitBatch(shared, msgs);
      assert.ok(segFiles(dir).length > 1, "rotated");
      for (const [id, body] of want) assert.equal(text(await readAll(spool, id)), body);
      await spool.close();
      spool = await openSpool(dir, opts);
      assert.equal(spool.count, 400);
      for (const [id, body] of want) assert.equal(text(await readAll(spool, id)), body);
      for (const id of want.keys()) await spool.remove(id);
      await spool.close();
      spool = await openSpool(dir, opts);
      assert.equal(spool.count, 0);
      await spool.close();
    } finally {
      rmDir(dir);
    }
  });

  it("all or nothing: a torn batch record, or lost body bytes, drop every message of the batch", async () => {
    const dir = tmpDataDir();
    try {
      let spool = await openSpool(dir);
      const first = batch(3);
      await spool.commitBatch(shared, first.msgs);
      await spool.commitBatch(shared, batch(20).msgs);
      await spool.close();
      // cut the end of the second batch's record: its bodies are there, its commit is torn
      const seg = join(dir, "spool", segFiles(dir)[0]!);
      nfs.truncateSync(seg, nfs.statSync(seg).size - 100);
      spool = await openSpool(dir);
      assert.deepEqual(spool.list().map((m) => m.id).sort(), [...first.want.keys()].sort());
      await spool.close();

      // a write failure while the batch is written: rejected, and nothing of it recovered
      const t = testFs();
      spool = await openSpool(dir, { fs: t.fs, stagingSize: 8 * 1024 });
      const bad = batch(30);
      t.failWrites = 1;
      await assert.rejects(spool.commitBatch(shared, bad.msgs), { name: "SpoolError" });
      assert.equal(spool.count, 3);
      const later = batch(2);
      await spool.commitBatch(shared, later.msgs); // the spool goes on
      await spool.close();
      spool = await openSpool(dir);
      assert.deepEqual(spool.list().map((m) => m.id).sort(), [...first.want.keys(), ...later.want.keys()].sort());
      await spool.close();
    } finally {
      rmDir(dir);
    }
  });

  it("a sync failure rejects the whole batch; an id in use is refused before anything is written", async () => {
    const dir = tmpDataDir();
    try {
      const t = testFs();
      let spool = await openSpool(dir, { fs: t.fs });
      const ok = batch(2);
      await spool.commitBatch(shared, ok.msgs);
      t.failSyncs = 1;
      await assert.rejects(spool.commitBatch(shared, batch(5).msgs), { name: "SpoolError" });
      const again = batch(1);
      again.msgs[0]!.id = ok.msgs[0]!.id;
      await assert.rejects(spool.commitBatch(shared, again.msgs), /in use/);
      assert.deepEqual(await spool.commitBatch(shared, []), []);
      assert.equal(spool.count, 2);
      await spool.close();
      spool = await openSpool(dir);
      assert.deepEqual(spool.list().map((m) => m.id).sort(), [...ok.want.keys()].sort());
      await spool.close();
    } finally {
      rmDir(dir);
    }
  });
});
