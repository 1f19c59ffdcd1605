// A text or HTML part template, encoded line by line: the lines without {{variables}}
// are scanned and quoted-printable encoded once per request; per recipient only the
// lines with variables are. The result is byte for byte what encoding the whole
// substituted text gives (MailComposer's output): the transfer-encoding choice adds up
// over lines, quoted-printable is per character but for whitespace before a line
// break, and soft line breaks never cross a hard one (RFC 2045 §6.7 (5)) — each line is
// wrapped together with its CRLF so that nodemailer's wrap() sees what it would see in
// the whole text.

import * as qp from "nodemailer/lib/qp/index.js";
import * as b64 from "nodemailer/lib/base64/index.js";
import { addScans, isPlain, prefersQ, scanText, type TextScan } from "./text-scan.ts";
import { Template, type Vars } from "./variables.ts";

const CRLF = "\r\n";
const LINE = 76; // RFC 2045 §6.7 (5)
const NO_SCAN_BEYOND = 128 * 1024; // nodemailer treats longer texts as having long lines

/** A body in pieces: strings rendered per recipient, bytes encoded once per request. */
export type Piece = string | Uint8Array;

export interface Part {
  head: string;
  body: Piece[];
}

type Run =
  // consecutive lines without variables; their 7bit and QP bytes made on first use
  | { kind: "static"; lines: string[]; scan: TextScan; hasTag: boolean; length: number; last: boolean; raw?: Uint8Array; qp?: Uint8Array }
  | { kind: "var"; tpl: Template; last: boolean };

const enc = new TextEncoder();
/** a line quoted-printable leaves alone: printable ASCII without "=", no space or tab at its end, short */
const QP_PLAIN = /^(?:[\x20-\x3c\x3e-\x7e]*[\x21-\x3c\x3e-\x7e])?$/;

/** the line (with its CRLF unless last) quoted-printable encoded and wrapped, as nodemailer does it */
export const qpLine = (text: string, last: boolean): string =>
  text.length <= LINE - 2 && QP_PLAIN.test(text) ? (last ? text : text + CRLF) : qp.wrap(qp.encode(last ? text : text + CRLF), LINE);

function runsOf(texts: string[], html: boolean, tag: string): Run[] {
  const runs: Run[] = [];
  texts.forEach((text, i) => {
    const tpl = new Template(text, html, true);
    const last = i === texts.length - 1;
    const prev = runs[runs.length - 1];
    if (!tpl.constant) runs.push({ kind: "var", tpl, last });
    else if (prev?.kind === "static") {
      prev.lines.push(text);
      prev.scan = addScans(prev.scan, scanText(text, LINE));
      prev.hasTag ||= text.indexOf(tag) !== -1;
      prev.length += text.length + 2;
      prev.last = last;
    } else runs.push({ kind: "static", lines: [text], scan: scanText(text, LINE), hasTag: text.indexOf(tag) !== -1, length: text.length + 2, last });
  });
  return runs;
}

export class BodyTemplate {
  private readonly runs: Run[] | undefined;
  private readonly whole: Template;
  private readonly constant: Part | undefined;

  /**
   * `source` has CRLF line ends already; `literal`: "{{" is text (a single message);
   * `tag`: the boundary prefix a 7bit body must not contain (RFC 2046 §5.1.1).
   */
  constructor(private readonly type: "text/plain" | "text/html", source: string, html: boolean, literal: boolean, private readonly tag: string) {
    this.whole = new Template(source, html, true, !literal);
    if (this.whole.constant) {
      const p = encodePart(type, source, tag);
      this.constant = { head: p.head, body: p.body.map((x) => (typeof x === "string" ? enc.encode(x) : x)) };
      return;
    }
    const runs = runsOf(source.split(CRLF), html, tag);
    // a variable written across a line break ({{ name }} with a newline inside) → whole text
    const names = runs.reduce((n, r) => n + (r.kind === "var" ? r.tpl.names.length : 0), 0);
    if (names === this.whole.names.length) this.runs = runs;
  }

  render(vars: Vars | undefined): Part {
    if (this.constant) return this.constant;
    const runs = this.runs;
    if (!runs) return encodePart(this.type, this.whole.render(vars), this.tag);
    const texts: string[] = new Array(runs.length);
    let scan: TextScan = { nonLatin: 0, latin: 0, longLines: false };
    let hasTag = false;
    let length = 0;
    for (let i = 0; i < runs.length; i++) {
      const r = runs[i];
      if (r.kind === "static") {
        scan = addScans(scan, r.scan);
        hasTag ||= r.hasTag;
        length += r.length;
      } else {
        const t = (texts[i] = r.tpl.render(vars));
        scan = addScans(scan, scanText(t, LINE));
        hasTag ||= t.indexOf(this.tag) !== -1;
        length += t.length + 2;
      }
    }
    if (isPlain(scan) && !scan.longLines && !hasTag && length - 2 <= NO_SCAN_BEYOND) return part(this.type, "7bit", this.raw(runs, texts));
    if (!prefersQ(scan)) return part(this.type, "base64", [b64.wrap(b64.encode(this.joined(runs, texts)), LINE)]);
    const body: Piece[] = [];
    for (let i = 0; i < runs.length; i++) {
      const r = runs[i];
      if (r.kind === "var") body.push(qpLine(texts[i], r.last));
      else body.push(r.qp ??= enc.encode(r.lines.map((l, k) => qpLine(l, r.last && k === r.lines.length - 1)).join("")));
    }
    return part(this.type, "quoted-printable", body);
  }

  private raw(runs: Run[], texts: string[]): Piece[] {
    return runs.map((r, i) => {
      if (r.kind === "var") return r.last ? texts[i] : texts[i] + CRLF;
      return r.raw ??= enc.encode(r.lines.join(CRLF) + (r.last ? "" : CRLF));
    });
  }

  private joined(runs: Run[], texts: string[]): string {
    return runs.map((r, i) => (r.kind === "var" ? texts[i] : r.lines.join(CRLF))).join(CRLF);
  }
}

function part(type: string, cte: "7bit" | "quoted-printable" | "base64", body: Piece[]): Part {
  return { head: `Content-Type: ${type}; charset=utf-8${CRLF}Content-Transfer-Encoding: ${cte}`, body };
}

/**
 * A whole text part (already CRLF): 7bit when printable ASCII with short lines
 * (RFC 5322 §2.1.1) that cannot be mistaken for a boundary delimiter (RFC 2046 §5.1.1;
 * quoted-printable and base64 output never contain "=_"), else quoted-printable or
 * base64, as nodemailer chooses.
 */
export function encodePart(type: "text/plain" | "text/html", text: string, tag: string): Part {
  const scan = scanText(text, LINE);
  if (isPlain(scan) && !scan.longLines && text.indexOf(tag) === -1 && text.length <= NO_SCAN_BEYOND) return part(type, "7bit", [text]);
  if (prefersQ(scan)) return part(type, "quoted-printable", [qp.wrap(qp.encode(text), LINE)]);
  return part(type, "base64", [b64.wrap(b64.encode(text), LINE)]);
}
