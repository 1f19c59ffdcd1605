// Bad input against a real in-process server: garbage, NUL bytes, over-long lines,
// command floods, too many errors, clients vanishing mid-message, the size limit.
// After each, a normal message still goes through.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { deliverOne, queueId, RawClient, sendBdat, sendData } from "../helpers/smtp-client.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConfigInput } from "../../src/config/schema.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { assertStored, readBody, withSpool } from "../helpers/spool-check.ts";

const MAX_SIZE = 100_000;
const config: ConfigInput = { limits: { maxErrors: 50, maxMessageSize: MAX_SIZE }, relay: { trustedNetworks: ["127.0.0.0/8"] } };
let t: TestServer;
let ready: Promise<TestServer> | undefined;
/** Bun ignores node:test hook timeouts (5 s): slow setup happens in the first test that needs it */
const SLOW = { timeout: 60_000 };
const dir = mkdtempSync(join(tmpdir(), "tern-robust-"));

async function up(): Promise<TestServer> {
  t = await (ready ??= startTestServer(config, undefined, dir));
  return t;
}

async function client(): Promise<RawClient> {
  await up();
  const c = await RawClient.connect(t.smtp);
  await c.hello();
  return c;
}

function ids(): string[] {
  return t.server.spool.list().map((m) => m.id).sort();
}

describe("robustness: bad input", () => {
  after(async () => {
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("binary garbage lines get 500 and the session stays in sync", SLOW, async () => {
    const c = await client();
    const junk = new Uint8Array(4096);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + 13) & 0xff;
    // split into lines so the replies can be counted: each chunk ends with CRLF
    let lines = 0;
    for (let off = 0; off < junk.length; off += 512) {
      const line = junk.slice(off, off + 510).map((b) => (b === 10 || b === 13 ? 0x41 : b));
      c.send(line);
      c.send("\r\n");
      lines++;
    }
    c.send("NOOP\r\n");
    const rs = await c.replies(lines + 1);
    for (const r of rs.slice(0, -1)) assert.equal(r.code, 500, r.last);
    assert.ok(rs.some((r) => r.last.includes("5.5.2 command is not valid UTF-8")));
    assert.equal(rs.at(-1)!.last.slice(0, 9), "250 2.0.0");
    await c.quit();
    await deliverOne(t.smtp);
  });

  it("NUL bytes: in a command → 500; in a body → stored byte-exact", SLOW, async () => {
    const c = await client();
    c.send("NO\0OP\r\nMAIL FROM:<a\0b@example.org>\r\nNOOP\r\n");
    assert.equal((await c.reply()).code, 500);
    assert.equal((await c.reply()).code, 553);
    await c.expect("250 2.0.0");
    const body = "Subject: nul\r\n\r\nbefore\0after\r\n";
    const r = await sendData(c, body);
    assert.equal(r.code, 250, r.last);
    assertStored(await readBody(t.server.spool, queueId(r)), Buffer.from(body, "latin1"), "nul body");
    await c.quit();
  });

  it("a 1 MB line without CRLF → 500 5.5.2, then in sync", SLOW, async () => {
    const c = await client();
    const big = Buffer.alloc(1024 * 1024, "x");
    for (let i = 0; i < 16; i++) await c.write(big.subarray(i * 65536, (i + 1) * 65536));
    await c.write("\r\nNOOP\r\n");
    await c.expect("500 5.5.2");
    await c.expect("250 2.0.0");
    const r = await sendData(c, "Subject: after long line\r\n\r\nok\r\n");
    assert.equal(r.code, 250, r.last);
    await c.quit();
  });

  it("100k pipelined NOOPs are all answered", SLOW, async () => {
    const c = await client();
    const N = 100_000;
    const batch = Buffer.from("NOOP\r\n".repeat(1000));
    for (let i = 0; i < N / 1000; i++) c.send(batch);
    c.send("QUIT\r\n");
    let ok = 0;
    for (let i = 0; i < N; i++) if ((await c.reply()).code === 250) ok++;
    assert.equal(ok, N);
    await c.expect("221 ");
    await c.closed;
    await deliverOne(t.smtp);
  });

  it("too many errors → 421 4.7.0 and the connection closes", SLOW, async () => {
    const s = await startTestServer({ limits: { maxErrors: 5 }, relay: config.relay });
    try {
      const c = await RawClient.connect(s.smtp);
      await c.hello();
      c.send("BOGUS\r\n".repeat(10));
      const rs: string[] = [];
      for (;;) {
        const r = await c.reply().catch(() => undefined);
        if (!r) break;
        rs.push(r.last.slice(0, 9));
      }
      assert.deepEqual(rs, ["500 5.5.1", "500 5.5.1", "500 5.5.1", "500 5.5.1", "500 5.5.1", "421 4.7.0"]);
      await c.closed;
      await deliverOne(s.smtp);
    } finally {
      await s.stop();
    }
  });

  it("a client that vanishes mid-DATA leaves no message behind", SLOW, async () => {
    await up();
    const before = ids();
    const c = await client();
    c.send("MAIL FROM:<v@example.org>\r\nRCPT TO:<rcpt@example.net>\r\nDATA\r\n");
    await c.expect("250 ");
    await c.expect("250 ");
    await c.expect("354 ");
    await c.write("Subject: vanished\r\n\r\n" + "half a message\r\n".repeat(5000));
    await c.destroyAndWait();
    const fresh = await deliverOne(t.smtp);
    assert.deepEqual(ids(), [...before, fresh].sort());
  });

  it("a client that vanishes mid-BDAT leaves no message behind", SLOW, async () => {
    await up();
    const before = ids();
    const c = await client();
    c.send("MAIL FROM:<v@example.org>\r\nRCPT TO:<rcpt@example.net>\r\nBDAT 20\r\nSubject: chunk 1\r\n\r\nBDAT 50000 LAST\r\n");
    await c.write("x".repeat(30000));
    await c.expect("250 ");
    await c.expect("250 ");
    await c.expect("250 2.0.0 20 octets");
    await c.destroyAndWait();
    const fresh = await deliverOne(t.smtp);
    assert.deepEqual(ids(), [...before, fresh].sort());
  });

  it("the size limit: 552 5.3.4 after streaming (DATA and BDAT), nothing stored, in sync", SLOW, async () => {
    await up();
    const before = ids();
    const c = await client();
    const big = "Subject: big\r\n\r\n" + "y".repeat(76).concat("\r\n").repeat(Math.ceil((MAX_SIZE * 2) / 78));
    let r = await sendData(c, big);
    assert.equal(r.last.slice(0, 9), "552 5.3.4", r.last);
    r = await sendBdat(c, Buffer.from(big));
    assert.equal(r.last.slice(0, 9), "552 5.3.4", r.last);
    // declared too big: refused at MAIL (RFC 1870)
    c.send(`MAIL FROM:<s@example.org> SIZE=${MAX_SIZE + 1}\r\n`);
    await c.expect("552 5.3.4");
    assert.deepEqual(ids(), before);
    r = await sendData(c, "Subject: small\r\n\r\nfits\r\n");
    assert.equal(r.code, 250, r.last);
    await c.quit();
  });

  it("after all that, a restart finds exactly the acknowledged messages", SLOW, async () => {
    await up();
    const acked = ids();
    await t.stop();
    const reopened = await withSpool(dir, async (_spool, list) => list.map((m) => m.id).sort());
    assert.deepEqual(reopened, acked);
    ready = startTestServer(config, undefined, dir);
    await deliverOne((await up()).smtp);
  });
});
