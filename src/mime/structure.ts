// The MIME tree of a message with byte offsets (RFC 2045, RFC 2046): each part knows
// where its header and body are, so IMAP BODY[section] is a slice, never a re-encode.
// Bounded: at most MAX_DEPTH levels and MAX_PARTS parts; beyond, parts are opaque.

import { findBodyStart, getField, type HeaderField, parseFields, parseParams } from "./header.ts";

const LF = 10;
const CR = 13;
const MAX_DEPTH = 24;
const MAX_PARTS = 2000;

export interface MimePart {
  /** header starts here (the part's MIME header; for the top level, the message header) */
  start: number;
  /** body starts here (after the blank line) */
  bodyStart: number;
  /** end of the part (exclusive) */
  end: number;
  fields: HeaderField[];
  /** lower-case */
  type: string;
  subtype: string;
  params: [string, string][];
  /** multipart children */
  children: MimePart[];
  /** the encapsulated message of a message/rfc822 part */
  message?: MimePart;
}

export function parseMime(buf: Uint8Array): MimePart {
  const budget = { parts: 0 };
  return parsePart(buf, 0, buf.length, "text/plain", 0, budget);
}

function parsePart(buf: Uint8Array, start: number, end: number, defType: string, depth: number, budget: { parts: number }): MimePart {
  budget.parts++;
  const bodyStart = findBodyStart(buf, start, end);
  const fields = parseFields(buf, start, bodyStart);
  const ctRaw = getField(buf, fields, "CONTENT-TYPE");
  let ct = ctRaw ? parseParams(ctRaw) : undefined;
  if (!ct || !/^[^/\s]+\/[^/\s]+$/.test(ct.value)) {
    ct = { value: defType, params: defType === "text/plain" ? [["CHARSET", "us-ascii"]] : [] }; // RFC 2045 §5.2
  }
  const slash = ct.value.indexOf("/");
  const part: MimePart = {
    start, bodyStart, end, fields,
    type: ct.value.slice(0, slash), subtype: ct.value.slice(slash + 1), params: ct.params, children: [],
  };
  if (depth >= MAX_DEPTH || budget.parts >= MAX_PARTS) return part;
  if (part.type === "multipart") {
    const boundary = part.params.find(([k]) => k === "BOUNDARY")?.[1];
    if (boundary) {
      const childType = part.subtype === "digest" ? "message/rfc822" : "text/plain"; // RFC 2046 §5.1.5
      for (const [s, e] of splitMultipart(buf, bodyStart, end, boundary)) {
        part.children.push(parsePart(buf, s, e, childType, depth + 1, budget));
      }
    }
  } else if (part.type === "message" && (part.subtype === "rfc822" || part.subtype === "global")) {
    part.message = parsePart(buf, bodyStart, end, "text/plain", depth + 1, budget);
  }
  return part;
}

/**
 * Byte ranges of the body parts between "--boundary" lines (RFC 2046 §5.1.1):
 * a delimiter starts a line; the CRLF before it belongs to the delimiter.
 */
export function splitMultipart(buf: Uint8Array, start: number, end: number, boundary: string): [number, number][] {
  const delim = new TextEncoder().encode("--" + boundary);
  const out: [number, number][] = [];
  let partStart = -1;
  let i = start;
  while (i < end) {
    const at = indexOfBytes(buf, delim, i, end);
    if (at < 0) break;
    const lineStart = at === start || buf[at - 1] === LF;
    if (!lineStart) {
      i = at + 1;
      continue;
    }
    let after = at + delim.length;
    const close = buf[after] === 0x2d && buf[after + 1] === 0x2d;
    // the rest of the delimiter line is transport padding (RFC 2046 §5.1.1)
    const lf = buf.indexOf(LF, after);
    if (!close && lf >= 0 && lf < end) {
      const pad = buf.subarray(after, lf);
      if (!isPadding(pad)) {
        i = at + 1; // "--boundaryX": a longer string, not our delimiter
        continue;
      }
    }
    if (partStart >= 0) out.push([partStart, lineEndBefore(buf, at, partStart)]);
    if (close) return out;
    after = lf < 0 || lf >= end ? end : lf + 1;
    partStart = after;
    i = after;
  }
  if (partStart >= 0 && partStart < end) out.push([partStart, end]); // no close delimiter
  return out;
}

function isPadding(b: Uint8Array): boolean {
  for (const c of b) if (c !== 0x20 && c !== 0x09 && c !== CR) return false;
  return true;
}

/** the part ends before the CRLF (or LF) that precedes the delimiter */
function lineEndBefore(buf: Uint8Array, at: number, min: number): number {
  let e = at;
  if (e > min && buf[e - 1] === LF) e--;
  if (e > min && buf[e - 1] === CR) e--;
  return e;
}

export function indexOfBytes(buf: Uint8Array, needle: Uint8Array, from: number, to: number): number {
  const first = needle[0]!;
  const last = to - needle.length;
  let i = from;
  while (i <= last) {
    i = buf.indexOf(first, i);
    if (i < 0 || i > last) return -1;
    let j = 1;
    while (j < needle.length && buf[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
    i++;
  }
  return -1;
}

/** the part numbered `path` (RFC 3501 §6.4.5 part numbering), or undefined */
export function findPart(root: MimePart, path: number[]): MimePart | undefined {
  let p: MimePart = root;
  for (const n of path) {
    const container = p.type === "message" && p.message ? p.message : p;
    if (container.type === "multipart") {
      const c = container.children[n - 1];
      if (!c) return undefined;
      p = c;
    } else {
      // a non-multipart message or part has exactly one part, numbered 1
      if (n !== 1) return undefined;
      p = container === p ? p : container;
    }
  }
  return p;
}
