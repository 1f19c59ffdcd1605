// FETCH data items (RFC 3501 §6.4.5) and body sections (§9 section-spec).

import { type Reader } from "./reader.ts";

export type SectionText =
  | { kind: "all" } // BODY[] or BODY[1.2]
  | { kind: "header" }
  | { kind: "fields"; not: boolean; fields: string[] }
  | { kind: "text" }
  | { kind: "mime" };

export interface Section {
  /** part numbers, e.g. [1, 2] for "1.2"; [] for the whole message */
  part: number[];
  text: SectionText;
}

export type FetchItem =
  | { kind: "flags" }
  | { kind: "uid" }
  | { kind: "internaldate" }
  | { kind: "size" }
  | { kind: "envelope" }
  | { kind: "bodystructure"; extended: boolean } // BODYSTRUCTURE / BODY
  | { kind: "modseq" }
  | { kind: "rfc822"; which: "" | "HEADER" | "TEXT" } // RFC822, RFC822.HEADER, RFC822.TEXT
  | { kind: "body"; section: Section; peek: boolean; partial?: { start: number; length: number } };

const MACROS: Record<string, FetchItem[]> = {
  ALL: [{ kind: "flags" }, { kind: "internaldate" }, { kind: "size" }, { kind: "envelope" }],
  FAST: [{ kind: "flags" }, { kind: "internaldate" }, { kind: "size" }],
  FULL: [{ kind: "flags" }, { kind: "internaldate" }, { kind: "size" }, { kind: "envelope" },
    { kind: "bodystructure", extended: false }],
};

/** fetch-att list or a macro (RFC 3501 §6.4.5) */
export function parseFetchItems(r: Reader): FetchItem[] {
  if (r.peek() === 0x28) return r.list(() => fetchItem(r), false);
  const save = r.pos;
  const word = r.word();
  const macro = MACROS[word];
  if (macro) return macro;
  r.pos = save;
  return [fetchItem(r)];
}

function fetchItem(r: Reader): FetchItem {
  const name = r.word();
  switch (name) {
    case "FLAGS":
      return { kind: "flags" };
    case "UID":
      return { kind: "uid" };
    case "INTERNALDATE":
      return { kind: "internaldate" };
    case "RFC822.SIZE":
      return { kind: "size" };
    case "ENVELOPE":
      return { kind: "envelope" };
    case "BODYSTRUCTURE":
      return { kind: "bodystructure", extended: true };
    case "MODSEQ":
      return { kind: "modseq" }; // RFC 7162 §3.1.4
    case "RFC822":
      return { kind: "rfc822", which: "" };
    case "RFC822.HEADER":
      return { kind: "rfc822", which: "HEADER" };
    case "RFC822.TEXT":
      return { kind: "rfc822", which: "TEXT" };
    case "BODY":
    case "BODY.PEEK": {
      if (r.peek() !== 0x5b) {
        if (name === "BODY.PEEK") r.fail("[ after BODY.PEEK");
        return { kind: "bodystructure", extended: false };
      }
      const section = parseSection(r);
      const partial = parsePartial(r);
      return { kind: "body", section, peek: name === "BODY.PEEK", ...(partial ? { partial } : {}) };
    }
    default:
      return r.fail(`a FETCH item, not "${name}"`);
  }
}

/** "[" section-spec "]" */
export function parseSection(r: Reader): Section {
  r.expect(0x5b, "[");
  const part: number[] = [];
  let text: SectionText = { kind: "all" };
  if (r.take(0x5d)) return { part, text };
  while (r.peek() >= 0x30 && r.peek() <= 0x39) {
    part.push(r.number(true));
    if (!r.take(0x2e)) break; // "."
  }
  if (r.peek() !== 0x5d) {
    const word = r.word();
    switch (word) {
      case "HEADER":
        text = { kind: "header" };
        break;
      case "TEXT":
        text = { kind: "text" };
        break;
      case "MIME":
        if (part.length === 0) r.fail("a part number before MIME"); // RFC 3501 §6.4.5
        text = { kind: "mime" };
        break;
      case "HEADER.FIELDS":
      case "HEADER.FIELDS.NOT": {
        r.sp();
        const fields = r.list(() => r.astring().toUpperCase(), false);
        text = { kind: "fields", not: word === "HEADER.FIELDS.NOT", fields };
        break;
      }
      default:
        r.fail(`a section (HEADER, HEADER.FIELDS, TEXT, MIME), not "${word}"`);
    }
  }
  r.expect(0x5d, "]");
  return { part, text };
}

function parsePartial(r: Reader): { start: number; length: number } | undefined {
  if (!r.take(0x3c)) return undefined; // "<"
  const start = r.number();
  r.expect(0x2e, ". in a partial range");
  const length = r.number(true);
  r.expect(0x3e, ">");
  return { start, length };
}

/** the section as echoed in the FETCH response, e.g. "1.2.HEADER.FIELDS (FROM TO)" */
export function sectionName(s: Section): string {
  const p = s.part.join(".");
  const t = s.text;
  let tail: string;
  switch (t.kind) {
    case "all":
      tail = "";
      break;
    case "header":
      tail = "HEADER";
      break;
    case "text":
      tail = "TEXT";
      break;
    case "mime":
      tail = "MIME";
      break;
    case "fields":
      tail = `HEADER.FIELDS${t.not ? ".NOT" : ""} (${t.fields.join(" ")})`;
      break;
    default: {
      const never: never = t;
      throw new Error(`bad section ${String(never)}`);
    }
  }
  return p && tail ? `${p}.${tail}` : p || tail;
}
