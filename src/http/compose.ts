// Turning API requests into RFC 5322 messages. The common shapes (text and/or html,
// attachments, custom headers) go through a template compiled once per request
// (template.ts, mime-write.ts: nodemailer's encoders without its stream pipeline);
// the rest through nodemailer's MailComposer. {{variables}} are substituted per recipient.

import MailComposer from "nodemailer/lib/mail-composer/index.js";
import { parseMailbox } from "../core/address.ts";
import type { z } from "zod";
import type { attachmentSchema, BatchInput, MessageInput } from "./schemas.ts";
import { headerLine, toLine } from "./mime-write.ts";
import { CompiledMessage, type MessageIds, templateFits, toPieces } from "./template.ts";
import type { Piece } from "./body-template.ts";
import { substitute } from "./variables.ts";

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
  /** the message, in pieces: strings (UTF-8 encoded by the spool) and bytes shared between the messages of a batch */
  parts: Piece[];
  /** at least its size in bytes (sizeOf(parts) is exact) */
  maxSize: number;
  utf8: boolean;
}

const whole = (bytes: Uint8Array) => ({ parts: [bytes], maxSize: bytes.length });

function build(mail: Record<string, unknown>): Promise<Uint8Array> {
  const mc = new MailComposer(mail);
  return new Promise((resolve, reject) =>
    mc.compile().build((err: Error | null, msg: Uint8Array) => (err ? reject(err) : resolve(msg)))
  );
}

const enc = new TextEncoder();
const NON_ASCII = /[^\x00-\x7f]/;

export async function composeMessage(m: MessageInput, now = Date.now()): Promise<Composed> {
  const mailFrom = envelopeAddress(m.from, "from");
  if ("raw" in m) {
    const rcptTo = m.to.map((a, i) => envelopeAddress(a, `to.${i}`));
    const raw = m.raw.replace(/\r?\n/g, "\r\n"); // normalise line ends to CRLF
    return { mailFrom, rcptTo, ...whole(enc.encode(raw)), utf8: NON_ASCII.test(mailFrom + rcptTo.join("")) };
  }
  const rcptTo = [
    ...m.to.map((a, i) => envelopeAddress(a, `to.${i}`)),
    ...(m.cc ?? []).map((a, i) => envelopeAddress(a, `cc.${i}`)),
    ...(m.bcc ?? []).map((a, i) => envelopeAddress(a, `bcc.${i}`)),
  ];
  const utf8 = NON_ASCII.test(mailFrom + rcptTo.join(""));
  const atts = attachments(m.attachments);
  if (templateFits(m)) {
    // no {{variables}} in a single message: the template is all constant
    const t = new CompiledMessage({ ...m, attachments: atts }, mailFrom, now, true);
    const rcptHead = [headerLine("To", m.to.join(", ")), ...(m.cc?.length ? [headerLine("Cc", m.cc.join(", "))] : [])].join("\r\n");
    return { mailFrom, rcptTo, ...toPieces(t.render(0, rcptHead, undefined)), utf8 };
  }
  const bytes = await build({
    from: m.from, to: m.to, cc: m.cc, bcc: m.bcc, replyTo: m.replyTo, subject: m.subject,
    text: m.text, html: m.html, headers: m.headers, attachments: atts,
  });
  return { mailFrom, rcptTo, ...whole(bytes), utf8 };
}

export function attachments(list: Attachment[] | undefined) {
  return list?.map((a, i) => {
    if (!/^[A-Za-z0-9+/\r\n]*={0,2}\s*$/.test(a.content)) throw new InputError(`attachments.${i}.content`, "expected base64");
    return { filename: a.filename, contentType: a.contentType, content: Buffer.from(a.content, "base64") };
  });
}

export { substitute };

/** One composed message per batch recipient: the template compiled once, rendered per recipient. */
export async function composeBatch(b: BatchInput, now = Date.now(), ids?: MessageIds): Promise<Composed[]> {
  const mailFrom = envelopeAddress(b.from, "from");
  const atts = attachments(b.attachments);
  const out: Composed[] = [];
  if (!templateFits(b)) return composeBatchSlow(b, atts, now);
  const t = new CompiledMessage({ ...b, attachments: atts }, mailFrom, now, false, ids);
  for (const [i, r] of b.recipients.entries()) {
    const to = envelopeAddress(r.to, `recipients.${i}.to`);
    const bytes = toPieces(t.render(i, toLine(r.to), r.substitutions));
    out.push({ mailFrom, rcptTo: [to], ...bytes, utf8: NON_ASCII.test(mailFrom) || NON_ASCII.test(to) });
  }
  return out;
}

/** Shapes the template writer does not take (no body, own structural headers): MailComposer each. */
async function composeBatchSlow(b: BatchInput, atts: ReturnType<typeof attachments>, now: number): Promise<Composed[]> {
  const out: Composed[] = [];
  for (const [i, r] of b.recipients.entries()) {
    const vars = { ...r.substitutions };
    const mailFrom = envelopeAddress(b.from, "from");
    const to = envelopeAddress(r.to, `recipients.${i}.to`);
    const bytes = await build({
      from: b.from, to: [r.to], replyTo: b.replyTo, headers: b.headers, attachments: atts, date: new Date(now),
      subject: b.subject === undefined ? undefined : substitute(b.subject, vars, false),
      text: b.text === undefined ? undefined : substitute(b.text, vars, false),
      html: b.html === undefined ? undefined : substitute(b.html, vars, true),
    });
    out.push({ mailFrom, rcptTo: [to], ...whole(bytes), utf8: NON_ASCII.test(mailFrom + to) });
  }
  return out;
}
