import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DotStuffer, TopFilter } from "../../src/proto/pop3/stuff.ts";
import { decodePlain } from "../../src/proto/pop3/sasl.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function splits(b: Uint8Array): Uint8Array[][] {
  const out: Uint8Array[][] = [];
  for (let i = 0; i <= b.length; i++) out.push([b.subarray(0, i), b.subarray(i)]);
  for (let i = 1; i < b.length; i++) {
    for (let j = i + 1; j < b.length; j++) out.push([b.subarray(0, i), b.subarray(i, j), b.subarray(j)]);
  }
  out.push([...b].map((x) => new Uint8Array([x])));
  return out;
}

function stuff(chunks: Uint8Array[]): string {
  const s = new DotStuffer();
  let out = "";
  for (const c of chunks) out += dec.decode(s.push(c));
  return out + dec.decode(s.end());
}

function top(chunks: Uint8Array[], n: number): string {
  const f = new TopFilter(n);
  let out = "";
  for (const c of chunks) {
    out += dec.decode(f.push(c));
    if (f.done) break;
  }
  return out;
}

describe("POP3 dot-stuffing", () => {
  it("stuffs lines starting with '.' at every chunk split", () => {
    const msg = enc.encode(".a\r\nb\r\n.\r\n..c\r\nd.e\r\n.");
    const want = "..a\r\nb\r\n..\r\n...c\r\nd.e\r\n..\r\n.\r\n";
    for (const chunks of splits(msg)) assert.equal(stuff(chunks), want);
  });

  it("stuffs after a bare LF too, so the response cannot end early", () => {
    for (const chunks of splits(enc.encode("x\n.\r\ny\r\n"))) assert.equal(stuff(chunks), "x\n..\r\ny\r\n.\r\n");
  });

  it("terminates an empty message and one without a final CRLF", () => {
    assert.equal(stuff([]), ".\r\n");
    assert.equal(stuff([new Uint8Array(0)]), ".\r\n");
    assert.equal(stuff([enc.encode("abc")]), "abc\r\n.\r\n");
    assert.equal(stuff([enc.encode("abc\r\n")]), "abc\r\n.\r\n");
  });

  it("returns copies the caller may keep", () => {
    const src = enc.encode("hello\r\n");
    const out = new DotStuffer().push(src);
    src[0] = 0;
    assert.equal(dec.decode(out), "hello\r\n");
  });
});

describe("POP3 TOP filter", () => {
  const msg = enc.encode("Subject: x\r\nFrom: a\r\n\r\nl1\r\nl2\r\nl3\r\n");
  it("sends the header, the blank line and n body lines at every split", () => {
    for (const chunks of splits(msg)) {
      assert.equal(top(chunks, 0), "Subject: x\r\nFrom: a\r\n\r\n");
      assert.equal(top(chunks, 2), "Subject: x\r\nFrom: a\r\n\r\nl1\r\nl2\r\n");
      assert.equal(top(chunks, 9), dec.decode(msg));
    }
  });

  it("a message that is all header is sent whole", () => {
    for (const chunks of splits(enc.encode("A: b\r\nC: d\r\n"))) assert.equal(top(chunks, 0), "A: b\r\nC: d\r\n");
  });

  it("an empty header (message starting with the blank line)", () => {
    for (const chunks of splits(enc.encode("\r\nbody\r\nmore\r\n"))) assert.equal(top(chunks, 1), "\r\nbody\r\n");
  });

  it("a CR inside a header line does not end the header", () => {
    for (const chunks of splits(enc.encode("A: \rb\r\n\r\nx\r\n"))) assert.equal(top(chunks, 0), "A: \rb\r\n\r\n");
  });
});

describe("POP3 SASL PLAIN", () => {
  it("decodes, cancels and rejects", () => {
    assert.deepEqual(decodePlain(btoa("\0alice@tern.test\0pw")), { kind: "credentials", user: "alice@tern.test", password: "pw" });
    assert.deepEqual(decodePlain(btoa("alice\0alice\0pw")), { kind: "credentials", user: "alice", password: "pw" });
    assert.deepEqual(decodePlain("*"), { kind: "cancelled" });
    assert.equal(decodePlain("=").kind, "error");
    assert.equal(decodePlain("not base64!").kind, "error");
    assert.equal(decodePlain(btoa("bob\0alice\0pw")).kind, "error");
    assert.equal(decodePlain(btoa("\0\0pw")).kind, "error");
  });
});
