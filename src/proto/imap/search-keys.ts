// SEARCH keys (RFC 3501 §6.4.4) and CONDSTORE's MODSEQ key (RFC 7162 §3.1.5).

import { type Reader } from "./reader.ts";
import { parseSeqSet, type SeqSet } from "./seqset.ts";

export type SearchKey =
  | { kind: "all" }
  | { kind: "flag"; flag: string; set: boolean } // SEEN / UNSEEN / KEYWORD x / UNKEYWORD x ...
  | { kind: "new" } // RECENT and UNSEEN
  | { kind: "old" }
  | { kind: "recent" }
  | { kind: "header"; field: string; value: string } // FROM, TO, CC, BCC, SUBJECT, HEADER
  | { kind: "body"; value: string }
  | { kind: "text"; value: string }
  | { kind: "date"; op: "before" | "on" | "since"; sent: boolean; day: number } // day: ms at 00:00 UTC
  | { kind: "size"; op: "larger" | "smaller"; n: number }
  | { kind: "seq"; set: SeqSet }
  | { kind: "uid"; set: SeqSet }
  | { kind: "modseq"; n: number }
  | { kind: "not"; key: SearchKey }
  | { kind: "or"; a: SearchKey; b: SearchKey }
  | { kind: "and"; keys: SearchKey[] }
  | { kind: "badcharset"; charset: string }; // a CHARSET we cannot decode: NO [BADCHARSET] (RFC 3501 §6.4.4)

const FLAG_KEYS: Record<string, [string, boolean]> = {
  ANSWERED: ["\\Answered", true],
  DELETED: ["\\Deleted", true],
  DRAFT: ["\\Draft", true],
  FLAGGED: ["\\Flagged", true],
  SEEN: ["\\Seen", true],
  UNANSWERED: ["\\Answered", false],
  UNDELETED: ["\\Deleted", false],
  UNDRAFT: ["\\Draft", false],
  UNFLAGGED: ["\\Flagged", false],
  UNSEEN: ["\\Seen", false],
};

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

const utf8 = new TextDecoder("utf-8");

/** a decoder for a CHARSET name TextDecoder knows (UTF-8, US-ASCII, ISO-8859-x, ...) */
export function searchCharset(name: string): TextDecoder | undefined {
  try {
    const d = new TextDecoder(name.trim().toLowerCase());
    return d.encoding === "replacement" ? undefined : d; // e.g. ISO-2022-KR: decodes to U+FFFD only
  } catch {
    return undefined; // RangeError: not a known label
  }
}

/**
 * The arguments of SEARCH: ["CHARSET" SP astring SP] search-key *(SP search-key)
 * (RFC 3501 §6.4.4). The search strings are decoded with the charset; a charset
 * TextDecoder does not know gives a "badcharset" key (the rest is not parsed).
 */
export function parseSearchProgram(r: Reader): SearchKey {
  const save = r.pos;
  if (r.peek() < 0x41 || r.word() !== "CHARSET") {
    r.pos = save;
    return parseSearchKeys(r);
  }
  r.sp();
  const charset = r.astring();
  r.sp();
  if (r.atEnd) r.fail("a search key");
  const d = searchCharset(charset);
  if (!d) {
    r.pos = r.buf.length;
    return { kind: "badcharset", charset };
  }
  return parseSearchKeys(r, d);
}

/** astring decoded with the search's charset (atoms too: 8-bit atom bytes are text) */
function text(r: Reader, d: TextDecoder): string {
  const c = r.peek();
  if (c === 0x22 || c === 0x7b) return d.decode(r.stringBytes());
  const start = r.pos;
  r.atom("]");
  return d.decode(r.buf.subarray(start, r.pos));
}

/** search-key *(SP search-key), all of which must match */
export function parseSearchKeys(r: Reader, d: TextDecoder = utf8): SearchKey {
  const keys: SearchKey[] = [searchKey(r, d)];
  while (!r.atEnd && r.peek() !== 0x29) {
    r.sp();
    keys.push(searchKey(r, d));
  }
  return keys.length === 1 ? keys[0]! : { kind: "and", keys };
}

function searchKey(r: Reader, d: TextDecoder): SearchKey {
  const c = r.peek();
  if (c === 0x28) {
    r.pos++;
    const k = parseSearchKeys(r, d);
    r.expect(0x29, ")");
    return k;
  }
  if ((c >= 0x30 && c <= 0x39) || c === 0x2a || c === 0x24) return { kind: "seq", set: parseSeqSet(r.seqSetText()) };
  const name = r.word();
  const flag = FLAG_KEYS[name];
  if (flag) return { kind: "flag", flag: flag[0], set: flag[1] };
  switch (name) {
    case "ALL":
      return { kind: "all" };
    case "NEW":
      return { kind: "new" };
    case "OLD":
      return { kind: "old" };
    case "RECENT":
      return { kind: "recent" };
    case "KEYWORD":
    case "UNKEYWORD":
      r.sp();
      return { kind: "flag", flag: r.atom(), set: name === "KEYWORD" };
    case "FROM":
    case "TO":
    case "CC":
    case "BCC":
    case "SUBJECT":
      r.sp();
      return { kind: "header", field: name, value: text(r, d) };
    case "HEADER": {
      r.sp();
      const field = r.astring().toUpperCase();
      r.sp();
      return { kind: "header", field, value: text(r, d) };
    }
    case "BODY":
    case "TEXT":
      r.sp();
      return { kind: name === "BODY" ? "body" : "text", value: text(r, d) };
    case "BEFORE":
    case "ON":
    case "SINCE":
    case "SENTBEFORE":
    case "SENTON":
    case "SENTSINCE": {
      r.sp();
      const sent = name.startsWith("SENT");
      const op = (sent ? name.slice(4) : name).toLowerCase() as "before" | "on" | "since";
      return { kind: "date", op, sent, day: parseSearchDate(r) };
    }
    case "LARGER":
    case "SMALLER":
      r.sp();
      return { kind: "size", op: name === "LARGER" ? "larger" : "smaller", n: r.number() };
    case "UID":
      r.sp();
      return { kind: "uid", set: parseSeqSet(r.seqSetText()) };
    case "MODSEQ":
      return modseqKey(r);
    case "NOT":
      r.sp();
      return { kind: "not", key: searchKey(r, d) };
    case "OR": {
      r.sp();
      const a = searchKey(r, d);
      r.sp();
      return { kind: "or", a, b: searchKey(r, d) };
    }
    default:
      return r.fail(`a search key, not "${name}"`);
  }
}

/** RFC 7162 §3.1.5: MODSEQ [entry-name entry-type-req] mod-sequence-valzer */
function modseqKey(r: Reader): SearchKey {
  r.sp();
  if (r.peek() === 0x22) {
    r.string();
    r.sp();
    r.word(); // priv / shared / all
    r.sp();
  }
  return { kind: "modseq", n: r.number() };
}

/** date = date-text / DQUOTE date-text DQUOTE; date-text = d-mon-yyyy (RFC 3501 §9) */
export function parseSearchDate(r: Reader): number {
  const text = r.peek() === 0x22 ? r.string() : r.atom();
  const day = parseDateText(text);
  if (day === undefined) r.fail(`a date like 1-Jan-2024, not "${text}"`);
  return day;
}

export function parseDateText(text: string): number | undefined {
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text);
  if (!m) return undefined;
  const mon = MONTHS.indexOf(m[2]!.toUpperCase());
  if (mon < 0) return undefined;
  return Date.UTC(Number(m[3]), mon, Number(m[1]));
}

/** date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE */
export function parseDateTime(text: string): number | undefined {
  const m = /^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$/.exec(text);
  if (!m) return undefined;
  const mon = MONTHS.indexOf(m[2]!.toUpperCase());
  if (mon < 0) return undefined;
  const utc = Date.UTC(Number(m[3]), mon, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  const off = (Number(m[8]) * 60 + Number(m[9])) * 60_000 * (m[7] === "-" ? -1 : 1);
  return utc - off;
}
