import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ReplyParser, replyText, type ReplyEvent } from "../../src/proto/smtp/client-reply.ts";
import { parseEhlo } from "../../src/proto/smtp/client-ehlo.ts";

const enc = new TextEncoder();

const STREAM = "220 mx.test ESMTP ready\r\n" +
  "250-mx.test hello\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 SMTPUTF8\r\n" +
  "250 2.1.0 sender ok\r\n" +
  "550-5.1.1 no such\r\n550 5.1.1 user here\r\n" +
  "451 4.3.0 try later\r\n" +
  "354 go\r\n" +
  "250 2.0.0 queued\n"; // bare LF tolerated

function parseAll(chunks: Uint8Array[]): ReplyEvent[] {
  const p = new ReplyParser();
  return chunks.flatMap((c) => p.feed(c));
}

describe("client reply parser", () => {
  it("parses multi-line replies with enhanced codes", () => {
    const evs = parseAll([enc.encode(STREAM)]);
    assert.equal(evs.length, 7);
    const rs = evs.map((e) => (e.type === "reply" ? e.reply : assert.fail(e.reason)));
    assert.deepEqual(rs[0], { code: 220, enhanced: "", lines: ["mx.test ESMTP ready"] });
    assert.deepEqual(rs[1]!.lines, ["mx.test hello", "PIPELINING", "SIZE 1000", "SMTPUTF8"]);
    assert.deepEqual(rs[3], { code: 550, enhanced: "5.1.1", lines: ["no such", "user here"] });
    assert.equal(replyText(rs[3]!), "550 5.1.1 no such user here");
    assert.equal(rs[4]!.enhanced, "4.3.0");
    assert.equal(rs[6]!.code, 250);
    const caps = parseEhlo(rs[1]!);
    assert.equal(caps.pipelining, true);
    assert.equal(caps.size, 1000);
    assert.equal(caps.smtputf8, true);
    assert.equal(caps.chunking, false);
  });

  it("gives the same replies at every split position", () => {
    const bytes = enc.encode(STREAM);
    const whole = parseAll([bytes]);
    for (let i = 0; i <= bytes.length; i++) {
      const got = parseAll([bytes.subarray(0, i), bytes.subarray(i)]);
      assert.deepEqual(got, whole, `split at ${i}`);
    }
    for (let i = 0; i < bytes.length; i += 3) {
      for (let j = i; j <= bytes.length; j += 5) {
        const got = parseAll([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)]);
        assert.deepEqual(got, whole, `split at ${i},${j}`);
      }
    }
  });

  it("byte by byte", () => {
    const bytes = enc.encode(STREAM);
    const chunks = [...bytes].map((b) => new Uint8Array([b]));
    assert.deepEqual(parseAll(chunks), parseAll([bytes]));
  });

  it("does not take a mismatched enhanced code", () => {
    const [e] = parseAll([enc.encode("550 4.1.1 odd\r\n")]);
    assert.ok(e && e.type === "reply");
    assert.equal(e.reply.enhanced, "");
    assert.deepEqual(e.reply.lines, ["4.1.1 odd"]);
  });

  it("reports malformed input as an error, never throws", () => {
    for (const bad of ["hello\r\n", "25\r\n", "250x ok\r\n", "999 what\r\n", "250-a\r\n251 b\r\n"]) {
      const evs = parseAll([enc.encode(bad)]);
      assert.equal(evs.at(-1)?.type, "error", bad);
    }
    const p = new ReplyParser();
    const evs = p.feed(new Uint8Array(20000).fill(65));
    assert.equal(evs[0]?.type, "error");
  });

  it("parses AUTH and SIZE forms in EHLO", () => {
    const [e] = parseAll([enc.encode("250-x\r\n250-AUTH PLAIN login\r\n250-AUTH=CRAM-MD5\r\n250-SIZE\r\n250-CHUNKING\r\n250 STARTTLS\r\n")]);
    assert.ok(e && e.type === "reply");
    const c = parseEhlo(e.reply);
    assert.deepEqual(c.auth, ["PLAIN", "LOGIN", "CRAM-MD5"]);
    assert.equal(c.size, 0);
    assert.equal(c.chunking, true);
    assert.equal(c.starttls, true);
  });
});
