// Modified UTF-7 for IMAP mailbox names (RFC 3501 §5.1.3). Printable US-ASCII stands
// for itself ("&" is written "&-"); every other run of characters is "&", its UTF-16BE
// code units in modified BASE64 ("," instead of "/", no "=" padding), then "-".
// Pure string functions: no I/O.

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
const B64_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_VALUE[B64.charCodeAt(i)] = i;

const AMP = 0x26;
const DASH = 0x2d;

export type Mutf7Result = { ok: true; value: string } | { ok: false; error: string };

/** RFC 3501 §5.1.3: printable US-ASCII (0x20-0x7e) represents itself */
const printable = (c: number) => c >= 0x20 && c <= 0x7e;

/** a Unicode string → modified UTF-7 */
export function encodeMutf7(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === AMP) {
      out += "&-"; // RFC 3501 §5.1.3: "&" is represented as "&-"
      i++;
    } else if (printable(c)) {
      out += text[i];
      i++;
    } else {
      let j = i;
      while (j < text.length && !printable(text.charCodeAt(j))) j++;
      out += "&" + base64Units(text, i, j) + "-";
      i = j;
    }
  }
  return out;
}

/** UTF-16 code units text[from..to) as modified BASE64 without padding */
function base64Units(text: string, from: number, to: number): string {
  let out = "";
  let bits = 0;
  let nbits = 0;
  for (let i = from; i < to; i++) {
    bits = (bits << 16) | text.charCodeAt(i);
    nbits += 16;
    while (nbits >= 6) {
      nbits -= 6;
      out += B64[(bits >>> nbits) & 0x3f];
    }
    bits &= (1 << nbits) - 1;
  }
  if (nbits > 0) out += B64[(bits << (6 - nbits)) & 0x3f]; // zero-filled last digit
  return out;
}

/** modified UTF-7 → the Unicode string, or why the input is not valid modified UTF-7 */
export function decodeMutf7(name: string): Mutf7Result {
  let out = "";
  let i = 0;
  let afterShift = false; // just closed an encoded run
  while (i < name.length) {
    const c = name.charCodeAt(i);
    if (!printable(c)) return fail(`8-bit or control character at offset ${i} (non-ASCII must be encoded)`);
    if (c !== AMP) {
      out += name[i];
      i++;
      afterShift = false;
      continue;
    }
    const end = name.indexOf("-", i + 1);
    if (end < 0) return fail(`unterminated "&" shift at offset ${i}`);
    if (end === i + 1) {
      out += "&";
      i = end + 1;
      afterShift = false;
      continue;
    }
    // RFC 3501 §5.1.3: null shifts ("-&" while in BASE64) are not permitted
    if (afterShift) return fail(`two encoded runs back to back at offset ${i} (they must be one run)`);
    const run = decodeRun(name, i + 1, end);
    if (!run.ok) return run;
    out += run.value;
    i = end + 1;
    afterShift = true;
  }
  return { ok: true, value: out };
}

/** is `name` valid modified UTF-7? undefined when it is, else the reason */
export function mutf7Error(name: string): string | undefined {
  const r = decodeMutf7(name);
  return r.ok ? undefined : r.error;
}

const fail = (error: string): Mutf7Result => ({ ok: false, error });

/** the BASE64 digits name[from..to) → UTF-16 text, with every rule of RFC 3501 §5.1.3 checked */
function decodeRun(name: string, from: number, to: number): Mutf7Result {
  const units: number[] = [];
  let bits = 0;
  let nbits = 0;
  for (let i = from; i < to; i++) {
    const c = name.charCodeAt(i);
    const v = c < 128 ? B64_VALUE[c]! : -1;
    if (v < 0) return fail(`${JSON.stringify(name[i])} at offset ${i} is not a modified BASE64 digit`);
    bits = (bits << 6) | v;
    nbits += 6;
    if (nbits >= 16) {
      nbits -= 16;
      units.push((bits >>> nbits) & 0xffff);
      bits &= (1 << nbits) - 1;
    }
  }
  // what is left must be the zero fill of the last digit, shorter than one digit
  if (nbits >= 6 || bits !== 0) return fail(`encoded run at offset ${from - 1} does not end on a whole UTF-16 character`);
  return utf16Text(units, from - 1);
}

function utf16Text(units: number[], at: number): Mutf7Result {
  let out = "";
  for (let k = 0; k < units.length; k++) {
    const u = units[k]!;
    if (u >= 0xd800 && u <= 0xdbff) {
      const lo = units[k + 1];
      if (lo === undefined || lo < 0xdc00 || lo > 0xdfff) return fail(`unpaired UTF-16 surrogate in the encoded run at offset ${at}`);
      out += String.fromCharCode(u, lo);
      k++;
      continue;
    }
    if (u >= 0xdc00 && u <= 0xdfff) return fail(`unpaired UTF-16 surrogate in the encoded run at offset ${at}`);
    if (u === 0) return fail(`encoded NUL in the run at offset ${at}`);
    // RFC 3501 §5.1.3: modified BASE64 MUST NOT represent a printing US-ASCII character
    if (printable(u)) return fail(`encoded run at offset ${at} contains ${JSON.stringify(String.fromCharCode(u))}, which must be written as itself`);
    out += String.fromCharCode(u);
  }
  return { ok: true, value: out };
}
