// Content-Transfer-Encoding decoders (RFC 2045 §6.7 quoted-printable, §6.8 base64) and
// charset decoders by MIME name. Pure functions over byte ranges: a bad input never
// throws, it decodes as much as it can (a stray "=" stays literal, non-alphabet base64
// characters are skipped).

const CR = 13;
const LF = 10;
const EQ = 0x3d;

/** hex digit value, -1 when not a hex digit (either case: RFC 2045 §6.7 (1) asks for
 *  upper case, but a robust decoder accepts lower case too) */
function hex(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return -1;
}

const isWsp = (b: number) => b === 0x20 || b === 0x09;

/** quoted-printable bytes of [start, end) decoded (RFC 2045 §6.7) */
export function decodeQuotedPrintable(buf: Uint8Array, start = 0, end = buf.length): Uint8Array {
  const out = new Uint8Array(end - start);
  let o = 0;
  let i = start;
  while (i < end) {
    const b = buf[i]!;
    if (b === EQ) {
      const h = i + 2 < end ? hex(buf[i + 1]!) : -1;
      const l = h >= 0 ? hex(buf[i + 2]!) : -1;
      if (l >= 0) {
        out[o++] = (h << 4) | l; // RFC 2045 §6.7 (1) general 8bit representation
        i += 3;
        continue;
      }
      let j = i + 1;
      while (j < end && isWsp(buf[j]!)) j++; // RFC 2045 §6.7 (3): padding before a soft break
      if (j < end && buf[j] === CR && buf[j + 1] === LF) {
        i = j + 2; // RFC 2045 §6.7 (5): soft line break
        continue;
      }
      if (j < end && buf[j] === LF) {
        i = j + 1; // a soft break with a bare LF (mail stored with LF line ends)
        continue;
      }
      if (j === end) break; // "=" at the very end: a soft break with no line after it
      out[o++] = b; // not an escape: keep the "=" literally
      i++;
      continue;
    }
    if (isWsp(b)) {
      let j = i + 1;
      while (j < end && isWsp(buf[j]!)) j++;
      if (j < end && buf[j] !== CR && buf[j] !== LF) {
        while (i < j) out[o++] = buf[i++]!; // the whole run at once: no rescans
        continue;
      }
      i = j; // RFC 2045 §6.7 (3): trailing whitespace on a line is transport padding
      continue;
    }
    out[o++] = b;
    i++;
  }
  return out.subarray(0, o);
}

const B64 = new Int16Array(256).fill(-1);
{
  const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (let i = 0; i < 64; i++) B64[abc.charCodeAt(i)] = i;
  B64[0x2d] = 62; // "-" and "_" (base64url, RFC 4648 §5): tolerated
  B64[0x5f] = 63;
}

/** base64 bytes of [start, end) decoded; line breaks and other characters outside the
 *  alphabet are ignored (RFC 2045 §6.8), decoding stops at the first "=" pad */
export function decodeBase64(buf: Uint8Array, start = 0, end = buf.length): Uint8Array {
  const out = new Uint8Array(Math.ceil(((end - start) * 3) / 4));
  let o = 0;
  let acc = 0;
  let n = 0;
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    if (b === EQ) break;
    const v = B64[b]!;
    if (v < 0) continue;
    acc = (acc << 6) | v;
    if (++n === 4) {
      out[o++] = (acc >> 16) & 0xff;
      out[o++] = (acc >> 8) & 0xff;
      out[o++] = acc & 0xff;
      acc = 0;
      n = 0;
    }
  }
  if (n === 2) out[o++] = (acc >> 4) & 0xff;
  else if (n === 3) {
    out[o++] = (acc >> 10) & 0xff;
    out[o++] = (acc >> 2) & 0xff;
  }
  return out.subarray(0, o);
}

/** a base64 string (RFC 2047 "B" encoding) decoded to bytes */
export function decodeBase64Text(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return decodeBase64(b);
}

const decoders = new Map<string, TextDecoder | null>();

/**
 * A decoder for a MIME charset name (RFC 2978), or undefined when TextDecoder (the
 * WHATWG Encoding Standard) does not know it. Labels like "us-ascii" and "iso-8859-1"
 * map to windows-1252, a superset. Encodings that decode everything to U+FFFD
 * ("replacement": iso-2022-kr, hz-gb-2312) count as unknown.
 */
export function charsetDecoder(name: string): TextDecoder | undefined {
  const key = name.trim().toLowerCase();
  let d = decoders.get(key);
  if (d === undefined) {
    d = null;
    try {
      const td = new TextDecoder(key === "utf8" ? "utf-8" : key);
      if (td.encoding !== "replacement") d = td;
    } catch {
      // RangeError: unknown label
    }
    if (decoders.size < 256) decoders.set(key, d); // labels come from mail: bound the memo
  }
  return d ?? undefined;
}

/** UTF-8 or US-ASCII (or no charset): text whose ASCII bytes can be matched as they are */
export function isUtf8Compatible(charset: string | undefined): boolean {
  if (charset === undefined || charset === "") return true;
  const c = charset.toLowerCase();
  return c === "utf-8" || c === "us-ascii" || c === "utf8" || c === "ascii";
}
