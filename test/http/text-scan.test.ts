// The one-pass text scan against nodemailer's isPlainText(), hasLongerLines() and its
// Q/B choice, on fixed and random text.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { hasLongerLines, isPlainText } from "nodemailer/lib/mime-funcs/index.js";
import { isPlain, prefersQ, scanText } from "../../src/http/text-scan.ts";

const FIXED = [
  "", "plain", "a=b", "trailing space ", "trailing tab\t", "space before break \r\nnext", "tab\t\r\n",
  "Grüße, à bientôt — ça va?", "emoji 😀 and 中文", "lone \ud800 surrogate", "\ud83d", "ctrl \x01\x7f\x1b",
  "=\r\n=", "  \r\n  ", "x".repeat(200), "=?UTF-8?Q?x?=",
];

// a small deterministic generator (no Math.random: failures reproduce)
function* randomTexts(count: number): Generator<string> {
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const alphabet = ["a", "Z", " ", "\t", "\r\n", "=", ".", "é", "ß", "—", "😀", "中", "\x00", "\x7f", "~", "\n"];
  for (let k = 0; k < count; k++) {
    let s = "";
    const len = next() % 300;
    for (let i = 0; i < len; i++) s += alphabet[next() % alphabet.length];
    yield s;
  }
}

function nodemailerPrefersQ(value: string): boolean {
  let nonLatin = 0;
  let latin = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c >= 0 && c <= 8) || c === 0x0b || c === 0x0c || (c >= 0x0e && c <= 0x1f) || c >= 0x80) nonLatin++;
    else if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) latin++;
  }
  return nonLatin < latin;
}

describe("text scan for the transfer encoding", () => {
  it("scans like isPlainText / hasLongerLines / the Q-or-B choice", () => {
    const lines = ["a".repeat(76), "a".repeat(77), `${"b".repeat(76)}\r\n${"c".repeat(10)}`, `x\r\n${"d".repeat(77)}\r\ny`];
    for (const s of [...FIXED, ...lines, ...randomTexts(300)]) {
      const r = scanText(s.replace(/\r\n|\r|\n/g, "\r\n"), 76);
      const t = s.replace(/\r\n|\r|\n/g, "\r\n");
      assert.equal(isPlain(r), isPlainText(t), `plain ${JSON.stringify(s)}`);
      if (isPlain(r)) assert.equal(r.longLines, hasLongerLines(t, 76), `long ${JSON.stringify(s)}`);
      assert.equal(prefersQ(r), nodemailerPrefersQ(t), `Q ${JSON.stringify(s)}`);
    }
  });
});
