// Static routes and the smarthost bypass MX lookup; exact beats wildcard beats smarthost.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { validateConfig } from "../../src/config/load.ts";
import { createResolver } from "../../src/dns/index.ts";
import { Routes } from "../../src/dns/routes.ts";
import { startDnsServer, type TestDnsServer } from "../helpers/dns-server.ts";

describe("routes and smarthost", () => {
  let dns: TestDnsServer;
  before(async () => {
    dns = await startDnsServer({ "example.net": { mx: [[10, "mx.example.net"]] } });
  });
  after(async () => {
    await dns.close();
  });

  const ROUTES = {
    "example.com": "mail.internal:2525",
    "*.example.org": "[10.0.0.1]:2525",
    "*.deep.example.org": "[::1]:26",
    "exact.example.org": "exact.internal",
  };

  it("a route bypasses MX lookup: exact, wildcard subdomains, longest wildcard, exact over wildcard", async () => {
    const r = createResolver({ dns: { servers: [dns.server] }, routes: ROUTES });
    assert.deepEqual(await r.resolve("Example.COM"), {
      kind: "hosts",
      key: "route:mail.internal:2525",
      targets: [{ host: "mail.internal", port: 2525, preference: 0 }],
      tls: "opportunistic",
    });
    const sub = await r.resolve("a.example.org");
    assert.ok(sub.kind === "hosts");
    assert.equal(sub.key, "route:10.0.0.1:2525");
    assert.deepEqual(sub.targets, [{ host: "10.0.0.1", port: 2525, preference: 0 }]);
    const subsub = await r.resolve("x.y.example.org");
    assert.ok(subsub.kind === "hosts" && subsub.key === "route:10.0.0.1:2525");
    const deep = await r.resolve("a.deep.example.org");
    assert.ok(deep.kind === "hosts");
    assert.equal(deep.key, "route:[::1]:26");
    assert.deepEqual(deep.targets, [{ host: "::1", port: 26, preference: 0 }]);
    const exact = await r.resolve("exact.example.org");
    assert.ok(exact.kind === "hosts");
    assert.deepEqual(exact.targets, [{ host: "exact.internal", port: 25, preference: 0 }]);
    assert.equal(dns.queries.length, 0, "no DNS queries for routed domains");
  });

  it("a wildcard does not match the domain itself; unrouted domains use MX", async () => {
    const r = createResolver({ dns: { servers: [dns.server] }, routes: ROUTES });
    assert.deepEqual(await r.resolve("example.org"), { kind: "nxdomain" });
    const mx = await r.resolve("example.net");
    assert.ok(mx.kind === "hosts" && mx.key === "mx:mx.example.net:25");
    assert.equal(dns.count("example.org", "MX"), 1);
  });

  it("routes share a key (and so a pool) when they point to the same place", async () => {
    const r = createResolver({ routes: { "a.test": "relay.internal:2525", "*.b.test": "relay.internal:2525" } }, { transport: noDns });
    const a = await r.resolve("a.test");
    const b = await r.resolve("x.b.test");
    assert.ok(a.kind === "hosts" && b.kind === "hosts");
    assert.equal(a.key, b.key);
    // each call returns its own object
    a.targets[0]!.port = 1;
    const again = await r.resolve("a.test");
    assert.ok(again.kind === "hosts" && again.targets[0]!.port === 2525);
  });

  it("the smarthost takes every remote domain, with its TLS policy and AUTH; routes still win", async () => {
    const config = validateConfig({
      relay: { smarthost: { host: "smtp.provider.test", auth: { user: "u", password: "p" } } },
      routes: { "internal.test": "[10.1.1.1]:25" },
    });
    const r = createResolver(config, { transport: noDns });
    assert.deepEqual(await r.resolve("gmail.com"), {
      kind: "hosts",
      key: "smarthost:smtp.provider.test:587",
      targets: [{ host: "smtp.provider.test", port: 587, preference: 0 }],
      tls: "required",
      auth: { user: "u", password: "p" },
    });
    const routed = await r.resolve("internal.test");
    assert.ok(routed.kind === "hosts" && routed.key === "route:10.1.1.1:25");
  });

  it("smarthost with implicit TLS defaults to port 465; explicit values are kept", async () => {
    const c1 = validateConfig({ relay: { smarthost: { host: "smtp.provider.test", implicitTls: true, tls: "verify" } } });
    const d1 = await createResolver(c1, { transport: noDns }).resolve("x.test");
    assert.ok(d1.kind === "hosts");
    assert.deepEqual([d1.targets[0]!.port, d1.implicitTls, d1.tls, d1.key], [465, true, "verify", "smarthost:smtp.provider.test:465"]);
    const c2 = validateConfig({ relay: { smarthost: { host: "[192.0.2.9]", port: 2525, tls: "none" } } });
    const d2 = await createResolver(c2, { transport: noDns }).resolve("x.test");
    assert.ok(d2.kind === "hosts");
    assert.deepEqual([d2.targets[0]!.host, d2.targets[0]!.port, d2.tls, d2.implicitTls, d2.auth], ["192.0.2.9", 2525, "none", undefined, undefined]);
  });

  it("Routes rejects bad patterns and targets with a clear error", () => {
    assert.throws(() => new Routes({ "bad domain": "h" }), /"bad domain" is not a domain or "\*\.domain"/);
    assert.throws(() => new Routes({ "a.test": "h:0" }), /routes\.a\.test: expected "host"/);
  });
});

/** A transport that fails the test if it is ever used. */
const noDns = {
  query(): Promise<Uint8Array> {
    throw new Error("DNS must not be queried");
  },
};
