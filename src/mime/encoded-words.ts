// RFC 2047 encoded words in header field values: "=?charset?B|Q?text?=" decoded with
// any charset TextDecoder knows. Lenient the way MUAs are: words are found anywhere in
// the value (also inside quoted strings and next to other text), and adjacent words in
// one charset are joined as bytes before decoding, so a multi-byte character split
// across two words (a common encoder bug) still decodes. A word in an unknown charset
// stays as it was written.

import { charsetDecoder, decodeBase64Text } from "./decode.ts";

// RFC 2047 §2: encoded-word = "=?" charset "?" encoding "?" encoded-text "?="
// (charset may carry an RFC 2231 §5 "*language" suffix)
const WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;
const WSP_ONLY = /^[ \t\r\n]*$/;

function hex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** RFC 2047 §4.2 "Q" encoding: "_" is a space, "=XX" a byte, the rest as written */
export function decodeQ(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5f) out[o++] = 0x20; // RFC 2047 §4.2 (2)
    else if (c === 0x3d && i + 2 < text.length && hex(text.charCodeAt(i + 1)) >= 0 && hex(text.charCodeAt(i + 2)) >= 0) {
      out[o++] = (hex(text.charCodeAt(i + 1)) << 4) | hex(text.charCodeAt(i + 2)); // RFC 2047 §4.2 (1)
      i += 2;
    } else out[o++] = c & 0xff;
  }
  return out.subarray(0, o);
}

interface Pending {
  decoder: TextDecoder;
  charset: string;
  chunks: Uint8Array[];
}

function flush(p: Pending | undefined): string {
  if (!p) return "";
  if (p.chunks.length === 1) return p.decoder.decode(p.chunks[0]);
  let n = 0;
  for (const c of p.chunks) n += c.length;
  const all = new Uint8Array(n);
  n = 0;
  for (const c of p.chunks) {
    all.set(c, n);
    n += c.length;
  }
  return p.decoder.decode(all);
}

/** a field value with its encoded words decoded (the value itself when it has none) */
export function decodeEncodedWords(value: string): string {
  if (value.indexOf("=?") < 0) return value; // the common case: no work, no copy
  let out = "";
  let last = 0;
  let pending: Pending | undefined;
  for (const m of value.matchAll(WORD)) {
    const at = m.index!;
    const gap = value.slice(last, at);
    const charset = m[1]!.split("*")[0]!.toLowerCase(); // RFC 2231 §5 language suffix
    const decoder = charsetDecoder(charset);
    last = at + m[0].length;
    if (!decoder) {
      out += flush(pending) + gap + m[0]; // unknown charset: the word as written
      pending = undefined;
      continue;
    }
    const bytes = m[2] === "B" || m[2] === "b" ? decodeBase64Text(m[3]!) : decodeQ(m[3]!);
    // RFC 2047 §6.2: white space between adjacent encoded words is not displayed
    if (pending && WSP_ONLY.test(gap)) {
      if (pending.charset === charset) {
        pending.chunks.push(bytes);
        continue;
      }
      out += flush(pending);
    } else out += flush(pending) + gap;
    pending = { decoder, charset, chunks: [bytes] };
  }
  return out + flush(pending) + value.slice(last);
}
