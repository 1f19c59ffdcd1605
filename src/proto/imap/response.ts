// Response formatting (RFC 3501 §7, §9): strings as quoted or literal, NIL, lists,
// date-time. Output is built as pieces (strings and raw byte literals) so message
// bytes are never converted to strings.

import { concatBytes } from "../../core/bytes.ts";

const enc = new TextEncoder();

/** One response being built: text pieces and raw byte pieces, in order. */
export class Out {
  readonly pieces: (string | Uint8Array)[] = [];
  text(s: string): this {
    const p = this.pieces;
    const last = p.length - 1;
    if (last >= 0 && typeof p[last] === "string") p[last] += s; // one string per run of text
    else p.push(s);
    return this;
  }
  /** bytes that are response text already (e.g. a cached ENVELOPE) */
  raw(bytes: Uint8Array): this {
    this.pieces.push(bytes);
    return this;
  }
  /** a literal: {n}CRLF followed by the bytes (RFC 3501 §4.3) */
  literal(bytes: Uint8Array): this {
    this.text(`{${bytes.length}}\r\n`);
    this.pieces.push(bytes);
    return this;
  }
  /** add another response's pieces (text runs stay joined) */
  append(o: Out): this {
    for (const p of o.pieces) {
      if (typeof p === "string") this.text(p);
      else this.pieces.push(p);
    }
    return this;
  }
  get empty(): boolean {
    return this.pieces.length === 0;
  }
  /** the bytes: each text run encoded once, byte pieces as they are (no copy for a lone one) */
  toBytes(): Uint8Array {
    const p = this.pieces;
    if (p.length === 1) return typeof p[0] === "string" ? enc.encode(p[0]) : p[0]!;
    return concatBytes(p.map((x) => (typeof x === "string" ? enc.encode(x) : x)));
  }
}

/** a quoted string when it can be one, else a literal (RFC 3501 §4.3, §9 quoted) */
export function str(s: string): string {
  if (s.length < 1024 && /^[\x20-\x7e]*$/.test(s)) {
    return '"' + s.replace(/[\\"]/g, (c) => "\\" + c) + '"';
  }
  const b = enc.encode(s);
  return `{${b.length}}\r\n${s}`;
}

/** nstring: a string or NIL */
export function nstr(s: string | null | undefined): string {
  return s === null || s === undefined ? "NIL" : str(s);
}

/** astring: an atom when safe, else a string (mailbox names) */
export function astr(s: string): string {
  if (s.length > 0 && /^[!#$&'+,\-./0-9:;<=>?@A-Z^_`a-z|~\[\]]+$/.test(s) && s.toUpperCase() !== "NIL") return s;
  return str(s);
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const p2 = (n: number) => String(n).padStart(2, "0");

/** date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE (in UTC) */
export function dateTime(ms: number): string {
  const d = new Date(ms);
  const day = String(d.getUTCDate()).padStart(2, " ");
  return `"${day}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${
    p2(d.getUTCSeconds())
  } +0000"`;
}

/** a parenthesised list of flags */
export function flagList(flags: readonly string[]): string {
  return `(${flags.join(" ")})`;
}
