// The UDP/TCP transport: resolv.conf, failover between servers, spoofed replies ignored.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createSocket, type Socket } from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
// @ts-types="../../src/proto/dns/dns-packet.d.ts"
import dnsPacket from "dns-packet";
import { createResolver } from "../../src/dns/index.ts";
import { createDnsTransport, parseResolvConf } from "../../src/runtime/dns.ts";
import { startDnsServer, type TestDnsServer } from "../helpers/dns-server.ts";

/** A UDP socket on 127.0.0.1:0 that runs `onQuery` for every datagram. */
async function udpServer(onQuery: (sock: Socket, msg: Buffer, port: number, address: string) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sock = createSocket("udp4");
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
  sock.on("message", (msg, rinfo) => onQuery(sock, msg, rinfo.port, rinfo.address));
  return { port: sock.address().port, close: () => new Promise<void>((r) => sock.close(() => r())) };
}

describe("DNS transport (node:dgram / node:net)", () => {
  let dns: TestDnsServer;
  before(async () => {
    dns = await startDnsServer({
      "example.com": { mx: [[10, "mx.example.com"]] },
      "bad.example": { rcode: "SERVFAIL" },
    });
  });
  after(async () => {
    await dns.close();
  });

  it("parses resolv.conf nameserver lines", () => {
    const text = "# comment\nsearch example.com\nnameserver 10.0.0.53\n  nameserver ::1\noptions ndots:1\n;nameserver 9.9.9.9\n";
    assert.deepEqual(parseResolvConf(text), [{ host: "10.0.0.53", port: 53 }, { host: "::1", port: 53 }]);
    assert.deepEqual(parseResolvConf(""), []);
  });

  it("reads the servers from a resolv.conf file when none are configured", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tern-dns-"));
    try {
      const path = join(dir, "resolv.conf");
      writeFileSync(path, `options ndots:1\nnameserver 192.0.2.1\n`);
      // 192.0.2.1 (TEST-NET-1, RFC 5737) never answers: the error names the server read from the file
      const t = createDnsTransport({ timeoutMs: 150, resolvConfPath: path });
      const q = dnsPacket.encode({ type: "query", id: 1, questions: [{ type: "MX", name: "example.com" }] });
      await assert.rejects(t.query(new Uint8Array(q)), /192\.0\.2\.1:53/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("moves on to the next server when one is silent", async () => {
    const silent = await udpServer(() => {});
    try {
      const r = createResolver({ dns: { servers: [`127.0.0.1:${silent.port}`, dns.server], timeoutMs: 600 } });
      const d = await r.resolve("example.com");
      assert.ok(d.kind === "hosts", JSON.stringify(d));
    } finally {
      await silent.close();
    }
  });

  it("moves on to the next server on SERVFAIL, keeps the SERVFAIL if all fail", async () => {
    const servfail = await udpServer((sock, msg, port, address) => {
      const q = dnsPacket.decode(msg);
      sock.send(dnsPacket.encode({ type: "response", id: q.id, flags: 2, questions: q.questions }), port, address);
    });
    try {
      const r = createResolver({ dns: { servers: [`127.0.0.1:${servfail.port}`, dns.server] } });
      assert.equal((await r.resolve("example.com")).kind, "hosts");
      const d = await createResolver({ dns: { servers: [`127.0.0.1:${servfail.port}`] } }).resolve("example.com");
      assert.equal(d.kind, "tempfail");
      assert.match(d.kind === "tempfail" ? d.reason : "", /SERVFAIL/);
    } finally {
      await servfail.close();
    }
  });

  it("ignores replies with the wrong ID or a non-response, takes the matching one", async () => {
    const spoofer = await udpServer((sock, msg, port, address) => {
      const q = dnsPacket.decode(msg);
      const answers = [{ type: "MX", name: "example.com", ttl: 60, data: { preference: 1, exchange: "evil.example" } }];
      sock.send(dnsPacket.encode({ type: "response", id: (q.id + 1) & 0xffff, questions: q.questions, answers }), port, address);
      sock.send(dnsPacket.encode({ type: "query", id: q.id, questions: q.questions }), port, address);
      sock.send(Buffer.from("garbage"), port, address);
      const good = [{ type: "MX", name: "example.com", ttl: 60, data: { preference: 1, exchange: "good.example" } }];
      sock.send(dnsPacket.encode({ type: "response", id: q.id, questions: q.questions, answers: good }), port, address);
    });
    try {
      const d = await createResolver({ dns: { servers: [`127.0.0.1:${spoofer.port}`] } }).resolve("example.com");
      assert.ok(d.kind === "hosts");
      assert.deepEqual(d.targets.map((t) => t.host), ["good.example"]);
    } finally {
      await spoofer.close();
    }
  });

  it("a reply for another question is a temporary failure, not an answer", async () => {
    const liar = await udpServer((sock, msg, port, address) => {
      const q = dnsPacket.decode(msg);
      const questions = [{ type: "MX", name: "other.example" }];
      const answers = [{ type: "MX", name: "other.example", ttl: 60, data: { preference: 1, exchange: "evil.example" } }];
      sock.send(dnsPacket.encode({ type: "response", id: q.id, questions, answers }), port, address);
    });
    try {
      const d = await createResolver({ dns: { servers: [`127.0.0.1:${liar.port}`] } }).resolve("example.com");
      assert.equal(d.kind, "tempfail");
    } finally {
      await liar.close();
    }
  });

  it("a malformed reply is a temporary failure", async () => {
    const broken = await udpServer((sock, msg, port, address) => {
      const bytes = Buffer.alloc(12);
      msg.copy(bytes, 0, 0, 2); // same ID
      bytes[2] = 0x81; // QR, RD
      bytes[5] = 1; // one question, but no bytes for it
      sock.send(bytes, port, address);
    });
    try {
      const d = await createResolver({ dns: { servers: [`127.0.0.1:${broken.port}`] } }).resolve("example.com");
      assert.equal(d.kind, "tempfail");
      assert.match(d.kind === "tempfail" ? d.reason : "", /malformed|reply is for/);
    } finally {
      await broken.close();
    }
  });
});
