// Connection limits, timeouts and TLS garbage against a real in-process server.
// After each, a normal message still goes through.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as tls from "node:tls";
import type { ConfigInput } from "../../src/config/schema.ts";
import { deliverOne, RawClient } from "../helpers/smtp-client.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const SLOW = { timeout: 60_000 }; // each test starts its own server

async function withServer(over: ConfigInput, fn: (t: TestServer) => Promise<void>): Promise<void> {
  const t = await startTestServer({ relay: { trustedNetworks: ["127.0.0.0/8"] }, ...over });
  try {
    await fn(t);
  } finally {
    await t.stop();
  }
}

/** read replies until the server closes; returns their last lines */
async function drain(c: RawClient): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const r = await c.reply().catch(() => undefined);
    if (!r) return out;
    out.push(r.last);
  }
}

/**
 * The server frees a connection slot when it sees the close, which can be a moment
 * after the client saw it: retry while the answer is "too many connections".
 */
async function deliverWhenFree(port: number, attempts = 100): Promise<string> {
  for (let i = 0; ; i++) {
    try {
      return await deliverOne(port);
    } catch (e) {
      if (i >= attempts || !/421 4\.7\.0/.test(String(e))) throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

function tlsHello(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false });
    let got = "";
    s.on("data", (d: Uint8Array) => {
      got += Buffer.from(d).toString("latin1");
      if (got.includes("\r\n")) {
        s.end();
        resolve(got);
      }
    });
    s.on("error", reject);
  });
}

describe("robustness: limits, timeouts, TLS garbage", () => {
  it("maxConnections: one too many → 421 4.7.0, then room again", SLOW, () =>
    withServer({ limits: { maxConnections: 3 } }, async (t) => {
      // the limit counts connections on each listener
      const open = await Promise.all([1, 2, 3].map(() => RawClient.connect(t.smtp)));
      for (const c of open) await c.expect("220 ");
      const extra = await RawClient.connect(t.smtp);
      assert.match((await drain(extra))[0] ?? "", /^421 4\.7\.0 /);
      await extra.closed;
      await open[0]!.quit();
      await deliverWhenFree(t.smtp);
      for (const c of open.slice(1)) await c.quit();
    }));

  it("maxConnectionsPerIp: one too many from 127.0.0.1 → 421 4.7.0; another IP is fine", SLOW, () =>
    withServer({ limits: { maxConnectionsPerIp: 2 } }, async (t) => {
      const open = await Promise.all([1, 2].map(() => RawClient.connect(t.smtp)));
      for (const c of open) await c.expect("220 ");
      const extra = await RawClient.connect(t.smtp);
      assert.match((await drain(extra))[0] ?? "", /^421 4\.7\.0 .*too many connections/);
      const other = await RawClient.connect(t.smtp, { localAddress: "127.0.0.2" });
      await other.hello();
      await other.quit();
      await open[1]!.quit();
      await deliverWhenFree(t.smtp);
      await open[0]!.quit();
    }));

  it("command timeout (1 s): an idle client gets 421 4.4.2 and is closed", SLOW, () =>
    withServer({ timeouts: { command: 1 } }, async (t) => {
      const c = await RawClient.connect(t.smtp);
      await c.hello();
      c.send("MAIL FROM:<slow@example.org>\r\n");
      await c.expect("250 ");
      // say nothing more: the sweep closes us
      const rest = await drain(c);
      assert.equal(rest.length, 1);
      assert.match(rest[0]!, /^421 4\.4\.2 /);
      await deliverOne(t.smtp);
      assert.equal(t.server.spool.list().length, 1);
    }));

  it("data timeout (1 s): a client stalled mid-DATA gets 421 4.4.2, nothing stored", SLOW, () =>
    withServer({ timeouts: { data: 1 } }, async (t) => {
      const c = await RawClient.connect(t.smtp);
      await c.hello();
      c.send("MAIL FROM:<slow@example.org>\r\nRCPT TO:<rcpt@example.net>\r\nDATA\r\n");
      await c.expect("250 ");
      await c.expect("250 ");
      await c.expect("354 ");
      c.send("Subject: stalled\r\n\r\npart of a body\r\n");
      const rest = await drain(c);
      assert.deepEqual(rest.map((l) => l.slice(0, 9)), ["421 4.4.2"]);
      assert.equal(t.server.spool.list().length, 0);
      await deliverOne(t.smtp);
    }));

  it("a client that never reads its replies is cut off after the timeout, not kept forever", SLOW, () =>
    withServer({ timeouts: { command: 1 }, limits: { maxConnectionsPerIp: 1 } }, async (t) => {
      const c = await RawClient.connect(t.smtp);
      await c.hello();
      c.pauseReading();
      // enough replies to fill every buffer between us, then silence
      c.send(Buffer.from("HELP\r\n".repeat(200_000)));
      // its 421 can never be delivered; the server must still free its slot (one per IP)
      await deliverWhenFree(t.smtp, 500);
      c.destroy();
    }));

  it("TLS garbage on the implicit-TLS port: connection closed, the server is fine", SLOW, () =>
    withServer({}, async (t) => {
      const junk = await RawClient.connect(t.submissions);
      junk.send("EHLO this is not a TLS ClientHello\r\n");
      junk.send(new Uint8Array(2048).fill(0x16));
      await junk.closed;
      // a fake record header announcing a huge record, then silence + close
      const junk2 = await RawClient.connect(t.submissions);
      await junk2.write(new Uint8Array([0x16, 0x03, 0x01, 0xff, 0xff, 0x01, 0x00]));
      await junk2.destroyAndWait();
      assert.match(await tlsHello(t.submissions), /^220 /);
      await deliverOne(t.smtp);
    }));

  it("TLS garbage after STARTTLS: connection closed, the server is fine", SLOW, () =>
    withServer({}, async (t) => {
      const c = await RawClient.connect(t.smtp);
      await c.hello();
      c.send("STARTTLS\r\n");
      await c.expect("220 2.0.0");
      await c.write(Buffer.from("\x16\x03\x01\x00\x05hello, not a handshake\r\nEHLO x\r\n", "latin1"));
      await c.closed;
      // a client that says STARTTLS and then vanishes
      const v = await RawClient.connect(t.smtp);
      await v.hello();
      v.send("STARTTLS\r\n");
      await v.expect("220 2.0.0");
      await v.destroyAndWait();
      await deliverOne(t.smtp);
      await deliverOne(t.smtp);
      assert.equal(t.server.spool.list().length, 2);
    }));
});
