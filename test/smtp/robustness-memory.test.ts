// Memory bounds of the SMTP ingest, measured on a `tern serve` child process through
// /proc/<pid>/status (VmRSS, and VmHWM reset before each step): a 100 MB message by
// DATA and by BDAT, and a flood of commands from a client that does not read its
// replies. These are memory bounds, not timing assertions.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { type ChildServer, certFiles, isDeno, memoryOf, resetPeak, startChild, tmpDir, writeConfig } from "../helpers/child.ts";
import { queueId, RawClient } from "../helpers/smtp-client.ts";
import { withSpool } from "../helpers/spool-check.ts";

const MB = 1024 * 1024;
const MESSAGE = 100 * MB;
/** the server may grow by at most this much while taking a 100 MB message */
const BOUND_KB = 64 * 1024;
const SLOW = { timeout: 120_000 };
const onLinux = memoryOf(process.pid) !== undefined;

const dir = tmpDir("tern-mem-");
const dataDir = join(dir, "data");
let srv: ChildServer;
let ready: Promise<ChildServer> | undefined;
/** started by the first test that needs it (Bun ignores node:test hook timeouts) */
async function up(): Promise<void> {
  srv = await (ready ??= (async () => {
    const config = writeConfig(dir, dataDir, { limits: { maxMessageSize: 2 * MESSAGE }, tls: await certFiles(dir) });
    return startChild(config);
  })());
}
const sent = new Map<string, string>(); // queue id → sha256 of the body sent

/** 1 MiB of 1024-byte lines (no leading dots: the bytes on the wire are the body) */
function block(n: number): Uint8Array {
  const line = `${String(n).padStart(6, "0")} ${"m".repeat(1015)}\r\n`;
  return Buffer.from(line.repeat(1024), "latin1");
}

/** run `step` with VmHWM reset first; returns the peak growth over the RSS before, in KiB */
async function peakGrowth(step: () => Promise<void>): Promise<number> {
  const before = memoryOf(srv.pid)!;
  const reset = resetPeak(srv.pid);
  await step();
  const afterMem = memoryOf(srv.pid)!;
  // without a reset VmHWM also holds the startup peak: an upper bound all the same
  return (reset ? afterMem.hwmKb : Math.max(afterMem.hwmKb, afterMem.rssKb)) - before.rssKb;
}

async function bigMessage(bdat: boolean): Promise<void> {
  const c = await RawClient.connect(srv.ports.smtp!);
  await c.hello();
  const hash = createHash("sha256");
  const head = Buffer.from(`Subject: 100 MB by ${bdat ? "BDAT" : "DATA"}\r\n\r\n`, "latin1");
  hash.update(head);
  if (bdat) {
    c.send(`MAIL FROM:<big@example.org> SIZE=${MESSAGE}\r\nRCPT TO:<rcpt@example.net>\r\nBDAT ${head.length}\r\n`);
    c.send(head);
    for (let i = 0; i < MESSAGE / MB; i += 10) {
      const last = i + 10 >= MESSAGE / MB;
      c.send(`BDAT ${10 * MB}${last ? " LAST" : ""}\r\n`);
      for (let j = i; j < i + 10; j++) {
        const b = block(j);
        hash.update(b);
        await c.write(b); // backpressure: one MiB at a time in the kernel
      }
    }
  } else {
    c.send(`MAIL FROM:<big@example.org> SIZE=${MESSAGE}\r\nRCPT TO:<rcpt@example.net>\r\nDATA\r\n`);
    c.send(head);
    for (let j = 0; j < MESSAGE / MB; j++) {
      const b = block(j);
      hash.update(b);
      await c.write(b);
    }
    c.send(".\r\n");
  }
  await c.expect("250 2.1.0");
  await c.expect("250 2.1.5");
  const chunks = 1 + MESSAGE / MB / 10;
  if (bdat) for (let i = 0; i < chunks - 1; i++) await c.expect("250 2.0.0"); // every chunk but the LAST
  else await c.expect("354 ");
  const r = await c.expect("250 2.0.0 queued as");
  sent.set(queueId(r), hash.digest("hex"));
  await c.quit();
}

describe("robustness: memory", { skip: onLinux ? false : "needs /proc" }, () => {
  after(async () => {
    srv?.kill("SIGTERM");
    await srv?.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  // Deno: the first large transfer leaves about 110 MB of freed socket and file buffers
  // resident (outside the V8 heap; it stays flat afterwards, also with
  // --max-old-space-size=40). Take that once, with a looser bound, then hold Deno to
  // the same 64 MB per message as Bun.
  it("Deno: a first 100 MB message (allocator warm-up) grows the server by less than 160 MB", {
    ...SLOW,
    skip: isDeno ? false : "Bun needs no warm-up",
  }, async () => {
    await up();
    const kb = await peakGrowth(() => bigMessage(false));
    assert.ok(kb < 160 * 1024, `server grew by ${Math.round(kb / 1024)} MB`);
  });

  it("a 100 MB message by DATA: the server grows by less than 64 MB", SLOW, async () => {
    await up();
    const kb = await peakGrowth(() => bigMessage(false));
    assert.ok(kb < BOUND_KB, `server grew by ${Math.round(kb / 1024)} MB`);
  });

  it("a 100 MB message by BDAT: the server grows by less than 64 MB", SLOW, async () => {
    await up();
    const kb = await peakGrowth(() => bigMessage(true));
    assert.ok(kb < BOUND_KB, `server grew by ${Math.round(kb / 1024)} MB`);
  });

  it("1M pipelined HELPs from a client that does not read: replies are held back, not buffered", SLOW, async () => {
    await up();
    const N = 1_000_000; // ~110 MB of replies if the server buffered them all
    const c = await RawClient.connect(srv.ports.smtp!);
    await c.hello();
    const kb = await peakGrowth(async () => {
      c.pauseReading();
      const done = c.skipReplies(N, 214);
      const batch = Buffer.from("HELP\r\n".repeat(10_000));
      for (let i = 0; i < N / 10_000; i++) c.send(batch);
      // give the server time to fill every buffer it is willing to fill
      for (;;) {
        const left = c.unsent;
        await new Promise((r) => setTimeout(r, 500));
        if (c.unsent === left) break; // the server stopped reading us (or read everything)
      }
      c.resumeReading();
      assert.equal(await done, 0, "every reply is a 214");
    });
    assert.ok(kb < BOUND_KB, `server grew by ${Math.round(kb / 1024)} MB`);
    await c.quit();
  });

  it("the 100 MB messages are in the spool byte-exact", SLOW, async () => {
    await up();
    srv.kill("SIGTERM");
    assert.deepEqual(await srv.exited, { code: 0, signal: null }, srv.stderr());
    await withSpool(dataDir, async (spool, list) => {
      assert.deepEqual(list.map((m) => m.id).sort(), [...sent.keys()].sort());
      for (const m of list) {
        // stream it: skip Tern's Received header (it may arrive in pieces), hash the rest
        const hash = createHash("sha256");
        let head: Buffer | undefined = Buffer.alloc(0);
        for await (const chunk of spool.readBody(m.id)) {
          if (head === undefined) {
            hash.update(chunk);
            continue;
          }
          head = Buffer.concat([head, chunk]);
          const start = head.indexOf("\r\nSubject: 100 MB");
          if (start === -1) {
            assert.ok(head.length < 4096, "Received header, then the body");
            continue;
          }
          hash.update(head.subarray(start + 2));
          head = undefined;
        }
        assert.equal(hash.digest("hex"), sent.get(m.id));
      }
    });
  });
});
