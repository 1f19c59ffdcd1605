// MockResolver: the table others use to test the outbound relay without DNS.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MockResolver } from "../../src/dns/mock.ts";

describe("MockResolver", () => {
  it("answers from its table; unknown domains are nxdomain, unknown hosts have no addresses", async () => {
    const r = new MockResolver()
      .setMx("Example.com", [[10, "mx1.example.com"], [20, "mx2.example.com"]])
      .setAddresses("mx1.example.com", ["127.0.0.1", "::1"])
      .setRoute("local.test", "127.0.0.1", 2525)
      .setDestination("nomail.test", { kind: "nullmx" });
    const d = await r.resolve("example.com");
    assert.ok(d.kind === "hosts");
    assert.equal(d.key, "mx:mx1.example.com,mx2.example.com:25");
    assert.deepEqual(d.targets.map((t) => [t.preference, t.host, t.port]), [[10, "mx1.example.com", 25], [20, "mx2.example.com", 25]]);
    const route = await r.resolve("local.test");
    assert.ok(route.kind === "hosts" && route.key === "route:127.0.0.1:2525");
    assert.deepEqual(await r.resolve("nomail.test"), { kind: "nullmx" });
    assert.deepEqual(await r.resolve("unknown.test"), { kind: "nxdomain" });
    assert.deepEqual(await r.addresses("MX1.example.com"), ["127.0.0.1", "::1"]);
    assert.deepEqual(await r.addresses("192.0.2.1"), ["192.0.2.1"]);
    assert.deepEqual(await r.addresses("nowhere.test"), []);
    assert.deepEqual(r.calls.slice(0, 2), ["resolve example.com", "resolve local.test"]);
  });

  it("injects temporary failures, counted or until cleared", async () => {
    const r = new MockResolver().setMx("flaky.test", [[10, "mx.flaky.test"]]).setAddresses("mx.flaky.test", ["127.0.0.1"]);
    r.fail("flaky.test", "SERVFAIL", 2);
    assert.deepEqual(await r.resolve("flaky.test"), { kind: "tempfail", reason: "SERVFAIL" });
    assert.deepEqual(await r.resolve("flaky.test"), { kind: "tempfail", reason: "SERVFAIL" });
    assert.equal((await r.resolve("flaky.test")).kind, "hosts");
    r.fail("mx.flaky.test", "timeout");
    await assert.rejects(r.addresses("mx.flaky.test"), /temporary DNS failure: timeout/);
    await assert.rejects(r.addresses("mx.flaky.test"), /timeout/);
    r.clearFailure("mx.flaky.test");
    assert.deepEqual(await r.addresses("mx.flaky.test"), ["127.0.0.1"]);
  });

  it("returns copies: callers cannot change the table by accident", async () => {
    const r = new MockResolver().setMx("a.test", [[10, "mx.a.test"]]);
    const d = await r.resolve("a.test");
    assert.ok(d.kind === "hosts");
    d.targets[0]!.port = 1;
    const again = await r.resolve("a.test");
    assert.ok(again.kind === "hosts" && again.targets[0]!.port === 25);
  });
});
