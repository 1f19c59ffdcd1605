import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { decodeMutf7, encodeMutf7, mutf7Error } from "../../src/proto/imap/mutf7.ts";

const decoded = (s: string) => {
  const r = decodeMutf7(s);
  assert.ok(r.ok, `${s}: ${r.ok ? "" : r.error}`);
  return r.value;
};

describe("modified UTF-7 mailbox names (RFC 3501 §5.1.3)", () => {
  it("decodes and encodes the RFC's example", () => {
    assert.equal(decoded("~peter/mail/&U,BTFw-/&ZeVnLIqe-"), "~peter/mail/台北/日本語");
    assert.equal(encodeMutf7("~peter/mail/台北/日本語"), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
  });

  it("writes & as &- and leaves printable ASCII alone", () => {
    assert.equal(encodeMutf7("&"), "&-");
    assert.equal(decoded("&-"), "&");
    assert.equal(encodeMutf7("Tom & Jerry.Sub"), "Tom &- Jerry.Sub");
    assert.equal(decoded("Tom &- Jerry.Sub"), "Tom & Jerry.Sub");
    assert.equal(decoded("INBOX"), "INBOX");
    assert.equal(decoded(""), "");
  });

  it("round-trips Latin, CJK, astral characters and control characters", () => {
    for (const s of ["Entwürfe", "Éléments envoyés", "Корзина", "台北&日本語", "😀 smile", "a\tb", "ü&ü", "日"]) {
      const e = encodeMutf7(s);
      assert.match(e, /^[\x20-\x7e]*$/, e);
      assert.equal(decoded(e), s);
    }
    assert.equal(encodeMutf7("Entwürfe"), "Entw&APw-rfe");
    assert.equal(encodeMutf7("😀"), "&2D3eAA-");
  });

  it("refuses what is not valid modified UTF-7, saying why", () => {
    assert.match(mutf7Error("Grüße")!, /8-bit/); // raw 8-bit: must be encoded
    assert.match(mutf7Error("a\x01b")!, /control/);
    assert.match(mutf7Error("&U,BTFw")!, /unterminated/);
    assert.match(mutf7Error("x&abc")!, /unterminated/);
    assert.match(mutf7Error("&U*BTFw-")!, /not a modified BASE64 digit/);
    assert.match(mutf7Error("&U/BTFw-")!, /not a modified BASE64 digit/); // "/" is ","
    assert.match(mutf7Error("&AGE-")!, /must be written as itself/); // "a" encoded
    assert.match(mutf7Error("&ACY-")!, /must be written as itself/); // "&" encoded
    assert.match(mutf7Error("&Jjo-&Jjo-")!, /back to back/); // RFC: no null shift "-&"
    assert.match(mutf7Error("&U,BTF-")!, /whole UTF-16/);
    assert.match(mutf7Error("&U,B-")!, /whole UTF-16/); // non-zero fill bits
    assert.match(mutf7Error("&2D0-")!, /surrogate/);
    assert.match(mutf7Error("&AAA-")!, /NUL/);
    assert.equal(mutf7Error("&JjomOg-"), undefined);
    assert.equal(mutf7Error("&Jjo-x&Jjo-"), undefined);
    assert.equal(mutf7Error("&Jjo-&-"), undefined); // an encoded run, then a literal "&"
  });
});
