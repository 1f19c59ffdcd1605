// {{variables}} in API templates: parsed once into static pieces and names, rendered
// per recipient. Unknown names render as ""; values are HTML-escaped in HTML.

import { normaliseBreaks } from "./mime-write.ts";

const VARIABLE = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;
const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const HTML_SPECIAL = /[&<>"']/g;

export type Vars = Record<string, string | number>;

/** A {{variable}} template split once: statics[0] name[0] statics[1] … statics[n]. */
export class Template {
  readonly statics: string[] = [];
  readonly names: string[] = [];

  /** `breaks`: the template is body text whose substituted values get CRLF line ends too */
  constructor(source: string, private readonly html: boolean, private readonly breaks = false, parse = true) {
    let last = 0;
    if (!parse) {
      this.statics.push(source);
      return;
    }
    for (const m of source.matchAll(VARIABLE)) {
      this.statics.push(source.slice(last, m.index));
      this.names.push(m[1]);
      last = m.index + m[0].length;
    }
    this.statics.push(source.slice(last));
  }

  get constant(): boolean {
    return this.names.length === 0;
  }

  /** Unknown names render as ""; values are HTML-escaped in an HTML template. */
  render(vars: Vars | undefined): string {
    let out = this.statics[0];
    for (let i = 0; i < this.names.length; i++) {
      const v = vars?.[this.names[i]];
      let s = v === undefined ? "" : String(v);
      if (this.breaks) s = normaliseBreaks(s);
      out += (this.html ? s.replace(HTML_SPECIAL, (c) => HTML_ESCAPES[c]) : s) + this.statics[i + 1];
    }
    return out;
  }
}

/** Replace {{name}} with the substitution (HTML-escaped when `html`); unknown names → "". */
export function substitute(template: string, vars: Vars, html: boolean): string {
  return new Template(template, html).render(vars);
}
