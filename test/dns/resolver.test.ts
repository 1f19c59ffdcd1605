// The resolver against the loopback test DNS server: exact rcodes, MX order, implicit
// MX, null MX, TCP retry, IPv6, timeouts.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createResolver, type Destination, type Resolver } from "../../src/dns/index.ts";
import { startDnsServer, type TestDnsServer } from "../helpers/dns-server.ts";

/** A seeded PRNG (mulberry32): deterministic shuffles. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hosts(d: Destination): string[] {
  assert.equal(d.kind, "hosts", JSON.stringify(d));
  return d.kind === "hosts" ? d.targets.map((t) => `${t.preference}:${t.host}`) : [];
}

describe("DNS resolver (loopback DNS server)", () => {
  let dns: TestDnsServer;
  const fresh = (random?: () => number, timeoutMs = 2000): Resolver =>
    createResolver({ dns: { servers: [dns.server], timeoutMs } }, { random });

  before(async () => {
    dns = await startDnsServer({
      "example.com": { mx: [[30, "mx3.example.com"], [10, "mx1.example.com"], [20, "mx2.example.com"]] },
      "equal.example": { mx: [[10, "a.example.net"], [10, "b.example.net"], [10, "c.example.net"], [20, "backup.example.net"]] },
      "shared1.example": { mx: [[10, "mx.provider.test"], [20, "mx2.provider.test"]] },
      "shared2.example": { mx: [[5, "MX2.provider.test."], [50, "mx.provider.test"]] },
      "nomx.example": { a: ["192.0.2.10"] },
      "v6only.example": { aaaa: ["2001:db8::25"] },
      "empty.example": {},
      "nullmx.example": { mx: [[0, "."]] },
      "mixednull.example": { mx: [[0, "."], [10, "mx1.example.com"]] },
      "broken.example": { rcode: "SERVFAIL" },
      "refused.example": { rcode: "REFUSED" },
      "big.example": { mx: [[10, "mx1.example.com"], [20, "mx2.example.com"]], truncate: true },
      "silent.example": { drop: true },
      "alias.example": { cname: "example.com" },
      "mx1.example.com": { a: ["192.0.2.1", "192.0.2.2"], aaaa: ["2001:db8::1"] },
      "mx2.example.com": { aaaa: ["2001:db8::2"] },
      "bigaddr.example": { a: ["192.0.2.77"], truncate: true },
      "xn--bcher-kva.example": { mx: [[10, "mx1.example.com"]] },
      "old.example": { mx: [[10, "mx1.example.com"]], rejectEdns: true },
      "formerr.example": { rcode: "FORMERR" },
    });
  });
  after(async () => {
    await dns.close();
  });

  it("MX sorted by preference", async () => {
    assert.deepEqual(hosts(await fresh().resolve("example.com")), ["10:mx1.example.com", "20:mx2.example.com", "30:mx3.example.com"]);
  });

  it("equal preferences are shuffled with the injected random source, higher ones stay after", async () => {
    const r = fresh(seeded(42));
    const firsts = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const h = hosts(await r.resolve("equal.example"));
      assert.equal(h.length, 4);
      assert.equal(h[3], "20:backup.example.net");
      assert.deepEqual([...h.slice(0, 3)].sort(), ["10:a.example.net", "10:b.example.net", "10:c.example.net"]);
      firsts.add(h[0]!);
    }
    assert.equal(firsts.size, 3, "each equal-preference MX comes first sometimes");
    // random() ≈ 1 leaves the served order; the same seed gives the same order
    assert.deepEqual(hosts(await fresh(() => 0.9999).resolve("equal.example")).slice(0, 3), ["10:a.example.net", "10:b.example.net", "10:c.example.net"]);
    assert.deepEqual(hosts(await fresh(seeded(7)).resolve("equal.example")), hosts(await fresh(seeded(7)).resolve("equal.example")));
  });

  it("destination key is the sorted MX host set: domains on one provider share it", async () => {
    const r = fresh();
    const a = await r.resolve("shared1.example");
    const b = await r.resolve("shared2.example");
    assert.ok(a.kind === "hosts" && b.kind === "hosts");
    assert.equal(a.key, "mx:mx.provider.test,mx2.provider.test:25");
    assert.equal(b.key, a.key);
    assert.equal(a.tls, "opportunistic");
    assert.deepEqual(a.targets.map((t) => t.port), [25, 25]);
    assert.equal(a.implicit, undefined);
  });

  it("implicit MX on NODATA (RFC 5321 §5.1): the domain itself, preference 0", async () => {
    const d = await fresh().resolve("nomx.example");
    assert.deepEqual(d, {
      kind: "hosts",
      key: "mx:nomx.example:25",
      targets: [{ host: "nomx.example", port: 25, preference: 0 }],
      tls: "opportunistic",
      implicit: true,
    });
    assert.equal(dns.count("nomx.example", "A"), 1);
    const v6 = await fresh().resolve("v6only.example");
    assert.ok(v6.kind === "hosts" && v6.implicit === true);
  });

  it("NXDOMAIN: no implicit MX, no A/AAAA queries", async () => {
    assert.deepEqual(await fresh().resolve("does-not-exist.example"), { kind: "nxdomain" });
    assert.equal(dns.count("does-not-exist.example", "MX"), 1);
    assert.equal(dns.count("does-not-exist.example", "A"), 0);
    assert.equal(dns.count("does-not-exist.example", "AAAA"), 0);
  });

  it("a name with neither MX nor address has nowhere to deliver: nxdomain", async () => {
    assert.deepEqual(await fresh().resolve("empty.example"), { kind: "nxdomain" });
  });

  it("null MX (RFC 7505) → nullmx; a stray '.' among real MX is ignored", async () => {
    assert.deepEqual(await fresh().resolve("nullmx.example"), { kind: "nullmx" });
    assert.equal(dns.count("nullmx.example", "A"), 0);
    assert.deepEqual(hosts(await fresh().resolve("mixednull.example")), ["10:mx1.example.com"]);
  });

  it("SERVFAIL and REFUSED → tempfail with a reason", async () => {
    const d = await fresh().resolve("broken.example");
    assert.equal(d.kind, "tempfail");
    assert.match(d.kind === "tempfail" ? d.reason : "", /SERVFAIL.*broken\.example/);
    const r = await fresh().resolve("refused.example");
    assert.equal(r.kind, "tempfail");
  });

  it("a truncated UDP reply is retried over TCP", async () => {
    const before = dns.count("big.example", "MX", "tcp");
    assert.deepEqual(hosts(await fresh().resolve("big.example")), ["10:mx1.example.com", "20:mx2.example.com"]);
    assert.equal(dns.count("big.example", "MX", "tcp"), before + 1);
    assert.deepEqual(await fresh().addresses("bigaddr.example"), ["192.0.2.77"]);
  });

  it("FORMERR to an EDNS query: asked again without EDNS (RFC 6891 §7)", async () => {
    assert.deepEqual(hosts(await fresh().resolve("old.example")), ["10:mx1.example.com"]);
    assert.equal(dns.count("old.example", "MX"), 2);
    const d = await fresh().resolve("formerr.example");
    assert.equal(d.kind, "tempfail");
    assert.equal(dns.count("formerr.example", "MX"), 2, "one retry, not a loop");
  });

  it("a server that never answers → tempfail within dns.timeoutMs", async () => {
    const d = await fresh(undefined, 200).resolve("silent.example");
    assert.equal(d.kind, "tempfail");
    assert.match(d.kind === "tempfail" ? d.reason : "", /no DNS reply within 200 ms/);
  });

  it("follows CNAMEs for MX", async () => {
    assert.deepEqual(hosts(await fresh().resolve("alias.example")), ["10:mx1.example.com", "20:mx2.example.com", "30:mx3.example.com"]);
  });

  it("addresses(): A then AAAA; IPv6-only hosts; IP literals; none → []", async () => {
    const r = fresh();
    assert.deepEqual(await r.addresses("mx1.example.com"), ["192.0.2.1", "192.0.2.2", "2001:db8::1"]);
    assert.deepEqual(await r.addresses("mx2.example.com"), ["2001:db8::2"]);
    assert.deepEqual(await r.addresses("192.0.2.99"), ["192.0.2.99"]);
    assert.deepEqual(await r.addresses("[2001:db8::9]"), ["2001:db8::9"]);
    assert.deepEqual(await r.addresses("nowhere.example"), []);
    assert.deepEqual(await r.addresses("empty.example"), []);
  });

  it("addresses() throws on temporary failure", async () => {
    await assert.rejects(fresh().addresses("broken.example"), /temporary DNS failure.*SERVFAIL/);
    await assert.rejects(fresh(undefined, 150).addresses("silent.example"), /temporary DNS failure/);
  });

  it("normalizes the domain: case, trailing dot, UTF-8 (A-labels), junk", async () => {
    const r = fresh();
    assert.deepEqual(hosts(await r.resolve("EXAMPLE.com.")), ["10:mx1.example.com", "20:mx2.example.com", "30:mx3.example.com"]);
    assert.deepEqual(hosts(await r.resolve("bücher.example")), ["10:mx1.example.com"]);
    for (const bad of ["", "a..b", "bad domain", "-", "x_y!.example"]) {
      assert.deepEqual(await r.resolve(bad), { kind: "nxdomain" }, bad);
    }
  });

  it("address literals (RFC 5321 §4.1.3) need no DNS", async () => {
    const r = fresh();
    assert.deepEqual(await r.resolve("[192.0.2.5]"), {
      kind: "hosts",
      key: "literal:192.0.2.5:25",
      targets: [{ host: "192.0.2.5", port: 25, preference: 0 }],
      tls: "opportunistic",
    });
    const v6 = await r.resolve("[IPv6:2001:DB8::5]");
    assert.ok(v6.kind === "hosts");
    assert.equal(v6.key, "literal:[2001:db8::5]:25");
    assert.equal(r.stats().queries, 0);
  });

  it("concurrent lookups of one name share one query", async () => {
    const r = fresh();
    const n = dns.count("shared1.example", "MX");
    const all = await Promise.all(Array.from({ length: 20 }, () => r.resolve("shared1.example")));
    assert.equal(all.length, 20);
    assert.equal(dns.count("shared1.example", "MX"), n + 1);
    assert.equal(r.stats().queries, 1);
  });
});
