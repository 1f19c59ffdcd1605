import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { validateConfig } from "../../src/config/load.ts";
import { openSpool } from "../../src/spool/index.ts";
import { createRemoteAgent } from "../../src/smtp/client/index.ts";
import { startReceiver } from "../helpers/smtp-receiver.ts";
import { fakeResolver } from "./_helpers.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("outbound config", () => {
  it("has the documented defaults", () => {
    const c = validateConfig({});
    assert.equal(c.outbound.maxConnectionsPerDestination, 10);
    assert.equal(c.outbound.maxMessagesPerConnection, 100);
    assert.equal(c.outbound.maxRecipientsPerTransaction, 100);
    assert.equal(c.outbound.messagesPerSecond, 0);
    assert.equal(c.outbound.idleTimeout, 30);
    assert.equal(c.outbound.connectTimeout, 30);
    assert.equal(c.outbound.heloName, undefined);
    assert.deepEqual(c.outbound.timeouts, { greeting: 300, mail: 300, rcpt: 300, dataInit: 120, dataBlock: 180, dataEnd: 600 });
    assert.deepEqual(c.outbound.destinations, {});
  });

  it("names the key that is wrong", () => {
    assert.throws(() => validateConfig({ outbound: { maxConnectionsPerDestination: 0 } } as never), /outbound\.maxConnectionsPerDestination/);
    assert.throws(() => validateConfig({ outbound: { destinations: { "gmail.com": { idleTimeout: -1 } } } } as never), /outbound\.destinations/);
    assert.throws(() => validateConfig({ outbound: { bogus: 1 } } as never), /outbound/);
  });

  it("a validated config drives the agent end to end with the real spool", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tern-out-"));
    dirs.push(dir);
    const spool = await openSpool(dir);
    const r = await startReceiver();
    const config = validateConfig({ hostname: "relay.tern.test", dataDir: dir, outbound: { heloName: "helo.tern.test", idleTimeout: 1 } });
    const agent = createRemoteAgent(config, { resolver: fakeResolver({ "far.test": { ports: [r.port] } }), spool });
    try {
      const w = spool.begin();
      const body = new TextEncoder().encode("Subject: spooled\r\n\r\n.x\r\n" + "y".repeat(200_000) + "\r\n");
      w.write(body);
      const msg = await w.commit({
        mailFrom: "a@relay.tern.test",
        rcptTo: [{ address: "b@far.test" }],
        client: { address: "127.0.0.1", port: 1, helo: "x", listener: "smtp" },
        receivedAt: Date.now(),
      });
      const [res] = await agent.deliver(msg, msg.envelope.rcptTo);
      assert.equal(res!.outcome.status, "delivered");
      assert.equal(r.sessions[0]!.commands[0], "EHLO helo.tern.test");
      assert.equal(Buffer.compare(r.transactions[0]!.body, body), 0);
    } finally {
      agent.close();
      await r.close();
      await spool.close();
    }
  });
});
