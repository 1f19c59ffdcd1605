// BODY[section] contents (RFC 3501 §6.4.5): slices of the message bytes.

import type { Section } from "../proto/imap/fetch-items.ts";
import { type HeaderField } from "./header.ts";
import { findPart, type MimePart } from "./structure.ts";

const EMPTY = new Uint8Array(0);
const CRLF = new Uint8Array([13, 10]);

/** the bytes of a section; undefined when the part does not exist (answered as empty) */
export function sectionBytes(buf: Uint8Array, root: MimePart, s: Section): Uint8Array {
  if (s.part.length === 0 && s.text.kind === "all") return buf;
  const p = s.part.length === 0 ? root : findPart(root, s.part);
  if (!p) return EMPTY;
  // HEADER/TEXT/fields of a numbered part address its encapsulated message (RFC 3501 §6.4.5)
  const msg = s.part.length === 0 ? root : p.message;
  const t = s.text;
  switch (t.kind) {
    case "all":
      return buf.subarray(p.bodyStart, p.end);
    case "mime":
      return buf.subarray(p.start, p.bodyStart);
    case "header":
      return msg ? buf.subarray(msg.start, msg.bodyStart) : EMPTY;
    case "text":
      return msg ? buf.subarray(msg.bodyStart, msg.end) : EMPTY;
    case "fields":
      return msg ? filterFields(buf, msg.fields, t.fields, t.not) : EMPTY;
    default: {
      const never: never = t;
      throw new Error(`bad section ${String(never)}`);
    }
  }
}

/** the chosen header fields (raw bytes) followed by the blank line */
export function filterFields(buf: Uint8Array, fields: HeaderField[], names: string[], not: boolean): Uint8Array {
  const want = new Set(names.map((n) => n.toUpperCase()));
  const picked = fields.filter((f) => want.has(f.name) !== not);
  let n = 2;
  for (const f of picked) n += f.end - f.start + (endsWithLf(buf, f.end) ? 0 : 2);
  const out = new Uint8Array(n);
  let o = 0;
  for (const f of picked) {
    out.set(buf.subarray(f.start, f.end), o);
    o += f.end - f.start;
    if (!endsWithLf(buf, f.end)) {
      out.set(CRLF, o);
      o += 2;
    }
  }
  out.set(CRLF, o);
  return out;
}

function endsWithLf(buf: Uint8Array, end: number): boolean {
  return end > 0 && buf[end - 1] === 10;
}
