import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DotStuffer } from "../../src/proto/smtp/client-dotstuff.ts";
import { DataReceiver } from "../../src/proto/smtp/data-receiver.ts";
import { authPlain, mailFrom, rcptTo, xtext } from "../../src/proto/smtp/client-command.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

const BODY = ".starts with dot\r\nSubject: x\r\n\r\nline\r\n.\r\nafter a lone dot\r\n..two dots\r\nx\n.bare lf\r\nend.\r\n.";

/** Reference: a dot before every "." at the start of the body or after LF, then the terminator. */
function reference(s: string): string {
  const stuffed = s.replace(/(^|\n)\./g, "$1..");
  return stuffed + (s === "" || s.endsWith("\r\n") ? ".\r\n" : "\r\n.\r\n");
}

function run(chunks: Uint8Array[]): string {
  const st = new DotStuffer();
  let out = "";
  for (const c of chunks) out += dec.decode(st.push(c));
  return out + dec.decode(st.end());
}

describe("dot-stuffing transform", () => {
  it("stuffs line-initial dots and terminates with CRLF.CRLF", () => {
    assert.equal(run([enc.encode("a\r\n.b\r\n")]), "a\r\n..b\r\n.\r\n");
    assert.equal(run([enc.encode("no newline")]), "no newline\r\n.\r\n");
    assert.equal(run([]), ".\r\n");
    assert.equal(run([enc.encode(BODY)]), reference(BODY));
  });

  it("returns the chunk itself when nothing needs stuffing", () => {
    const st = new DotStuffer();
    const c = enc.encode("hello\r\nworld\r\n");
    assert.equal(st.push(c), c);
  });

  it("is correct at every split position (one and two splits)", () => {
    const b = enc.encode(BODY);
    const want = reference(BODY);
    for (let i = 0; i <= b.length; i++) {
      assert.equal(run([b.subarray(0, i), b.subarray(i)]), want, `split at ${i}`);
      for (let j = i; j <= b.length; j++) {
        assert.equal(run([b.subarray(0, i), b.subarray(i, j), b.subarray(j)]), want, `split at ${i},${j}`);
      }
    }
  });

  it("stuffInPlace gives push()'s bytes in the same buffer, at every split, and refuses when there is no room", () => {
    const b = enc.encode(BODY);
    const want = reference(BODY);
    const dots = (BODY.match(/(^|\n)\./g) ?? []).length;
    for (let i = 0; i <= b.length; i++) {
      const st = new DotStuffer();
      let out = "";
      for (const part of [b.subarray(0, i), b.subarray(i)]) {
        const buf = new Uint8Array(part.length + dots);
        buf.set(part);
        const n = st.stuffInPlace(buf, part.length);
        out += dec.decode(buf.subarray(0, n));
      }
      assert.equal(out + dec.decode(st.end()), want, `split at ${i}`);
    }
    const st = new DotStuffer();
    const tight = enc.encode(".a\r\n.b");
    assert.equal(st.stuffInPlace(tight, tight.length), -1);
    assert.equal(dec.decode(tight), ".a\r\n.b", "untouched");
    assert.equal(dec.decode(st.push(tight)) + dec.decode(st.end()), "..a\r\n..b\r\n.\r\n", "and no state was kept");
  });

  it("round-trips through the server's unstuffer (CRLF.CRLF inside content stays content)", () => {
    const body = "x\r\n.\r\n.\r\nMAIL FROM:<evil@x>\r\n..\r\n";
    const wire = enc.encode(run([enc.encode(body)]));
    const dr = new DataReceiver();
    const parts: Uint8Array[] = [];
    const end = dr.feed(wire, (c) => parts.push(c.slice()));
    assert.equal(end, wire.length, "ends exactly at the terminator");
    assert.equal(parts.map((p) => dec.decode(p)).join(""), body);
  });
});

describe("client command formatting", () => {
  it("formats MAIL and RCPT with parameters", () => {
    assert.equal(
      mailFrom("a@b", { size: 10, body: "8BITMIME", smtputf8: true, ret: "HDRS", envid: "id+1=" }),
      "MAIL FROM:<a@b> SIZE=10 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=id+2B1+3D",
    );
    assert.equal(mailFrom(""), "MAIL FROM:<>");
    assert.equal(rcptTo("c@d", { notify: ["SUCCESS", "FAILURE"], orcpt: "rfc822;c@d" }), "RCPT TO:<c@d> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;c@d");
    assert.equal(xtext("a b"), "a+20b");
    assert.equal(authPlain("u", "p"), "AUTH PLAIN " + btoa("\0u\0p"));
  });
});
