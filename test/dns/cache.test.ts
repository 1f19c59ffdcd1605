// The lookup cache with a fake clock: positive TTLs from the records, negative caching
// from the SOA (bounded), a short tempfail cache, LRU bound, hit/miss counters.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createResolver, type Resolver } from "../../src/dns/index.ts";
import { startDnsServer, type TestDnsServer } from "../helpers/dns-server.ts";

describe("DNS cache (fake clock)", () => {
  let dns: TestDnsServer;
  let t = 0;
  const now = () => t;
  const sec = (s: number) => (t = s * 1000);
  const fresh = (cacheSize = 100): Resolver => {
    t = 0;
    return createResolver({ dns: { servers: [dns.server], timeoutMs: 2000, cacheSize } }, { now });
  };

  before(async () => {
    dns = await startDnsServer({
      "ttl.example": { mx: [[10, "mx.ttl.example"]], ttl: 100 },
      "zero.example": { mx: [[10, "mx.zero.example"]], ttl: 0 },
      "alias.example": { cname: "target.example", ttl: 40 },
      "target.example": { mx: [[10, "mx.target.example"]], ttl: 500 },
      "nodata.example": { a: ["192.0.2.1"], negativeTtl: 30, ttl: 1000 },
      "long-neg.example": { negativeTtl: 86400 },
      "nosoa.example": { noSoa: true },
      "flaky.example": { rcode: "SERVFAIL" },
      "host.example": { a: ["192.0.2.50"], aaaa: ["2001:db8::50"], ttl: 60 },
    });
  });
  after(async () => {
    await dns.close();
  });

  it("a positive answer is cached until its TTL, then asked again", async () => {
    const r = fresh();
    const q = () => dns.count("ttl.example", "MX");
    const base = q();
    await r.resolve("ttl.example");
    assert.equal(q(), base + 1);
    sec(99);
    await r.resolve("ttl.example");
    assert.equal(q(), base + 1, "cached at 99 s of 100");
    sec(101);
    await r.resolve("ttl.example");
    assert.equal(q(), base + 2, "asked again after the TTL");
    assert.deepEqual({ hits: r.stats().hits, misses: r.stats().misses }, { hits: 1, misses: 2 });
  });

  it("TTL 0 is not cached", async () => {
    const r = fresh();
    const base = dns.count("zero.example", "MX");
    await r.resolve("zero.example");
    await r.resolve("zero.example");
    assert.equal(dns.count("zero.example", "MX"), base + 2);
  });

  it("a CNAME chain is cached for the smallest TTL along it", async () => {
    const r = fresh();
    const base = dns.count("alias.example", "MX");
    await r.resolve("alias.example");
    sec(39);
    await r.resolve("alias.example");
    assert.equal(dns.count("alias.example", "MX"), base + 1);
    sec(41);
    await r.resolve("alias.example");
    assert.equal(dns.count("alias.example", "MX"), base + 2);
  });

  it("NXDOMAIN is cached for the SOA minimum, then the new name is seen", async () => {
    const r = fresh();
    assert.deepEqual(await r.resolve("later.example"), { kind: "nxdomain" });
    dns.zone["later.example"] = { mx: [[10, "mx.later.example"]], negativeTtl: 60 };
    try {
      sec(59);
      assert.deepEqual(await r.resolve("later.example"), { kind: "nxdomain" }, "negative answer still cached");
      assert.equal(dns.count("later.example", "MX"), 1);
      sec(61);
      const d = await r.resolve("later.example");
      assert.equal(d.kind, "hosts");
    } finally {
      delete dns.zone["later.example"];
    }
  });

  it("NODATA is cached for the SOA minimum (and the implicit MX's A record for its own TTL)", async () => {
    const r = fresh();
    const q = () => dns.count("nodata.example", "MX");
    const base = q();
    await r.resolve("nodata.example");
    sec(29);
    await r.resolve("nodata.example");
    assert.equal(q(), base + 1);
    sec(31);
    const d = await r.resolve("nodata.example");
    assert.ok(d.kind === "hosts" && d.implicit);
    assert.equal(q(), base + 2);
  });

  it("negative caching is bounded (1 h) and has a default without an SOA", async () => {
    const r = fresh();
    await r.resolve("long-neg.example");
    sec(3599);
    await r.resolve("long-neg.example");
    assert.equal(dns.count("long-neg.example", "MX"), 1);
    sec(3601);
    await r.resolve("long-neg.example");
    assert.equal(dns.count("long-neg.example", "MX"), 2, "asked again after the 1 h bound, not the SOA's 1 day");

    const r2 = fresh();
    await r2.resolve("nosoa.example");
    sec(59);
    await r2.resolve("nosoa.example");
    assert.equal(dns.count("nosoa.example", "MX"), 1);
    sec(61);
    await r2.resolve("nosoa.example");
    assert.equal(dns.count("nosoa.example", "MX"), 2);
  });

  it("a temporary failure is remembered only briefly (5 s)", async () => {
    const r = fresh();
    const base = dns.count("flaky.example", "MX");
    assert.equal((await r.resolve("flaky.example")).kind, "tempfail");
    sec(4);
    assert.equal((await r.resolve("flaky.example")).kind, "tempfail");
    assert.equal(dns.count("flaky.example", "MX"), base + 1);
    dns.zone["flaky.example"] = { mx: [[10, "mx.flaky.example"]] };
    sec(6);
    assert.equal((await r.resolve("flaky.example")).kind, "hosts", "recovered after the tempfail TTL");
    assert.equal(r.stats().tempfails, 1);
  });

  it("addresses are cached per type, for the record TTL", async () => {
    const r = fresh();
    await r.addresses("host.example");
    sec(59);
    assert.deepEqual(await r.addresses("host.example"), ["192.0.2.50", "2001:db8::50"]);
    assert.equal(dns.count("host.example", "A"), 1);
    assert.equal(dns.count("host.example", "AAAA"), 1);
    sec(61);
    await r.addresses("host.example");
    assert.equal(dns.count("host.example", "A"), 2);
  });

  it("the cache is bounded by dns.cacheSize (least recently used goes first)", async () => {
    const r = fresh(2);
    const base = dns.count("ttl.example", "MX");
    await r.resolve("ttl.example");
    await r.resolve("target.example");
    await r.resolve("nodata.example"); // evicts ttl.example MX
    assert.equal(r.stats().entries, 2);
    await r.resolve("ttl.example");
    assert.equal(dns.count("ttl.example", "MX"), base + 2);
    r.clearCache();
    assert.equal(r.stats().entries, 0);
  });
});
