// Header blocks (RFC 5322 §2.2): fields with their byte offsets, unfolded values,
// and Content-Type style parameters (RFC 2045 §5.1). Works on bytes; values are
// decoded as UTF-8 only when asked for.

const LF = 10;
const CR = 13;
const dec = new TextDecoder("utf-8");

export interface HeaderField {
  /** upper-case field name */
  name: string;
  /** byte offsets of the whole field, including its line end(s) */
  start: number;
  end: number;
  /** offset just after the colon */
  valueStart: number;
}

/** offset where the body starts (after the blank line); `end` if there is none */
export function findBodyStart(buf: Uint8Array, start: number, end: number): number {
  if (buf[start] === LF) return start + 1;
  if (buf[start] === CR && buf[start + 1] === LF) return start + 2;
  let i = start;
  for (;;) {
    const lf = buf.indexOf(LF, i);
    if (lf < 0 || lf >= end) return end;
    const n = buf[lf + 1];
    if (n === LF) return lf + 2;
    if (n === CR && buf[lf + 2] === LF) return lf + 3;
    i = lf + 1;
  }
}

/** split [start, end) into header fields (continuation lines belong to the field before) */
export function parseFields(buf: Uint8Array, start: number, end: number): HeaderField[] {
  const out: HeaderField[] = [];
  let i = start;
  while (i < end) {
    const b = buf[i]!;
    if (b === CR || b === LF) break; // the blank line
    let e = i;
    for (;;) {
      const lf = buf.indexOf(LF, e);
      e = lf < 0 || lf >= end ? end : lf + 1;
      if (e >= end) break;
      const n = buf[e];
      if (n !== 0x20 && n !== 0x09) break; // RFC 5322 §2.2.3: folded lines start with WSP
    }
    const colon = buf.indexOf(0x3a, i);
    if (colon > i && colon < e) {
      let nameEnd = colon;
      while (nameEnd > i && (buf[nameEnd - 1] === 0x20 || buf[nameEnd - 1] === 0x09)) nameEnd--;
      out.push({ name: latin1(buf, i, nameEnd).toUpperCase(), start: i, end: e, valueStart: colon + 1 });
    }
    i = e;
  }
  return out;
}

function latin1(buf: Uint8Array, s: number, e: number): string {
  let out = "";
  for (let i = s; i < e; i++) out += String.fromCharCode(buf[i]!);
  return out;
}

/** the unfolded, trimmed value of a field */
export function fieldValue(buf: Uint8Array, f: HeaderField): string {
  return dec.decode(buf.subarray(f.valueStart, f.end)).replace(/\r?\n(?=[ \t])/g, "").replace(/\r?\n$/, "").trim();
}

/** the first field named `name` (upper case), unfolded */
export function getField(buf: Uint8Array, fields: HeaderField[], name: string): string | undefined {
  const f = fields.find((x) => x.name === name);
  return f ? fieldValue(buf, f) : undefined;
}

/** remove RFC 5322 comments "(...)" (nested) outside quoted strings */
export function stripComments(s: string): string {
  let out = "";
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\" && i + 1 < s.length) {
      if (depth === 0) out += c + s[i + 1];
      i++;
    } else if (quoted) {
      out += c;
      if (c === '"') quoted = false;
    } else if (c === '"' && depth === 0) {
      quoted = true;
      out += c;
    } else if (c === "(") depth++;
    else if (c === ")" && depth > 0) depth--;
    else if (depth === 0) out += c;
  }
  return out;
}

export interface ParamValue {
  /** lower-case "type/subtype" or the disposition token */
  value: string;
  /** parameter names upper-case, in order */
  params: [string, string][];
}

/** `value; a=b; c="d e"` (RFC 2045 §5.1, RFC 2183 §2) */
export function parseParams(raw: string): ParamValue {
  const s = stripComments(raw);
  const semi = s.indexOf(";");
  const value = (semi < 0 ? s : s.slice(0, semi)).trim().toLowerCase();
  const params: [string, string][] = [];
  const re = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;]*))/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    const v = m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3] ?? "";
    params.push([m[1]!.toUpperCase(), v]);
  }
  return { value, params };
}
