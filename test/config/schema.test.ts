import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseHostPort, tryParseHostPort, validateConfig } from "../../src/config/load.ts";
import { configSchema, defineConfig } from "../../src/config/schema.ts";

describe("config schema", () => {
  it("{} is a valid config with every default", () => {
    const c = validateConfig({});
    assert.ok(c.hostname.length > 0);
    assert.equal(c.dataDir, "./data");
    assert.deepEqual(c.listen, {
      smtp: "127.0.0.1:2525",
      submission: "127.0.0.1:2587",
      submissions: "127.0.0.1:2465",
      pop3: "127.0.0.1:2110",
      pop3s: "127.0.0.1:2995",
      imap: "127.0.0.1:2143",
      imaps: "127.0.0.1:2993",
      http: "127.0.0.1:8025",
    });
    assert.deepEqual(c.tls, {});
    assert.deepEqual(c.domains, ["localhost"]);
    assert.deepEqual(c.users, []);
    assert.deepEqual(c.relay, { trustedNetworks: [] });
    assert.deepEqual(c.auth, { allowInsecure: false });
    assert.deepEqual(c.limits, {
      maxMessageSize: 26214400,
      maxRecipients: 1000,
      maxConnections: 1000,
      maxConnectionsPerIp: 100,
      maxErrors: 10,
      maxAuthFailures: 3,
      maxLineLength: 4096,
    });
    assert.deepEqual(c.timeouts, { command: 300, data: 180, shutdown: 30, pop3Idle: 600 });
    assert.deepEqual(c.spool, { segmentSize: 67108864 });
    assert.deepEqual(c.log, { level: "info" });
    assert.deepEqual(configSchema.parse({}), c);
  });

  it("partial sections keep the other defaults", () => {
    const c = validateConfig({ listen: { smtp: false }, limits: { maxRecipients: 5 } });
    assert.equal(c.listen.smtp, false);
    assert.equal(c.listen.submission, "127.0.0.1:2587");
    assert.equal(c.limits.maxRecipients, 5);
    assert.equal(c.limits.maxMessageSize, 26214400);
  });

  it("accepts a full config", () => {
    const input = defineConfig({
      hostname: "mx.example.com",
      dataDir: "/var/lib/tern",
      listen: { smtp: "0.0.0.0:25", submission: "[::]:587", submissions: "[::1]:465", http: false, imap: "localhost:0" },
      tls: { cert: "/etc/cert.pem", key: "/etc/key.pem" },
      domains: ["Example.COM", "example.org"],
      users: [
        { address: "Alice@Example.COM", password: "pw" },
        { address: "bob@example.org", passwordHash: "$scrypt$ln=13,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
      ],
      relay: { trustedNetworks: ["10.0.0.0/8", "fd00::/8", "::ffff:192.168.0.0/112"] },
      auth: { allowInsecure: true },
      limits: { maxMessageSize: 1000 },
      timeouts: { command: 0.5 },
      spool: { segmentSize: 1 << 20 },
      log: { level: "debug" },
    });
    const c = validateConfig(input);
    assert.deepEqual(c.domains, ["example.com", "example.org"]);
    assert.equal(c.users[0]!.address, "Alice@example.com", "domain part lower-cased, local part kept");
    assert.equal(c.listen.submission, "[::]:587");
    assert.equal(c.timeouts.command, 0.5);
    assert.equal(c.log.level, "debug");
  });

  it("defineConfig is the identity", () => {
    const x = { hostname: "a.example" };
    assert.equal(defineConfig(x), x);
  });

  it("parseHostPort", () => {
    assert.deepEqual(parseHostPort("127.0.0.1:2525"), { host: "127.0.0.1", port: 2525 });
    assert.deepEqual(parseHostPort("[::1]:25"), { host: "::1", port: 25 });
    assert.deepEqual(parseHostPort("[::]:0"), { host: "::", port: 0 });
    assert.deepEqual(parseHostPort("localhost:65535"), { host: "localhost", port: 65535 });
    assert.deepEqual(parseHostPort("mx.example.com:25"), { host: "mx.example.com", port: 25 });
    for (const bad of ["abc", "127.0.0.1", "127.0.0.1:", ":25", "127.0.0.1:65536", "127.0.0.1:-1", "::1:25", "[::1]", "[::1]25", "[zz::1]:25", "[1.2.3.4]:25", "a b:25", "1.2.3.4:25x", "host:1e3"]) {
      assert.equal(tryParseHostPort(bad), undefined, bad);
      assert.throws(() => parseHostPort(bad), /expected "host:port"/, bad);
    }
  });
});
