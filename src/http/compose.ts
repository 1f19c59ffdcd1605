// Turning API requests into RFC 5322 messages: nodemailer's MailComposer (a
// well-kept composer: MIME structure, encoded words, attachments) and {{variables}}.

import MailComposer from "nodemailer/lib/mail-composer/index.js";
import { parseMailbox } from "../core/address.ts";
import type { z } from "zod";
import type { attachmentSchema, BatchInput, MessageInput } from "./schemas.ts";

type Attachment = z.infer<typeof attachmentSchema>;

export class InputError extends Error {
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
  }
}

/** "Name <a@b>" or "a@b" → the bare address, validated. */
export function envelopeAddress(s: string, field: string): string {
  const m = /<([^<>]*)>\s*$/.exec(s);
  const addr = (m ? m[1] : s).trim();
  const r = parseMailbox(addr);
  if (!r.ok) throw new InputError(field, `not a valid address (${r.error})`);
  return r.value.address;
}

export interface Composed {
  mailFrom: string;
  rcptTo: string[];
  bytes: Uint8Array;
  utf8: boolean;
}

function build(mail: Record<string, unknown>): Promise<Uint8Array> {
  const mc = new MailComposer(mail);
  return new Promise((resolve, reject) =>
    mc.compile().build((err: Error | null, msg: Uint8Array) => (err ? reject(err) : resolve(msg)))
  );
}

const enc = new TextEncoder();
const NON_ASCII = /[^\x00-\x7f]/;

export async function composeMessage(m: MessageInput): Promise<Composed> {
  const mailFrom = envelopeAddress(m.from, "from");
  if ("raw" in m) {
    const rcptTo = m.to.map((a, i) => envelopeAddress(a, `to.${i}`));
    const raw = m.raw.replace(/\r?\n/g, "\r\n"); // normalise line ends to CRLF
    return { mailFrom, rcptTo, bytes: enc.encode(raw), utf8: NON_ASCII.test(mailFrom + rcptTo.join("")) };
  }
  const rcptTo = [
    ...m.to.map((a, i) => envelopeAddress(a, `to.${i}`)),
    ...(m.cc ?? []).map((a, i) => envelopeAddress(a, `cc.${i}`)),
    ...(m.bcc ?? []).map((a, i) => envelopeAddress(a, `bcc.${i}`)),
  ];
  const bytes = await build({
    from: m.from, to: m.to, cc: m.cc, bcc: m.bcc, replyTo: m.replyTo, subject: m.subject,
    text: m.text, html: m.html, headers: m.headers, attachments: attachments(m.attachments),
  });
  return { mailFrom, rcptTo, bytes, utf8: NON_ASCII.test(mailFrom + rcptTo.join("")) };
}

function attachments(list: Attachment[] | undefined) {
  return list?.map((a, i) => {
    if (!/^[A-Za-z0-9+/\r\n]*={0,2}\s*$/.test(a.content)) throw new InputError(`attachments.${i}.content`, "expected base64");
    return { filename: a.filename, contentType: a.contentType, content: Buffer.from(a.content, "base64") };
  });
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Replace {{name}} with the substitution (HTML-escaped when `html`); unknown names → "". */
export function substitute(template: string, vars: Record<string, string | number>, html: boolean): string {
  return template.replace(/\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g, (_, name: string) => {
    const v = vars[name];
    const s = v === undefined ? "" : String(v);
    return html ? s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]) : s;
  });
}

/** One composed message per batch recipient. */
export async function composeBatch(b: BatchInput): Promise<Composed[]> {
  const out: Composed[] = [];
  for (const [i, r] of b.recipients.entries()) {
    const vars = { ...r.substitutions };
    envelopeAddress(r.to, `recipients.${i}.to`);
    out.push(await composeMessage({
      from: b.from, to: [r.to], replyTo: b.replyTo, headers: b.headers, attachments: b.attachments,
      subject: b.subject === undefined ? undefined : substitute(b.subject, vars, false),
      text: b.text === undefined ? undefined : substitute(b.text, vars, false),
      html: b.html === undefined ? undefined : substitute(b.html, vars, true),
    }));
  }
  return out;
}
