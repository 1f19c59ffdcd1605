// Config keys for resolution: dns, routes, relay.smarthost — defaults and messages.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, validateConfig } from "../../src/config/load.ts";

function problems(input: unknown, env: Record<string, string> = {}): string[] {
  try {
    validateConfig(input, env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe("config: dns, routes, relay.smarthost", () => {
  it("defaults", () => {
    const c = validateConfig({});
    assert.deepEqual(c.dns, { timeoutMs: 3000, cacheSize: 10000 });
    assert.equal(c.dns.servers, undefined, "servers default: /etc/resolv.conf");
    assert.deepEqual(c.routes, {});
    assert.equal(c.relay.smarthost, undefined);
    assert.deepEqual(c.relay.trustedNetworks, []);
  });

  it("accepts valid values", () => {
    const c = validateConfig({
      dns: { servers: ["1.1.1.1", "9.9.9.9:5353", "::1", "[2001:db8::53]:53"], timeoutMs: 500, cacheSize: 5 },
      routes: { "example.com": "mail.internal", "*.example.org": "[10.0.0.1]:2525", "v6.test": "[::1]:25" },
      relay: { trustedNetworks: ["10.0.0.0/8"], smarthost: { host: "smtp.example.com", port: 2587, tls: "opportunistic", auth: { user: "a", password: "b" } } },
    });
    assert.equal(c.dns.servers?.length, 4);
    assert.deepEqual(c.relay.smarthost, { host: "smtp.example.com", port: 2587, tls: "opportunistic", auth: { user: "a", password: "b" } });
  });

  it("names the key and what is wrong", () => {
    assert.deepEqual(problems({ dns: { servers: ["dns.google"], timeoutMs: 0, cacheSize: "x", retries: 2 } }).sort(), [
      "dns.cacheSize: expected a positive integer",
      "dns.retries: unknown key",
      'dns.servers[0]: expected a name server IP, optionally with a port ("1.1.1.1", "1.1.1.1:5353", "[::1]:53"), got "dns.google"',
      "dns.timeoutMs: expected a positive integer",
    ]);
    assert.deepEqual(problems({ routes: { "*.ok.test": "host:99999", "not a domain": "h" } }).sort(), [
      'routes.*.ok.test: expected "host", "host:port" or "[ip]:port", got "host:99999"',
      'routes.not a domain: expected a domain or "*.domain" as the key, got "not a domain"',
    ]);
    assert.deepEqual(problems({ routes: ["a"] }), ['routes: expected an object { "domain": "host:port" }']);
    assert.deepEqual(problems({}, { TERN_ROUTES: "a.test=h" }), ['routes: expected an object { "domain": "host:port" } (from TERN_ROUTES)']);
    assert.deepEqual(problems({ relay: { smarthost: { host: "smtp.x.test", tls: "always", port: 0, auth: { user: "" } } } }).sort(), [
      "relay.smarthost.auth.password: expected a non-empty string",
      "relay.smarthost.auth.user: expected a non-empty string",
      "relay.smarthost.port: expected a port number 1-65535",
      'relay.smarthost.tls: expected one of "none", "opportunistic", "required", "verify"',
    ]);
    assert.deepEqual(problems({ relay: { smarthost: { host: "smtp.x.test", tls: "none", implicitTls: true } } }), [
      'relay.smarthost.tls: expected "required" or "verify" with implicitTls (got "none")',
    ]);
    assert.deepEqual(problems({ relay: { smarthost: {} } }), ["relay.smarthost.host: expected a host name or IP address"]);
  });

  it("environment overrides", () => {
    const c = validateConfig({}, {
      TERN_DNS__SERVERS: "127.0.0.1:5353, 1.1.1.1",
      TERN_DNS__TIMEOUT_MS: "750",
      TERN_RELAY__SMARTHOST: '{"host":"smtp.example.com","implicitTls":true}',
      TERN_ROUTES: '{"example.com":"[10.0.0.1]:2525"}',
    });
    assert.deepEqual(c.routes, { "example.com": "[10.0.0.1]:2525" });
    assert.deepEqual(c.dns, { servers: ["127.0.0.1:5353", "1.1.1.1"], timeoutMs: 750, cacheSize: 10000 });
    assert.deepEqual(c.relay.smarthost, { host: "smtp.example.com", tls: "required", implicitTls: true, port: 465 });
  });
});
