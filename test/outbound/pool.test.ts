// Outbound relay end to end over MX: five domains whose MX records (from a loopback test
// DNS server) all name the same host are one destination, so 50 messages to them share
// the pool's connections (at most maxConnectionsPerDestination), not one per domain or
// per message. The real server, resolver and remote agent run; only the dialer sends
// port 25 (the MX port) to the receiver's loopback port.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { validateConfig } from "../../src/config/load.ts";
import { createLogger } from "../../src/core/log.ts";
import { createResolver } from "../../src/dns/index.ts";
import { defaultDialer } from "../../src/runtime/index.ts";
import type { DialOptions, Dialer } from "../../src/runtime/types.ts";
import { type RunningServer, startServer } from "../../src/server.ts";
import { createRemoteAgent } from "../../src/smtp/client/index.ts";
import { startDnsServer, type TestDnsServer } from "../helpers/dns-server.ts";
import { RawClient, sendData } from "../helpers/smtp-client.ts";
import { type SmtpReceiver, startReceiver } from "../helpers/smtp-receiver.ts";
import { until } from "./_helpers.ts";

const DOMAINS = ["d1.test", "d2.test", "d3.test", "d4.test", "d5.test"];
const MESSAGES = 50;
const POOL = 3;

let dns: TestDnsServer;
let rx: SmtpReceiver;
let server: RunningServer;
let dataDir: string;
const dialled: DialOptions[] = [];
let closeRemote = () => {};

before(async () => {
  rx = await startReceiver({ hostname: "mx.shared.test" });
  dns = await startDnsServer({
    ...Object.fromEntries(DOMAINS.map((d) => [d, { mx: [[10, "mx.shared.test"]] as [number, string][] }])),
    "mx.shared.test": { a: ["127.0.0.1"] },
  });
  dataDir = mkdtempSync(join(tmpdir(), "tern-outbound-"));
  const config = validateConfig({
    hostname: "mx.tern.test",
    dataDir,
    listen: { smtp: "127.0.0.1:0", submission: false, submissions: false, pop3: false, pop3s: false, imap: false, imaps: false, http: false },
    dns: { servers: [dns.server], timeoutMs: 2000 },
    domains: ["tern.test"],
    relay: { trustedNetworks: ["127.0.0.0/8"] },
    outbound: { maxConnectionsPerDestination: POOL },
  });
  const real = defaultDialer();
  const dialer: Dialer = {
    connect(o, h) {
      dialled.push(o);
      // the MX port is 25: this test's receiver listens on a free loopback port instead
      return real.connect(o.port === 25 ? { ...o, port: rx.port } : o, h);
    },
    startTlsClient: (c, tls) => real.startTlsClient(c, tls),
  };
  // the spool is the server's own; deliveries start only after the server is up
  const remote = createRemoteAgent(config, { resolver: createResolver(config), dialer, spool: { readBody: (id) => server.spool.readBody(id) } });
  closeRemote = () => remote.close();
  server = await startServer(config, { logger: createLogger("error"), agents: { remote } });
});
after(async () => {
  await server?.close();
  closeRemote();
  await rx?.close();
  await dns?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("outbound e2e: MX destinations share the connection pool", { timeout: 60_000 }, () => {
  it(`${MESSAGES} messages to ${DOMAINS.length} domains with one MX host use at most ${POOL} connections`, { timeout: 60_000 }, async () => {
    const c = await RawClient.connect(server.ports.smtp!);
    await c.hello();
    for (let i = 0; i < MESSAGES; i++) {
      const to = `user${i}@${DOMAINS[i % DOMAINS.length]}`;
      const r = await sendData(c, `Subject: pool ${i}\r\n\r\nmessage ${i}\r\n`, "sender@tern.test", to);
      assert.equal(r.code, 250, r.last);
    }
    await c.quit();
    const got = () => rx.transactions.flatMap((t) => t.rcptTo);
    await until(() => got().length >= MESSAGES, `the receiver got ${MESSAGES} recipients`);
    await until(() => server.spool.list().length === 0, "the spool is empty");

    const rcpts = got().sort();
    assert.equal(new Set(rcpts).size, MESSAGES, "each recipient once");
    assert.equal(rcpts.length, MESSAGES, "no duplicates");
    for (const d of DOMAINS) assert.ok(dns.count(d, "MX") >= 1, `MX of ${d} was asked`);
    assert.ok(dialled.length > 0 && dialled.every((o) => o.host === "127.0.0.1" && o.port === 25), "every dial went to the MX host's address on port 25");
    assert.ok(rx.connections <= POOL, `at most ${POOL} connections for all ${DOMAINS.length} domains, saw ${rx.connections}`);
    assert.ok(rx.transactions.length > rx.connections, "connections carried several transactions each");
  });
});
