import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildDsn, type DsnInput, dsnStatus, rfc5322Date } from "../../src/queue/dsn.ts";
import { dsnBody, HeaderCutter, MAX_HEADER_BYTES } from "../../src/queue/dsn-body.ts";
import { BODY, dec, enc, envelope } from "./_helpers.ts";
import { parseDsn } from "./_dsn.ts";

async function* chunks(s: string, size: number): AsyncGenerator<Uint8Array> {
  const b = enc.encode(s);
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

async function text(it: AsyncIterable<Uint8Array>): Promise<string> {
  let s = "";
  for await (const c of it) s += dec.decode(c);
  return s;
}

function input(over: Partial<DsnInput> = {}): DsnInput {
  return {
    kind: "failed",
    reportingMta: "mx.tern.test",
    queueId: "Q123",
    envelope: envelope("alice@example.org", ["bob@example.net"], { dsn: { envid: "ENV-42" } }),
    arrivalDate: Date.UTC(2024, 0, 2, 3, 4, 5),
    recipients: [{
      address: "bob@example.net",
      orcpt: "rfc822;Bob+2BX@example.net",
      outcome: "failed",
      reply: "550 5.1.1 <bob@example.net>: no such user",
      remoteMta: "mx1.example.net",
      lastAttemptAt: Date.UTC(2024, 0, 2, 3, 5, 0),
    }],
    now: Date.UTC(2024, 0, 2, 3, 5, 1),
    ...over,
  };
}

describe("DSN builder (RFC 3464)", () => {
  it("failure DSN: multipart/report with the three parts and every required field", async () => {
    const built = buildDsn(input());
    assert.equal(built.envelope.mailFrom, "");
    assert.deepEqual(built.envelope.rcptTo, [{ address: "alice@example.org" }]);
    assert.equal(built.include, "headers");
    const raw = await text(dsnBody(built, chunks(BODY, 7)));
    const d = parseDsn(raw);
    assert.equal(d.headers.get("to"), "<alice@example.org>");
    assert.equal(d.headers.get("from"), "Mail Delivery System <MAILER-DAEMON@mx.tern.test>");
    assert.equal(d.headers.get("auto-submitted"), "auto-replied");
    assert.equal(d.headers.get("date"), "Tue, 02 Jan 2024 03:05:01 +0000");
    assert.match(d.parts[0]!.body, /could not\r\nbe delivered/);
    assert.match(d.parts[0]!.body, /<bob@example\.net> \(host mx1\.example\.net\): 550 5\.1\.1/);
    const [msgF, rcptF] = d.status;
    assert.equal(msgF!.get("reporting-mta"), "dns;mx.tern.test");
    assert.equal(msgF!.get("original-envelope-id"), "ENV-42");
    assert.equal(msgF!.get("arrival-date"), "Tue, 02 Jan 2024 03:04:05 +0000");
    assert.equal(rcptF!.get("final-recipient"), "rfc822;bob@example.net");
    assert.equal(rcptF!.get("original-recipient"), "rfc822;Bob+X@example.net");
    assert.equal(rcptF!.get("action"), "failed");
    assert.equal(rcptF!.get("status"), "5.1.1");
    assert.equal(rcptF!.get("remote-mta"), "dns;mx1.example.net");
    assert.equal(rcptF!.get("diagnostic-code"), "smtp;550 5.1.1 <bob@example.net>: no such user");
    assert.equal(rcptF!.get("last-attempt-date"), "Tue, 02 Jan 2024 03:05:00 +0000");
    // third part: the original header section only (RET absent = HDRS)
    assert.equal(d.parts[2]!.headers.get("content-type"), "text/rfc822-headers");
    assert.equal(d.parts[2]!.body, BODY.slice(0, BODY.indexOf("\r\n\r\n") + 2));
    assert.ok(!raw.includes("the body."));
  });

  it("RET=FULL: the whole message as message/rfc822", async () => {
    const env = envelope("alice@example.org", ["bob@example.net"], { dsn: { ret: "FULL" } });
    const built = buildDsn(input({ envelope: env }));
    assert.equal(built.include, "full");
    const d = parseDsn(await text(dsnBody(built, chunks(BODY, 5))));
    assert.equal(d.parts[2]!.headers.get("content-type"), "message/rfc822");
    assert.equal(d.parts[2]!.body, BODY);
    assert.equal(d.status[0]!.has("original-envelope-id"), false);
  });

  it("several recipients, expired and delivered actions, delay fields", () => {
    const until = Date.UTC(2024, 0, 7);
    const built = buildDsn(input({
      kind: "delayed",
      recipients: [
        { address: "a@x.example", outcome: "delayed", reply: "451 4.7.1 greylisted", willRetryUntil: until },
        { address: "b@x.example", outcome: "expired", reply: "421 busy" },
        { address: "c@x.example", outcome: "delivered", reply: "250 ok" },
        { address: "d@x.example", outcome: "failed", reply: "connection refused" },
      ],
    }));
    const raw = dec.decode(built.head) + "X: y\r\n" + dec.decode(built.tail);
    const d = parseDsn(raw);
    const r = d.status.slice(1);
    assert.deepEqual(r.map((x) => x.get("action")), ["delayed", "failed", "delivered", "failed"]);
    assert.deepEqual(r.map((x) => x.get("status")), ["4.7.1", "4.4.7", "2.0.0", "5.0.0"]);
    assert.equal(r[0]!.get("will-retry-until"), rfc5322Date(until));
    assert.equal(r[3]!.get("diagnostic-code"), "X-Tern;connection refused");
    assert.match(d.headers.get("subject")!, /Delayed/);
  });

  it("status: enhanced code wins, else the reply class", () => {
    assert.equal(dsnStatus({ address: "a", outcome: "failed", enhanced: "5.7.1", reply: "550 5.1.1 x" }), "5.7.1");
    assert.equal(dsnStatus({ address: "a", outcome: "failed", reply: "554 rejected" }), "5.0.0");
    assert.equal(dsnStatus({ address: "a", outcome: "delayed" }), "4.0.0");
  });

  it("header injection in replies is neutralised", () => {
    const built = buildDsn(input({
      recipients: [{ address: "bob@example.net", outcome: "failed", reply: "550 no\r\nBcc: evil@example.com" }],
    }));
    const d = parseDsn(dec.decode(built.head) + dec.decode(built.tail));
    assert.equal(d.status[1]!.get("diagnostic-code"), "smtp;550 no Bcc: evil@example.com");
    assert.equal(d.status[1]!.has("bcc"), false);
  });
});

describe("HeaderCutter", () => {
  const msg = "A: 1\r\nB: 2\r\n\r\nbody\r\n\r\nmore";
  for (const size of [1, 2, 3, 4, 5, 13, 14, 15, 100]) {
    it(`finds the header end across chunks of ${size}`, async () => {
      const out = await text(dsnBody({ head: new Uint8Array(0), tail: new Uint8Array(0), include: "headers", envelope: { mailFrom: "", rcptTo: [] } }, chunks(msg, size)));
      assert.equal(out, "A: 1\r\nB: 2\r\n");
    });
  }

  it("no header fields (message starts with an empty line)", () => {
    const c = new HeaderCutter();
    assert.deepEqual(c.feed(enc.encode("\r\nbody")), []);
    assert.equal(c.done, true);
  });

  it("a message without a body is copied whole, with a final CRLF; huge headers are capped", async () => {
    const d = { head: new Uint8Array(0), tail: enc.encode("END"), include: "headers" as const, envelope: { mailFrom: "", rcptTo: [] } };
    assert.equal(await text(dsnBody(d, chunks("A: 1\r\nB: 2", 3))), "A: 1\r\nB: 2\r\nEND");
    const big = "X: " + "y".repeat(MAX_HEADER_BYTES * 2);
    const out = await text(dsnBody(d, chunks(big, 65536)));
    assert.equal(out.length, MAX_HEADER_BYTES + 2 + 3);
  });
});
