// The decoders behind SEARCH: quoted-printable, base64, charsets, RFC 2047 encoded
// words, the decoded body-text search, and SEARCH's CHARSET parsing.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { charsetDecoder, decodeBase64, decodeQuotedPrintable } from "../../src/mime/decode.ts";
import { decodeEncodedWords, decodeQ } from "../../src/mime/encoded-words.ts";
import { parseMime } from "../../src/mime/structure.ts";
import { bodyTextHas, indexOfAsciiCi, makeNeedle } from "../../src/mime/text-search.ts";
import { parseCommand } from "../../src/proto/imap/command.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const utf8 = (b: Uint8Array) => new TextDecoder().decode(b);
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe("quoted-printable (RFC 2045 §6.7)", () => {
  const qp = (s: string) => utf8(decodeQuotedPrintable(enc(s)));
  it("joins soft line breaks, also in the middle of a word and with padding after the =", () => {
    assert.equal(qp("the zebra=\r\ncorn is here"), "the zebracorn is here");
    assert.equal(qp("zebra= \t\r\ncorn"), "zebracorn");
    assert.equal(qp("zebra=\ncorn"), "zebracorn"); // LF line ends
    assert.equal(qp("last line="), "last line");
  });
  it("decodes =XX in either case; a bad escape stays literal", () => {
    assert.equal(qp("caf=C3=A9 caf=c3=a9"), "café café");
    assert.equal(qp("a=3Db"), "a=b");
    assert.equal(qp("50=% off =G1"), "50=% off =G1");
  });
  it("drops trailing whitespace on a line (transport padding) but keeps inner runs", () => {
    assert.equal(qp("foo  \r\nbar   baz\t\r\n"), "foo\r\nbar   baz\r\n");
    assert.equal(qp("x \t"), "x");
  });
  it("decodes a sub-range of a buffer", () => {
    const b = enc("HEADER\r\n\r\nab=3Dc");
    assert.equal(utf8(decodeQuotedPrintable(b, 10, b.length)), "ab=c");
  });
});

describe("base64 (RFC 2045 §6.8)", () => {
  const b64 = (s: string) => utf8(decodeBase64(enc(s)));
  it("decodes across line breaks and ignores characters outside the alphabet", () => {
    assert.equal(b64("aGVs\r\nbG8g\r\nd29y\r\nbGQ="), "hello world");
    assert.equal(b64("aGVsbG8g d29y!bGQ"), "hello world");
  });
  it("handles missing padding and stops at the pad", () => {
    assert.equal(b64("aGk"), "hi");
    assert.equal(b64("aA"), "h");
    assert.equal(b64("aGk=aGk="), "hi");
    assert.equal(b64(""), "");
  });
  it("is byte-exact on binary data", () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const text = Buffer.from(bytes).toString("base64").replace(/(.{76})/g, "$1\r\n");
    assert.deepEqual(decodeBase64(enc(text)), bytes);
  });
});

describe("charsets", () => {
  it("knows what TextDecoder knows, by MIME name", () => {
    assert.equal(charsetDecoder("ISO-8859-1")!.decode(Uint8Array.of(0x63, 0xe9)), "cé");
    assert.equal(charsetDecoder("windows-1252")!.decode(Uint8Array.of(0x80)), "€");
    assert.equal(charsetDecoder("iso-8859-2")!.decode(Uint8Array.of(0xb1)), "ą");
    assert.equal(charsetDecoder(" UTF-8 ")!.decode(enc("ü")), "ü");
    assert.equal(charsetDecoder("utf8")!.decode(enc("ü")), "ü");
  });
  it("says undefined for unknown charsets and for U+FFFD-only ones", () => {
    assert.equal(charsetDecoder("x-unknown"), undefined);
    assert.equal(charsetDecoder("utf-7"), undefined);
    assert.equal(charsetDecoder("iso-2022-kr"), undefined);
  });
});

describe("RFC 2047 encoded words", () => {
  it("decodes B and Q words in UTF-8 and ISO-8859-1", () => {
    assert.equal(decodeEncodedWords("=?UTF-8?B?w6l0w6kgZmFjdHVyZQ==?="), "été facture");
    assert.equal(decodeEncodedWords("=?ISO-8859-1?Q?Caf=E9_cr=E8me?="), "Café crème");
    assert.equal(decodeEncodedWords("=?utf-8?q?caf=C3=A9?="), "café");
    assert.equal(decodeEncodedWords("=?windows-1252?Q?=80_5?="), "€ 5");
  });
  it("drops the white space between adjacent encoded words (§6.2), keeps it next to text", () => {
    assert.equal(decodeEncodedWords("=?UTF-8?Q?a?= =?UTF-8?Q?b?="), "ab");
    assert.equal(decodeEncodedWords("=?UTF-8?Q?a?=\r\n\t=?UTF-8?Q?b?="), "ab");
    assert.equal(decodeEncodedWords("=?UTF-8?Q?a?= b =?UTF-8?Q?c?="), "a b c");
    assert.equal(decodeEncodedWords("Re: =?UTF-8?Q?Hi?= there"), "Re: Hi there");
    assert.equal(decodeEncodedWords("=?UTF-8?Q?a_?= =?UTF-8?Q?_b?="), "a  b"); // encoded spaces stay
  });
  it("joins a character split across adjacent words of one charset; mixes charsets", () => {
    assert.equal(decodeEncodedWords("=?UTF-8?B?ww==?= =?UTF-8?B?qQ==?="), "é");
    assert.equal(decodeEncodedWords("=?ISO-8859-1?Q?=E9?= =?UTF-8?Q?=C3=A9?="), "éé");
  });
  it("keeps words in an unknown charset and malformed words as written", () => {
    assert.equal(decodeEncodedWords("=?x-foo?Q?abc?= ok"), "=?x-foo?Q?abc?= ok");
    assert.equal(decodeEncodedWords("=?UTF-8?X?abc?="), "=?UTF-8?X?abc?=");
    assert.equal(decodeEncodedWords("=?UTF-8?Q?a b?="), "=?UTF-8?Q?a b?=");
    assert.equal(decodeEncodedWords("plain text"), "plain text");
  });
  it("decodes inside quoted display names and with an RFC 2231 language", () => {
    assert.equal(decodeEncodedWords('"=?UTF-8?Q?Zo=C3=AB?=" <zoe@x.test>'), '"Zoë" <zoe@x.test>');
    assert.equal(decodeEncodedWords("=?UTF-8*en?Q?hi?="), "hi");
  });
  it("Q: underscore is a space, =XX a byte", () => {
    assert.deepEqual(decodeQ("a_b=3F=zz"), enc("a b?=zz"));
  });
});

const MULTI = [
  "From: a@x.test",
  "Subject: parts",
  'Content-Type: multipart/mixed; boundary="b1"',
  "",
  "preamble zebracorn-pre",
  "--b1",
  "Content-Type: text/plain; charset=utf-8",
  "Content-Transfer-Encoding: base64",
  "",
  Buffer.from("a hidden unicornfish here, and Müller\r\n").toString("base64").replace(/(.{20})/g, "$1\r\n"),
  "--b1",
  "Content-Type: text/html; charset=iso-8859-1",
  "Content-Transfer-Encoding: quoted-printable",
  "",
  "<p>the narwh=\r\nalbird and caf=E9</p>",
  "--b1",
  "Content-Type: application/octet-stream",
  "Content-Transfer-Encoding: base64",
  "",
  Buffer.from("secretword inside a binary").toString("base64"),
  "--b1",
  "Content-Type: message/rfc822",
  "",
  "Subject: inner",
  "Content-Type: text/plain",
  "",
  "INNER Body Text",
  "--b1--",
  "",
].join("\r\n");

describe("decoded body text search", () => {
  const msg = enc(MULTI);
  const mime = parseMime(msg);
  const has = (s: string) => bodyTextHas(msg, mime, makeNeedle(s));
  it("finds words in base64 and quoted-printable text parts (soft break mid-word), any case", () => {
    assert.equal(has("unicornfish"), true);
    assert.equal(has("NARWHALBIRD"), true);
    assert.equal(has("narwh=\r\nal"), false);
  });
  it("applies the part's charset: non-ASCII needles match decoded text, Unicode case-folded", () => {
    assert.equal(has("café"), true);
    assert.equal(has("CAFÉ"), true);
    assert.equal(has("müller"), true);
    assert.equal(has("MÜLLER"), true);
  });
  it("searches an attached message's body; skips non-text parts, headers and the preamble", () => {
    assert.equal(has("inner body"), true);
    assert.equal(has("secretword"), false);
    assert.equal(has("parts"), false);
    assert.equal(has("zebracorn-pre"), false);
  });
  it("the fast path: 7bit UTF-8 searched as bytes, ASCII case folded", () => {
    const plain = enc("Subject: x\r\n\r\nHello ZebraCorn world, grüße\r\n");
    const m = parseMime(plain);
    assert.equal(bodyTextHas(plain, m, makeNeedle("zebracorn")), true);
    assert.equal(bodyTextHas(plain, m, makeNeedle("GRÜSSE")), false);
    assert.equal(bodyTextHas(plain, m, makeNeedle("grüße")), true);
    assert.equal(bodyTextHas(plain, m, makeNeedle("subject")), false);
  });
  it("indexOfAsciiCi finds either case and respects the end", () => {
    assert.equal(indexOfAsciiCi(enc("xxZeBRa"), enc("zebra")), 2);
    assert.equal(indexOfAsciiCi(enc("zebr"), enc("zebra")), -1);
    assert.equal(indexOfAsciiCi(enc("z zE zeb ZEBRA"), enc("zebra")), 9);
    assert.equal(indexOfAsciiCi(enc("a-1 b"), enc("-1 b")), 1);
    assert.equal(indexOfAsciiCi(enc("abc"), enc("")), 0);
  });
});

describe("SEARCH CHARSET parsing (RFC 3501 §6.4.4)", () => {
  const parse = (b: Uint8Array) => {
    const p = parseCommand(b);
    assert.equal(p.kind, "ok", JSON.stringify(p));
    return p.kind === "ok" && p.cmd.name === "SEARCH" ? p.cmd.key : undefined;
  };
  it("decodes the search strings with the given charset, quoted, literal or atom", () => {
    const lit = Uint8Array.of(...enc("a SEARCH CHARSET ISO-8859-1 SUBJECT {4}\r\n"), ...latin1("café"));
    assert.deepEqual(parse(lit), { kind: "header", field: "SUBJECT", value: "café" });
    const q = Uint8Array.of(...enc('a SEARCH CHARSET UTF-8 BODY "'), ...enc("grüße"), 0x22);
    assert.deepEqual(parse(q), { kind: "body", value: "grüße" });
    assert.deepEqual(parse(enc("a SEARCH CHARSET us-ascii TEXT hello")), { kind: "text", value: "hello" });
    assert.deepEqual(parse(enc("a SEARCH OR FROM x TO y")), {
      kind: "or",
      a: { kind: "header", field: "FROM", value: "x" },
      b: { kind: "header", field: "TO", value: "y" },
    });
  });
  it("an unknown charset parses to a badcharset key (answered NO, not BAD)", () => {
    assert.deepEqual(parse(enc("a SEARCH CHARSET X-NOPE TEXT x")), { kind: "badcharset", charset: "X-NOPE" });
    assert.equal(parseCommand(enc("a SEARCH CHARSET UTF-8")).kind, "bad");
  });
});
