// The small parts: heap, backoff, event bus, events.log, control socket, queue config.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { EventBus } from "../../src/core/events.ts";
import { retryDelay } from "../../src/queue/backoff.ts";
import { queueConfigSchema } from "../../src/queue/config.ts";
import { DueHeap } from "../../src/queue/heap.ts";
import { ControlUnavailable, controlRequest, startControlServer } from "../../src/runtime/control.ts";
import { openEventLog } from "../../src/runtime/eventlog.ts";
import { rmDir, tmpDir } from "./_helpers.ts";

const dir = tmpDir("tern-qparts-");
after(() => rmDir(dir));

describe("DueHeap", () => {
  it("pops in due order through sets, re-keys and deletes", () => {
    const h = new DueHeap();
    const want = new Map<string, number>();
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 500; i++) {
      const k = `k${Math.floor(rnd() * 100)}`;
      if (rnd() < 0.2) {
        h.delete(k);
        want.delete(k);
      } else {
        const due = Math.floor(rnd() * 1000);
        h.set(k, due);
        want.set(k, due);
      }
    }
    assert.equal(h.size, want.size);
    const out: number[] = [];
    for (let n = h.pop(); n; n = h.pop()) {
      assert.equal(want.get(n.key), n.due);
      out.push(n.due);
    }
    assert.deepEqual(out, [...out].sort((a, b) => a - b));
    assert.equal(out.length, want.size);
  });
});

describe("retryDelay", () => {
  it("doubles from first, caps at max, jitter within ±20%", () => {
    const p = { firstMs: 300_000, maxMs: 3_600_000 };
    assert.deepEqual([1, 2, 3, 4, 5, 50, 5000].map((n) => retryDelay(p, n, () => 0.5)), [300_000, 600_000, 1_200_000, 2_400_000, 3_600_000, 3_600_000, 3_600_000]);
    assert.equal(retryDelay(p, 1, () => 0), 240_000);
    assert.equal(retryDelay(p, 1, () => 0.999999), 360_000);
    assert.equal(retryDelay(p, 9, () => 0.999999), 3_600_000, "never above max");
  });
});

describe("EventBus", () => {
  it("delivers to every subscriber; a throwing one is reported; unsubscribe works", () => {
    const errors: unknown[] = [];
    const bus = new EventBus<number>((e) => errors.push(e));
    const got: number[] = [];
    bus.subscribe(() => {
      throw new Error("boom");
    });
    const off = bus.subscribe((n) => got.push(n));
    bus.publish(1);
    off();
    bus.publish(2);
    assert.deepEqual(got, [1]);
    assert.equal(errors.length, 2);
  });
});

describe("events.log", () => {
  it("appends one JSON line per event, batched, and flushes on close", async () => {
    const path = join(dir, "sub", "events.log");
    const log = await openEventLog(path);
    for (let i = 0; i < 1000; i++) log.append({ type: "queued", n: i });
    await log.close();
    const lines = readFileSync(path, "utf8").trim().split("\n");
    assert.equal(lines.length, 1000);
    assert.deepEqual(JSON.parse(lines[999]!), { type: "queued", n: 999 });
    const again = await openEventLog(path); // appends, never truncates
    again.append({ type: "delivered" });
    await again.close();
    assert.equal(readFileSync(path, "utf8").trim().split("\n").length, 1001);
  });
});

describe("control socket", () => {
  it("JSON lines in and out; bad requests and handler errors get an error answer", async () => {
    const path = join(dir, "c1.sock");
    const srv = await startControlServer(path, (req) => {
      if (req.cmd === "fail") throw new Error("no such thing");
      return { echo: req.args };
    });
    try {
      assert.deepEqual(await controlRequest(path, { cmd: "x", args: ["a"] }), { ok: true, result: { echo: ["a"] } });
      assert.deepEqual(await controlRequest(path, { cmd: "fail", args: [] }), { ok: false, error: "no such thing" });
      const raw = await new Promise<string>((resolve) => {
        const c = net.createConnection({ path });
        let buf = "";
        c.on("connect", () => c.write('not json\n{"cmd":5}\n'));
        c.on("data", (d) => {
          buf += String(d);
          if (buf.split("\n").length > 2) {
            c.destroy();
            resolve(buf);
          }
        });
      });
      const [a, b] = raw.trim().split("\n").map((l) => JSON.parse(l));
      assert.deepEqual(a, { ok: false, error: "bad request: not JSON" });
      assert.match(b.error, /"cmd" must be a non-empty string/);
      await assert.rejects(startControlServer(path, () => null), /another server is running/);
    } finally {
      await srv.close();
    }
    await assert.rejects(controlRequest(path, { cmd: "x", args: [] }), (e) => e instanceof ControlUnavailable && /not running/.test(e.message));
  });

  it("a stale socket file (no server behind it) is replaced", async () => {
    const path = join(dir, "c2.sock");
    writeFileSync(path, "");
    const srv = await startControlServer(path, () => "hi");
    assert.deepEqual(await controlRequest(path, { cmd: "x", args: [] }), { ok: true, result: "hi" });
    await srv.close();
  });
});

describe("queue config", () => {
  it("defaults, and errors name the key", () => {
    assert.deepEqual(queueConfigSchema.parse(undefined), { retry: { first: 300, max: 3600 }, maxAge: 432000, delayWarning: 14400, concurrency: 100 });
    const bad = queueConfigSchema.safeParse({ retry: { first: 600, max: 60 } });
    assert.equal(bad.success, false);
    assert.deepEqual(bad.error!.issues[0]!.path, ["retry", "max"]);
    assert.equal(queueConfigSchema.safeParse({ concurrency: 0 }).success, false);
    assert.equal(queueConfigSchema.safeParse({ delayWarning: 0 }).success, true);
  });
});
