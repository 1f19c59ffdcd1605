// One pass over a text part that tells which transfer encoding it needs, with the
// same answers as nodemailer's isPlainText(), hasLongerLines() and Q-or-B choice.
// Counts add up, so a text scanned line by line gives the whole text's answer.

export interface TextScan {
  /** control characters (but TAB, CR, LF) and characters above 0x7f: none = nodemailer's isPlainText */
  nonLatin: number;
  /** A-Z, a-z: more of them than nonLatin = quoted-printable, else base64 */
  latin: number;
  /** a line longer than `limit` characters */
  longLines: boolean;
}

export const isPlain = (s: TextScan) => s.nonLatin === 0;
export const prefersQ = (s: TextScan) => s.nonLatin < s.latin;

export function addScans(a: TextScan, b: TextScan): TextScan {
  return { nonLatin: a.nonLatin + b.nonLatin, latin: a.latin + b.latin, longLines: a.longLines || b.longLines };
}

/** What the transfer-encoding choice needs, in one pass. */
export function scanText(s: string, limit: number): TextScan {
  let longLines = false;
  let nonLatin = 0;
  let latin = 0;
  let lineStart = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x0a) {
      // the line's length without its line break (nodemailer: /^.{limit+1,}/m, "." excludes CR and LF)
      if (i - lineStart - (i > 0 && s.charCodeAt(i - 1) === 0x0d ? 1 : 0) > limit) longLines = true;
      lineStart = i + 1;
    } else if (c >= 0x80 || c <= 0x08 || c === 0x0b || c === 0x0c || (c >= 0x0e && c <= 0x1f)) {
      nonLatin++;
    } else if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) latin++;
  }
  if (s.length - lineStart > limit || s.length > 128 * 1024) longLines = true; // nodemailer does not scan beyond 128 KiB
  return { nonLatin, latin, longLines };
}
