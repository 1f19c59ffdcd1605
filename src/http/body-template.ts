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

export interface Part {
  head: string;
  body: string;
}

type Line =
  | { kind: "static"; text: string; scan: TextScan; hasTag: boolean; qp: string }
  | { kind: "var"; tpl: Template; last: boolean };

const qpLine = (text: string, last: boolean) => qp.wrap(qp.encode(last ? text : text + CRLF), LINE);

export class BodyTemplate {
  private readonly lines: Line[] | undefined;
  private readonly whole: Template;
  private readonly constant: Part | undefined;

  /**
   * `source` has CRLF line ends already; `literal`: "{{" is text (a single message);
   * `tag`: the boundary prefix a 7bit body must not contain (RFC 2046 §5.1.1).
   */
  constructor(private readonly type: "text/plain" | "text/html", source: string, html: boolean, literal: boolean, private readonly tag: string) {
    this.whole = new Template(source, html, true, !literal);
    if (this.whole.constant) {
      this.constant = encodePart(type, source, tag);
      return;
    }
    const texts = source.split(CRLF);
    const lines = texts.map((text, i): Line => {
      const tpl = new Template(text, html, true);
      const last = i === texts.length - 1;
      if (!tpl.constant) return { kind: "var", tpl, last };
      return { kind: "static", text, scan: scanText(text, LINE), hasTag: text.indexOf(tag) !== -1, qp: "" };
    });
    // a variable written across a line break ({{ name }} with a newline inside) → whole text
    const names = lines.reduce((n, l) => n + (l.kind === "var" ? l.tpl.names.length : 0), 0);
    if (names === this.whole.names.length) this.lines = lines;
  }

  render(vars: Vars | undefined): Part {
    if (this.constant) return this.constant;
    if (!this.lines) return encodePart(this.type, this.whole.render(vars), this.tag);
    const texts: string[] = new Array(this.lines.length);
    let scan: TextScan = { nonLatin: 0, latin: 0, longLines: false };
    let hasTag = false;
    let length = 0;
    for (let i = 0; i < this.lines.length; i++) {
      const l = this.lines[i];
      if (l.kind === "static") {
        texts[i] = l.text;
        scan = addScans(scan, l.scan);
        hasTag ||= l.hasTag;
      } else {
        const t = (texts[i] = l.tpl.render(vars));
        scan = addScans(scan, scanText(t, LINE));
        hasTag ||= t.indexOf(this.tag) !== -1;
      }
      length += texts[i].length + 2;
    }
    if (isPlain(scan) && !scan.longLines && !hasTag && length - 2 <= NO_SCAN_BEYOND) return part(this.type, "7bit", texts.join(CRLF));
    if (!prefersQ(scan)) return part(this.type, "base64", b64.wrap(b64.encode(texts.join(CRLF)), LINE));
    let body = "";
    for (let i = 0; i < this.lines.length; i++) {
      const l = this.lines[i];
      if (l.kind === "var") body += qpLine(texts[i], l.last);
      else body += l.qp || (l.qp = qpLine(l.text, i === this.lines.length - 1));
    }
    return part(this.type, "quoted-printable", body);
  }
}

function part(type: string, cte: "7bit" | "quoted-printable" | "base64", body: string): Part {
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
  if (isPlain(scan) && !scan.longLines && text.indexOf(tag) === -1 && text.length <= NO_SCAN_BEYOND) return part(type, "7bit", text);
  if (prefersQ(scan)) return part(type, "quoted-printable", qp.wrap(qp.encode(text), LINE));
  return part(type, "base64", b64.wrap(b64.encode(text), LINE));
}
