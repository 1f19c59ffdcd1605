import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bodyStructure, envelope } from "../../src/mime/envelope.ts";
import { sectionBytes } from "../../src/mime/section.ts";
import { parseMime } from "../../src/mime/structure.ts";
import { parseAddressList } from "../../src/mime/address.ts";
import type { Section } from "../../src/proto/imap/fetch-items.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

const NESTED = [
  "From: Ann <ann@a.test>",
  "To: undisclosed-recipients:;",
  "Subject: nested",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="outer"',
  "",
  "preamble",
  "--outer",
  "Content-Type: text/plain; charset=utf-8",
  "",
  "plain text",
  "--outer",
  "Content-Type: message/rfc822",
  "",
  "From: Inner <in@b.test>",
  "Subject: inner",
  "Content-Type: multipart/alternative; boundary=inner",
  "",
  "--inner",
  "Content-Type: text/plain",
  "",
  "alt one",
  "--inner",
  "Content-Type: text/html",
  "Content-Transfer-Encoding: quoted-printable",
  "",
  "<p>alt two</p>",
  "--inner--",
  "",
  "--outer",
  'Content-Type: application/pdf; name="a.pdf"',
  "Content-Disposition: attachment; filename=a.pdf",
  "Content-Transfer-Encoding: base64",
  "",
  "QUJD",
  "--outer--",
  "epilogue",
  "",
].join("\r\n");

const buf = enc.encode(NESTED);
const root = parseMime(buf);
const sec = (part: number[], text: Section["text"] = { kind: "all" }) => dec.decode(sectionBytes(buf, root, { part, text }));

describe("MIME structure and sections", () => {
  it("finds parts and their bodies by number", () => {
    assert.equal(root.children.length, 3);
    assert.equal(sec([1]), "plain text");
    assert.equal(sec([1], { kind: "mime" }), "Content-Type: text/plain; charset=utf-8\r\n\r\n");
    assert.equal(sec([2, 1]), "alt one");
    assert.equal(sec([2, 2]), "<p>alt two</p>");
    assert.equal(sec([2], { kind: "header" }), "From: Inner <in@b.test>\r\nSubject: inner\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n");
    assert.equal(sec([3]), "QUJD");
    assert.equal(sec([4]), "");
    assert.equal(sec([], { kind: "fields", not: false, fields: ["SUBJECT", "FROM"] }), "From: Ann <ann@a.test>\r\nSubject: nested\r\n\r\n");
    assert.ok(sec([], { kind: "fields", not: true, fields: ["SUBJECT", "FROM", "TO", "MIME-VERSION"] }).startsWith("Content-Type: multipart/mixed"));
    assert.ok(sec([], { kind: "text" }).startsWith("preamble\r\n--outer"));
  });

  it("formats BODYSTRUCTURE with nested message/rfc822 and dispositions", () => {
    const bs = bodyStructure(buf, root, true);
    assert.ok(bs.startsWith('(("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 10 1 NIL NIL NIL NIL)("MESSAGE" "RFC822" NIL NIL NIL "7BIT" '), bs);
    assert.match(bs, /\("TEXT" "HTML" NIL NIL NIL "QUOTED-PRINTABLE" 14 1 NIL NIL NIL NIL\) "ALTERNATIVE" \("BOUNDARY" "inner"\)/);
    assert.match(bs, /\("APPLICATION" "PDF" \("NAME" "a\.pdf"\) NIL NIL "BASE64" 4 NIL \("ATTACHMENT" \("FILENAME" "a\.pdf"\)\) NIL NIL\) "MIXED" \("BOUNDARY" "outer"\) NIL NIL NIL\)$/);
    const basic = bodyStructure(buf, root, false);
    assert.doesNotMatch(basic, /BOUNDARY/);
  });

  it("formats ENVELOPE with groups, quoted names and defaults", () => {
    const env = envelope(buf, root);
    assert.equal(env, '(NIL "nested" (("Ann" NIL "ann" "a.test")) (("Ann" NIL "ann" "a.test")) (("Ann" NIL "ann" "a.test")) ((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) NIL NIL NIL NIL)');
  });

  it("parses address lists", () => {
    assert.deepEqual(parseAddressList('"Doe, J" <j@d.test>, x@y.test (comment), Team: a@t.test, b@t.test;'), [
      { kind: "mailbox", name: "Doe, J", mailbox: "j", host: "d.test" },
      { kind: "mailbox", name: null, mailbox: "x", host: "y.test" },
      { kind: "group-start", group: "Team" },
      { kind: "mailbox", name: null, mailbox: "a", host: "t.test" },
      { kind: "mailbox", name: null, mailbox: "b", host: "t.test" },
      { kind: "group-end" },
    ]);
  });

  it("treats a message without a blank line or Content-Type as text/plain", () => {
    const b = enc.encode("Subject: x\r\n");
    const r = parseMime(b);
    assert.equal(r.type, "text");
    assert.equal(bodyStructure(b, r, false), '("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 0 0)');
  });

  it("survives a deeply nested bomb", () => {
    let m = "";
    for (let i = 0; i < 200; i++) m += `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`;
    const r = parseMime(enc.encode(m + "x"));
    assert.ok(bodyStructure(enc.encode(m), r, true).length > 0);
  });
});
