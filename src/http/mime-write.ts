// A synchronous MIME writer for API messages: the same structure and encodings as
// nodemailer's MailComposer (whose encoders and header encoders it reuses), without
// its per-message stream pipeline. Pure: strings in, strings out.

import { randomBytes } from "node:crypto";
import MimeNode from "nodemailer/lib/mime-node/index.js";
import { detectMimeType, foldLines } from "nodemailer/lib/mime-funcs/index.js";
import * as b64 from "nodemailer/lib/base64/index.js";

const CRLF = "\r\n";
const LINE = 76; // RFC 2045 §6.7 (5): encoded lines at most 76 characters

// nodemailer's own header encoders (addresses, encoded words), used through one node
const encoder = new MimeNode() as unknown as { encodeHeaderValue(key: string, value: string): string };

/** One header field, encoded (RFC 2047 words, RFC 5322 addresses) and folded. */
export function headerLine(key: string, value: string): string {
  return foldLines(`${key}: ${encoder.encodeHeaderValue(key, value)}`, LINE);
}

const PLAIN_ADDRESS = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/;
const PRINTABLE = /^[\x20-\x7e]*$/;

/** `To:` for one recipient: a bare lower-case ASCII address as is, anything else through the encoder. */
export function toLine(to: string): string {
  return PLAIN_ADDRESS.test(to) && to.length < LINE - 4 ? `To: ${to}` : headerLine("To", to);
}

/** `Subject:`: short printable ASCII as is (nothing to encode or fold), else encoded and folded. */
export function subjectLine(s: string): string {
  // RFC 5322 §2.1.1: lines SHOULD be at most 78 characters; fold from 76 like nodemailer
  return PRINTABLE.test(s) && s.length <= LINE - 9 && s.trim() === s ? `Subject: ${s}` : headerLine("Subject", s);
}

/** RFC 5322 §3.3 date as nodemailer writes it. */
export function dateLine(now: number): string {
  return `Date: ${new Date(now).toUTCString().replace(/GMT/, "+0000")}`;
}

/** A random token: message ids and boundaries. */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}

/** RFC 5322 §3.6.4 msg-id: unique per message (`prefix` random per batch, `n` its index). */
export function messageIdLine(prefix: string, n: number, fromAddress: string): string {
  return `Message-ID: <${prefix}-${n.toString(36)}@${fromAddress.slice(fromAddress.lastIndexOf("@") + 1)}>`;
}

const LONE_BREAK = /\r\n|\r|\n/g;

/** RFC 5322 §2.3: CR and LF only ever together, as CRLF. */
export function normaliseBreaks(s: string): string {
  if (s.indexOf("\n") === -1 && s.indexOf("\r") === -1) return s;
  return s.replace(LONE_BREAK, CRLF);
}

export interface AttachmentInput {
  filename: string;
  contentType?: string;
  content: Uint8Array;
}

/** An attachment part (headers + base64 body), encoded once and reused for every recipient. */
export function attachmentPart(a: AttachmentInput): string {
  // a child node: the root alone adds Date, Message-ID and MIME-Version
  const node = new MimeNode("multipart/mixed").createChild(a.contentType ?? detectMimeType(a.filename), { filename: a.filename });
  node.setHeader("Content-Transfer-Encoding", "base64");
  node.setContent(Buffer.from(a.content.buffer, a.content.byteOffset, a.content.byteLength));
  const head = (node as unknown as { buildHeaders(): string }).buildHeaders();
  return head + CRLF + CRLF + b64.wrap(b64.encode(Buffer.from(a.content)), LINE);
}

/** `boundary` = tag + part number: the tag is random per batch and starts with "=_". */
export function newBoundaryTag(): string {
  return `=_tern_${randomHex(8)}`;
}

/** A multipart body of already-built parts (RFC 2046 §5.1.1), nodemailer's layout. */
export function multipart<P>(parts: (P | string)[][], boundary: string): (P | string)[] {
  const out: (P | string)[] = [];
  for (let i = 0; i < parts.length; i++) out.push((i > 0 ? CRLF : "") + "--" + boundary + CRLF, ...parts[i]);
  out.push(CRLF + "--" + boundary + "--" + CRLF);
  return out;
}

export function multipartHead(subtype: "mixed" | "alternative", boundary: string): string {
  return `Content-Type: multipart/${subtype}; boundary="${boundary}"`;
}
