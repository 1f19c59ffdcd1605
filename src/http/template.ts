// A message template compiled once per request: the header fields and attachment parts
// that are the same for every recipient are encoded once; per recipient only the To
// field, the {{variables}} of subject/text/html and the Message-ID are rendered.
// The output is the same MIME that MailComposer builds (see mime-write.ts).

import { Buffer } from "node:buffer";
import { BodyTemplate, type Part, type Piece } from "./body-template.ts";
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

/** the random parts of the messages of one template: MIME boundary tag and Message-ID prefix */
export interface MessageIds {
  tag: string;
  idPrefix: string;
}

export const newMessageIds = (): MessageIds => ({ tag: newBoundaryTag(), idPrefix: uuidLike(randomHex(14)) });

export class CompiledMessage {
  private readonly fromHead: Uint8Array;
  private readonly tailHead: Uint8Array;
  private readonly subject?: Template;
  private readonly constSubject?: string;
  private readonly text?: BodyTemplate;
  private readonly html?: BodyTemplate;
  private readonly attachments: Uint8Array[];
  private readonly tag: string;
  private readonly idPrefix: string;
  private readonly fromAddress: string;

  /**
   * `fromAddress`: the envelope sender (its domain names the Message-IDs); `literal`: a
   * single message, whose "{{" is text, not a variable; `ids`: the random parts (new
   * ones by default; given, the output is the same for the same input).
   */
  constructor(m: MessageShape, fromAddress: string, now: number, literal = false, ids: MessageIds = newMessageIds()) {
    const p = !literal;
    this.tag = ids.tag;
    this.idPrefix = ids.idPrefix;
    this.fromAddress = fromAddress;
    const from = headerLine("From", m.from) + (m.replyTo === undefined ? "" : CRLF + headerLine("Reply-To", m.replyTo));
    this.fromHead = enc.encode(from + CRLF);
    const custom = Object.entries(m.headers ?? {}).map(([k, v]) => headerLine(k, v));
    this.tailHead = enc.encode([...custom, dateLine(now), "MIME-Version: 1.0"].join(CRLF) + CRLF);
    if (m.subject !== undefined) {
      this.subject = new Template(m.subject, false, false, p);
      if (this.subject.constant) this.constSubject = subjectLine(m.subject);
    }
    if (m.text !== undefined) this.text = new BodyTemplate("text/plain", normaliseBreaks(m.text), false, literal, this.tag);
    if (m.html !== undefined) this.html = new BodyTemplate("text/html", normaliseBreaks(m.html), true, literal, this.tag);
    this.attachments = (m.attachments ?? []).map((a) => enc.encode(attachmentPart(a)));
  }

  /**
   * The whole message for message number `n`, `recipientHead` holding its To/Cc fields:
   * strings rendered for this recipient, bytes shared by all (see toPieces()).
   */
  render(n: number, recipientHead: string, vars: Vars | undefined): Piece[] {
    let head = recipientHead + CRLF;
    if (this.subject) head += (this.constSubject ?? subjectLine(this.subject.render(vars))) + CRLF;
    head += messageIdLine(this.idPrefix, n, this.fromAddress) + CRLF;
    const content = this.content(this.text?.render(vars), this.html?.render(vars));
    const out: Piece[] = [this.fromHead, head, this.tailHead, content.head + CRLF + CRLF, ...content.body];
    // a message ends with a line break, as MailComposer's
    if (!endsWithCrlf(out[out.length - 1])) out.push(CRLF);
    return out;
  }

  private content(text: Part | undefined, html: Part | undefined): Part {
    const alt: Part = text && html
      ? { head: multipartHead("alternative", `${this.tag}_2`), body: multipart([join(text), join(html)], `${this.tag}_2`) }
      : (text ?? html)!;
    if (this.attachments.length === 0) return alt;
    return { head: multipartHead("mixed", `${this.tag}_1`), body: multipart([join(alt), ...this.attachments.map((a) => [a])], `${this.tag}_1`) };
  }
}

const join = (p: Part): Piece[] => [p.head + CRLF + CRLF, ...p.body];

function endsWithCrlf(p: Piece): boolean {
  if (typeof p === "string") return p.endsWith(CRLF);
  return p.length >= 2 && p[p.length - 2] === 0x0d && p[p.length - 1] === 0x0a;
}

const enc = new TextEncoder();

/**
 * Pieces ready for the spool: neighbouring strings joined (the spool encodes strings
 * straight into its buffer), shared bytes as they are, and a bound on their UTF-8 size
 * (3 bytes per UTF-16 unit; exact only when needed: see sizeOf).
 */
export function toPieces(pieces: Piece[]): { parts: Piece[]; maxSize: number } {
  const parts: Piece[] = [];
  let most = 0;
  let pending = "";
  for (const p of pieces) {
    if (typeof p === "string") {
      pending += p;
      continue;
    }
    if (pending !== "") {
      parts.push(pending);
      most += pending.length * 3;
    }
    pending = "";
    if (p.length > 0) {
      parts.push(p);
      most += p.length;
    }
  }
  if (pending !== "") {
    parts.push(pending);
    most += pending.length * 3;
  }
  return { parts, maxSize: most };
}

/** the UTF-8 size of pieces */
export function sizeOf(parts: Piece[]): number {
  let n = 0;
  for (const p of parts) n += typeof p === "string" ? Buffer.byteLength(p, "utf8") : p.length;
  return n;
}

/** 28 hex digits as 8-4-4-12 (the last group also takes the message number, see messageIdLine) */
const uuidLike = (h: string) => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 28)}`;
