// Case-insensitive substring search in the decoded text of a message (what IMAP SEARCH
// BODY and TEXT look at, RFC 3501 §6.4.4): the bodies of its text/* and message/* parts
// with their Content-Transfer-Encoding undone and their charset applied. Other parts
// (images, application/*) are not searched, as in Dovecot without a full-text index.
//
// Fast path: an ASCII needle in a 7bit/8bit/binary part in UTF-8 or US-ASCII is found
// by scanning the message's own bytes (ASCII letters folded), with no decoded copy.

import { charsetDecoder, decodeBase64, decodeQuotedPrintable, isUtf8Compatible } from "./decode.ts";
import { getField } from "./header.ts";
import type { MimePart } from "./structure.ts";

const utf8 = new TextDecoder("utf-8");

/** what to look for: lower-cased (Unicode), plus its bytes when it is all ASCII */
export interface Needle {
  lower: string;
  ascii?: Uint8Array;
}

export function makeNeedle(value: string): Needle {
  const lower = value.toLowerCase();
  // deno-lint-ignore no-control-regex
  if (!/^[\x00-\x7f]*$/.test(lower)) return { lower };
  const ascii = new Uint8Array(lower.length);
  for (let i = 0; i < lower.length; i++) ascii[i] = lower.charCodeAt(i);
  return { lower, ascii };
}

const foldAscii = (c: number) => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c);

function restMatches(buf: Uint8Array, at: number, needle: Uint8Array): boolean {
  for (let j = 1; j < needle.length; j++) if (foldAscii(buf[at + j]!) !== needle[j]) return false;
  return true;
}

/** offset of `needle` (lower-case ASCII) in `buf`, ignoring ASCII case; -1 if absent */
export function indexOfAsciiCi(buf: Uint8Array, needle: Uint8Array): number {
  const n = needle.length;
  if (n === 0) return 0;
  const last = buf.length - n;
  const lo = needle[0]!;
  const up = lo >= 0x61 && lo <= 0x7a ? lo - 0x20 : lo;
  let a = buf.indexOf(lo);
  let b = up === lo ? -1 : buf.indexOf(up);
  for (;;) {
    const at = a < 0 ? b : b < 0 ? a : Math.min(a, b);
    if (at < 0 || at > last) return -1;
    if (restMatches(buf, at, needle)) return at;
    if (at === a) a = buf.indexOf(lo, at + 1);
    else b = buf.indexOf(up, at + 1);
  }
}

/** does the decoded text of `bytes` (in `charset`) contain the needle? */
function textHas(bytes: Uint8Array, charset: string | undefined, n: Needle): boolean {
  const plain = isUtf8Compatible(charset);
  if (n.ascii && plain) return indexOfAsciiCi(bytes, n.ascii) >= 0;
  // an unknown charset: read as UTF-8, so at least its ASCII text is found
  const d = plain ? utf8 : (charsetDecoder(charset!) ?? utf8);
  return d.decode(bytes).toLowerCase().includes(n.lower);
}

/** the body of a leaf part with its Content-Transfer-Encoding undone (RFC 2045 §6) */
export function partContent(buf: Uint8Array, p: MimePart): Uint8Array {
  const raw = buf.subarray(p.bodyStart, p.end);
  switch (transferEncoding(buf, p)) {
    case "quoted-printable":
      return decodeQuotedPrintable(raw);
    case "base64":
      return decodeBase64(raw);
    default:
      return raw; // 7bit, 8bit, binary (RFC 2045 §6.2) or unknown: as it is
  }
}

/** the part's Content-Transfer-Encoding, lower-case ("" when absent); read from the
 *  bytes without building the unfolded value (this runs for every text part searched) */
function transferEncoding(buf: Uint8Array, p: MimePart): string {
  const f = p.fields.find((x) => x.name === "CONTENT-TRANSFER-ENCODING");
  if (!f) return "";
  let s = f.valueStart;
  let e = f.end;
  while (s < e && buf[s]! <= 0x20) s++;
  while (e > s && buf[e - 1]! <= 0x20) e--;
  if (e - s > 32) return getField(buf, [f], f.name)!.toLowerCase(); // unusual: a comment or folding
  let out = "";
  for (let i = s; i < e; i++) out += String.fromCharCode(buf[i]! | (buf[i]! >= 0x41 && buf[i]! <= 0x5a ? 0x20 : 0));
  return out;
}

/** the part's charset parameter, when it has one */
export function partCharset(p: MimePart): string | undefined {
  for (const [k, v] of p.params) if (k === "CHARSET") return v;
  return undefined;
}

/** does the decoded body text of the message (or part) contain the needle? */
export function bodyTextHas(buf: Uint8Array, p: MimePart, n: Needle): boolean {
  switch (p.type) {
    case "multipart":
      return p.children.some((c) => bodyTextHas(buf, c, n));
    case "message":
      // message/rfc822: the encapsulated message's body; other message/* are text-like
      return p.message ? bodyTextHas(buf, p.message, n) : textHas(partContent(buf, p), partCharset(p), n);
    case "text":
      return textHas(partContent(buf, p), partCharset(p), n);
    default:
      return false; // image/*, audio/*, application/*...: not text (Dovecot: only with FTS)
  }
}
