// The sans-I/O DNS layer: query encoding, reply decoding, and what a reply means.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { describe, it } from "node:test";
// @ts-types="../../src/proto/dns/dns-packet.d.ts"
import dnsPacket from "dns-packet";
import { interpretAnswer } from "../../src/proto/dns/answer.ts";
import { canonicalName, DnsDecodeError, decodeMessage, encodeQuery, RCODE_NXDOMAIN_3, RCODE_SERVFAIL_2 } from "../../src/proto/dns/packet.ts";

// deno-lint-ignore no-explicit-any
type Rr = Record<string, any>;

function reply(opts: { id?: number; name?: string; type?: string; rcode?: number; tc?: boolean; answers?: Rr[]; authorities?: Rr[]; query?: boolean }): Uint8Array {
  return new Uint8Array(dnsPacket.encode({
    type: opts.query ? "query" : "response",
    id: opts.id ?? 7,
    flags: (opts.rcode ?? 0) | (opts.tc ? dnsPacket.TRUNCATED_RESPONSE : 0),
    questions: [{ type: opts.type ?? "MX", name: opts.name ?? "example.com", class: "IN" }],
    answers: opts.answers ?? [],
    authorities: opts.authorities ?? [],
  }));
}

const soa = (ttl: number, minimum: number): Rr => ({
  type: "SOA",
  name: "example.com",
  ttl,
  data: { mname: "ns", rname: "h", serial: 1, refresh: 1, retry: 1, expire: 1, minimum },
});

describe("proto/dns packet", () => {
  it("encodes a recursive query with EDNS(0)", () => {
    const q = dnsPacket.decode(Buffer.from(encodeQuery(4242, "example.com", "MX")));
    assert.equal(q.id, 4242);
    assert.equal(q.type, "query");
    assert.ok(q.flag_rd);
    assert.deepEqual(q.questions, [{ name: "example.com", type: "MX", class: "IN" }]);
    assert.equal(q.additionals[0].type, "OPT");
    assert.equal(q.additionals[0].udpPayloadSize, 1232);
  });

  it("decodes rcode, TC and records", () => {
    const m = decodeMessage(reply({
      rcode: RCODE_SERVFAIL_2,
      tc: true,
      answers: [
        { type: "MX", name: "example.com", ttl: 30, data: { preference: 5, exchange: "mx.example.com" } },
        { type: "A", name: "mx.example.com", ttl: 40, data: "192.0.2.1" },
        { type: "AAAA", name: "mx.example.com", ttl: 40, data: "2001:db8::1" },
        { type: "TXT", name: "example.com", ttl: 1, data: "hi" },
      ],
    }));
    assert.equal(m.rcode, RCODE_SERVFAIL_2);
    assert.equal(m.truncated, true);
    assert.equal(m.response, true);
    assert.deepEqual(m.answers, [
      { type: "MX", name: "example.com", ttl: 30, preference: 5, exchange: "mx.example.com" },
      { type: "A", name: "mx.example.com", ttl: 40, address: "192.0.2.1" },
      { type: "AAAA", name: "mx.example.com", ttl: 40, address: "2001:db8::1" },
      { type: "other", name: "example.com", ttl: 1, rrtype: "TXT" },
    ]);
  });

  it("throws DnsDecodeError on garbage, never anything else", () => {
    assert.throws(() => decodeMessage(new Uint8Array(5)), DnsDecodeError);
    const full = reply({ answers: [{ type: "MX", name: "example.com", ttl: 30, data: { preference: 5, exchange: "mx.example.com" } }] });
    for (let cut = 12; cut < full.length; cut += 3) {
      try {
        decodeMessage(full.subarray(0, cut));
      } catch (e) {
        assert.ok(e instanceof DnsDecodeError, `cut at ${cut}: ${e}`);
      }
    }
  });

  it("canonical names: lower case, no trailing dot", () => {
    assert.equal(canonicalName("MX.Example.COM."), "mx.example.com");
    assert.equal(canonicalName("."), ".");
  });
});

describe("proto/dns interpretAnswer", () => {
  const mx = (exchange: string, preference: number, ttl: number, name = "example.com"): Rr => ({ type: "MX", name, ttl, data: { preference, exchange } });

  it("records: the RRset with the minimum TTL", () => {
    const a = interpretAnswer(7, "example.com", "MX", decodeMessage(reply({ answers: [mx("a.example", 10, 300), mx("b.example", 20, 120)] })));
    assert.equal(a.kind, "records");
    assert.ok(a.kind === "records");
    assert.equal(a.ttl, 120);
    assert.equal(a.records.length, 2);
  });

  it("follows a CNAME chain; TTL is the minimum along it", () => {
    const m = decodeMessage(reply({
      answers: [
        { type: "CNAME", name: "example.com", ttl: 50, data: "alias.example.net" },
        { type: "CNAME", name: "alias.example.net", ttl: 500, data: "final.example.org" },
        mx("mx.example.org", 10, 200, "final.example.org"),
      ],
    }));
    const a = interpretAnswer(7, "EXAMPLE.com.", "MX", m);
    assert.ok(a.kind === "records");
    assert.equal(a.ttl, 50);
    assert.equal(a.records[0]!.type === "MX" && a.records[0]!.exchange, "mx.example.org");
  });

  it("NOERROR with no records is NODATA, negative TTL = min(SOA TTL, MINIMUM) (RFC 2308 §5)", () => {
    assert.deepEqual(interpretAnswer(7, "example.com", "MX", decodeMessage(reply({ authorities: [soa(900, 120)] }))), { kind: "nodata", ttl: 120 });
    assert.deepEqual(interpretAnswer(7, "example.com", "MX", decodeMessage(reply({ authorities: [soa(30, 120)] }))), { kind: "nodata", ttl: 30 });
    assert.deepEqual(interpretAnswer(7, "example.com", "MX", decodeMessage(reply({}))), { kind: "nodata", ttl: undefined });
  });

  it("NXDOMAIN is its own verdict", () => {
    const a = interpretAnswer(7, "example.com", "MX", decodeMessage(reply({ rcode: RCODE_NXDOMAIN_3, authorities: [soa(600, 600)] })));
    assert.deepEqual(a, { kind: "nxdomain", ttl: 600 });
  });

  it("SERVFAIL, wrong ID, wrong question, truncated, a query: errors", () => {
    const cases: [Uint8Array, RegExp][] = [
      [reply({ rcode: RCODE_SERVFAIL_2 }), /SERVFAIL/],
      [reply({ id: 8 }), /ID 8 does not match/],
      [reply({ name: "evil.example" }), /evil\.example/],
      [reply({ type: "A" }), /asked example\.com MX/],
      [reply({ tc: true }), /truncated/],
      [reply({ query: true }), /not a DNS response/],
    ];
    for (const [bytes, re] of cases) {
      const a = interpretAnswer(7, "example.com", "MX", decodeMessage(bytes));
      assert.equal(a.kind, "error");
      assert.match(a.kind === "error" ? a.reason : "", re);
    }
  });
});
