import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cidrContains, isCidr, parseCidr, parseIp, parseIPv6 } from "../../src/core/cidr.ts";

describe("cidr", () => {
  it("parses IPv4 networks and masks host bits", () => {
    const c = parseCidr("10.1.2.3/8");
    assert.equal(c.family, 4);
    assert.equal(c.prefix, 8);
    assert.deepEqual([...c.bytes], [10, 0, 0, 0]);
    assert.equal(parseCidr("1.2.3.4").prefix, 32);
  });

  it("parses IPv6 networks", () => {
    const c = parseCidr("2001:db8::/32");
    assert.equal(c.family, 6);
    assert.equal(c.prefix, 32);
    assert.equal(parseCidr("::1").prefix, 128);
    assert.equal(parseCidr("::/0").prefix, 0);
  });

  it("rejects invalid CIDRs", () => {
    for (const bad of ["", "10.0.0.0/33", "10.0.0/8", "256.0.0.0/8", "1.2.3.4/", "1.2.3.4/-1", "2001:db8::/129", "1:2:3:4:5:6:7:8:9", "1::2::3", "abc", "10.0.0.0/8/8", "01.2.3.4x"]) {
      assert.equal(isCidr(bad), false, bad);
      assert.throws(() => parseCidr(bad), Error, bad);
    }
  });

  it("parses IPv6 forms", () => {
    assert.ok(parseIPv6("::"));
    assert.ok(parseIPv6("fe80::1%eth0"));
    assert.ok(parseIPv6("1:2:3:4:5:6:7:8"));
    assert.ok(parseIPv6("::ffff:192.0.2.1"));
    assert.equal(parseIPv6("1:2:3:4:5:6:7:8::"), undefined);
    assert.equal(parseIPv6("12345::"), undefined);
    assert.deepEqual(parseIp("::ffff:1.2.3.4"), { family: 4, bytes: new Uint8Array([1, 2, 3, 4]) });
  });

  it("matches IPv4", () => {
    const nets = ["10.0.0.0/8", "192.168.1.0/24"];
    assert.equal(cidrContains(nets, "10.255.1.2"), true);
    assert.equal(cidrContains(nets, "192.168.1.77"), true);
    assert.equal(cidrContains(nets, "192.168.2.1"), false);
    assert.equal(cidrContains(nets, "11.0.0.1"), false);
    assert.equal(cidrContains(["0.0.0.0/0"], "8.8.8.8"), true);
    assert.equal(cidrContains(["1.2.3.4"], "1.2.3.4"), true);
    assert.equal(cidrContains(["1.2.3.4/32"], "1.2.3.5"), false);
    assert.equal(cidrContains(["172.16.0.0/12"], "172.31.255.255"), true);
    assert.equal(cidrContains(["172.16.0.0/12"], "172.32.0.0"), false);
  });

  it("matches IPv6", () => {
    assert.equal(cidrContains(["2001:db8::/32"], "2001:db8:1::5"), true);
    assert.equal(cidrContains(["2001:db8::/32"], "2001:db9::1"), false);
    assert.equal(cidrContains(["::1/128"], "::1"), true);
    assert.equal(cidrContains(["::1"], "[::1]"), true);
    assert.equal(cidrContains(["fe80::/10"], "febf::1"), true);
    assert.equal(cidrContains(["fe80::/10"], "fec0::1"), false);
    assert.equal(cidrContains(["::/0"], "2a00::1"), true);
    assert.equal(cidrContains(["::/0"], "1.2.3.4"), false, "families do not mix");
    assert.equal(cidrContains(["0.0.0.0/0"], "::2"), false);
  });

  it("matches IPv4-mapped IPv6 addresses against IPv4 networks", () => {
    assert.equal(cidrContains(["127.0.0.0/8"], "::ffff:127.0.0.1"), true);
    assert.equal(cidrContains(["10.0.0.0/8"], "::FFFF:10.9.8.7"), true);
    assert.equal(cidrContains(["10.0.0.0/8"], "::ffff:a09:807"), true);
    assert.equal(cidrContains(["10.0.0.0/8"], "::ffff:11.0.0.1"), false);
    // and mapped networks against plain IPv4 addresses
    assert.equal(cidrContains(["::ffff:10.0.0.0/104"], "10.1.2.3"), true);
    assert.equal(cidrContains(["::ffff:10.0.0.0/104"], "11.1.2.3"), false);
  });

  it("ignores invalid entries and invalid addresses", () => {
    assert.equal(cidrContains(["bogus", "10.0.0.0/8"], "10.0.0.1"), true);
    assert.equal(cidrContains(["10.0.0.0/8"], "not-an-ip"), false);
    assert.equal(cidrContains([], "10.0.0.1"), false);
    assert.equal(cidrContains([parseCidr("10.0.0.0/8")], "10.0.0.1"), true);
  });
});
