// A message template compiled once per request: the header fields and attachment parts
// that are the same for every recipient are encoded once; per recipient only the To
// field, the {{variables}} of subject/text/html and the Message-ID are rendered.
// The output is the same MIME that MailComposer builds (see mime-write.ts).

import { BodyTemplate, type Part } from "./body-template.ts";
import {
  attachmentPart, type AttachmentInput, dateLine, headerLine, messageIdLine, multipart, multipartHead,
  newBoundaryTag, normaliseBreaks, randomHex, subjectLine,
} from "./mime-write.ts";
import { Template, type Vars } from "./variables.ts";

const CRLF = "\r\n";
export interface MessageShape {
  from: string;
  replyTo?: string;
  subject?: string;
  text?: string;
  html?: string;
  headers?: Record<string, string>;
  attachments?: AttachmentInput[];
}

// header fields the writer sets itself: a request that sets one goes through MailComposer
const OWN_FIELDS = new Set([
  "from", "to", "cc", "bcc", "reply-to", "subject", "message-id", "date", "mime-version", "sender",
  "content-type", "content-transfer-encoding", "content-disposition",
]);

/** Whether the compiled writer handles this message (else the caller uses MailComposer). */
export function templateFits(m: { text?: string; html?: string; headers?: Record<string, string> }): boolean {
  if (m.text === undefined && m.html === undefined) return false;
  return Object.keys(m.headers ?? {}).every((k) => !OWN_FIELDS.has(k.toLowerCase()));
}

export class CompiledMessage {
  private readonly fromHead: string;
  private readonly tailHead: string;
  private readonly subject?: Template;
  private readonly constSubject?: string;
  private readonly text?: BodyTemplate;
  private readonly html?: BodyTemplate;
  private readonly attachments: string[];
  private readonly tag = newBoundaryTag();
  private readonly idPrefix = `${randomHex(4)}-${randomHex(2)}-${randomHex(2)}-${randomHex(6)}`;
  private readonly fromAddress: string;

  /**
   * `fromAddress`: the envelope sender (its domain names the Message-IDs); `literal`: a
   * single message, whose "{{" is text, not a variable.
   */
  constructor(m: MessageShape, fromAddress: string, now: number, literal = false) {
    const p = !literal;
    this.fromAddress = fromAddress;
    this.fromHead = headerLine("From", m.from) + (m.replyTo === undefined ? "" : CRLF + headerLine("Reply-To", m.replyTo));
    const custom = Object.entries(m.headers ?? {}).map(([k, v]) => headerLine(k, v));
    this.tailHead = [...custom, dateLine(now), "MIME-Version: 1.0"].join(CRLF);
    if (m.subject !== undefined) {
      this.subject = new Template(m.subject, false, false, p);
      if (this.subject.constant) this.constSubject = subjectLine(m.subject);
    }
    if (m.text !== undefined) this.text = new BodyTemplate("text/plain", normaliseBreaks(m.text), false, literal, this.tag);
    if (m.html !== undefined) this.html = new BodyTemplate("text/html", normaliseBreaks(m.html), true, literal, this.tag);
    this.attachments = (m.attachments ?? []).map(attachmentPart);
  }

  /** The whole message for message number `n`, `recipientHead` holding its To/Cc fields. */
  render(n: number, recipientHead: string, vars: Vars | undefined): string {
    let head = this.fromHead + CRLF + recipientHead + CRLF;
    if (this.subject) head += (this.constSubject ?? subjectLine(this.subject.render(vars))) + CRLF;
    head += messageIdLine(this.idPrefix, n, this.fromAddress) + CRLF + this.tailHead + CRLF;
    const text = this.text?.render(vars);
    const html = this.html?.render(vars);
    const content = this.content(text, html);
    const msg = head + content.head + CRLF + CRLF + content.body;
    return msg.endsWith(CRLF) ? msg : msg + CRLF; // a message ends with a line break, as MailComposer's
  }

  private content(text: Part | undefined, html: Part | undefined): Part {
    const alt: Part = text && html
      ? { head: multipartHead("alternative", `${this.tag}_2`), body: multipart([join(text), join(html)], `${this.tag}_2`) }
      : (text ?? html)!;
    if (this.attachments.length === 0) return alt;
    return { head: multipartHead("mixed", `${this.tag}_1`), body: multipart([join(alt), ...this.attachments], `${this.tag}_1`) };
  }
}

const join = (p: Part) => p.head + CRLF + CRLF + p.body;
