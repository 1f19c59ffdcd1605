// The DSN builder (RFC 3464 multipart/report, RFC 3461 semantics). Pure: data in,
// bytes out. The original message (headers or full) is streamed in between `head`
// and `tail` by dsn-body.ts, so no body is ever loaded whole.

import { decodeXtext } from "../proto/smtp/command.ts";
import type { Envelope } from "../spool/types.ts";

export type DsnKind = "failed" | "delivered" | "delayed";

export interface DsnRecipient {
  /** the envelope recipient (RCPT TO) */
  address: string;
  /** RFC 3461 ORCPT as given: "addr-type;xtext" */
  orcpt?: string;
  /** what happened: "expired" is reported as Action: failed with 4.4.7 */
  outcome: "failed" | "expired" | "delivered" | "delayed";
  /** the last reply, e.g. "550 5.1.1 no such user" or a local reason */
  reply?: string;
  /** RFC 3463 enhanced status, when known */
  enhanced?: string;
  /** host that gave the reply */
  remoteMta?: string;
  lastAttemptAt?: number;
  /** delayed: when we give up (committedAt + maxAge) */
  willRetryUntil?: number;
}

export interface DsnInput {
  kind: DsnKind;
  /** our host name (Reporting-MTA, From, Message-ID) */
  reportingMta: string;
  /** queue id of the original message */
  queueId: string;
  /** the original envelope (sender, ENVID, RET, body type) */
  envelope: Envelope;
  /** when the original message was received (Arrival-Date) */
  arrivalDate: number;
  recipients: DsnRecipient[];
  now: number;
  /** MIME boundary; default derived from queue id and time (tests may fix it) */
  boundary?: string;
}

export interface BuiltDsn {
  /** envelope of the DSN message: MAIL FROM:<> to the original sender */
  envelope: Pick<Envelope, "mailFrom" | "rcptTo" | "body" | "smtputf8">;
  /** headers, human-readable part, delivery-status part and the third part's header */
  head: Uint8Array;
  /** what follows the original content: the closing boundary */
  tail: Uint8Array;
  /** what to copy from the original: its header section, or the whole message (RET=FULL) */
  include: "headers" | "full";
}

const enc = new TextEncoder();
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** RFC 5322 §3.3 date-time, in UTC. */
export function rfc5322Date(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${DAYS[d.getUTCDay()]}, ${p(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** One header-safe line: no CR/LF/controls, bounded length (RFC 5322 §2.1.1: 998). */
function clean(s: string, max = 900): string {
  // deno-lint-ignore no-control-regex
  const t = s.replace(/[\x00-\x1f\x7f]+/g, " ").trim();
  return t.length > max ? t.slice(0, max - 3) + "..." : t;
}

const SMTP_REPLY = /^([245])\d\d(?:[ -]([245]\.\d{1,3}\.\d{1,3}))?/;

/** RFC 3464 §2.3.4 Status: the enhanced code we know, or one derived from the reply class. */
export function dsnStatus(r: DsnRecipient): string {
  if (r.outcome === "expired") return "4.4.7"; // RFC 3463 §3.5: delivery time expired
  if (r.enhanced && /^[245]\.\d{1,3}\.\d{1,3}$/.test(r.enhanced)) return r.enhanced;
  const m = r.reply ? SMTP_REPLY.exec(r.reply) : null;
  if (m?.[2]) return m[2];
  switch (r.outcome) {
    case "delivered":
      return "2.0.0";
    case "delayed":
      return "4.0.0";
    case "failed":
      return m?.[1] === "5" || !m ? "5.0.0" : "4.0.0";
  }
}

function action(r: DsnRecipient): string {
  switch (r.outcome) {
    case "failed":
    case "expired":
      return "failed";
    case "delivered":
      return "delivered";
    case "delayed":
      return "delayed";
  }
}

/** RFC 3464 §2.3.2 Original-Recipient from RFC 3461 ORCPT (xtext decoded). */
function originalRecipient(orcpt: string): string | undefined {
  const semi = orcpt.indexOf(";");
  if (semi <= 0) return undefined;
  const value = decodeXtext(orcpt.slice(semi + 1));
  if (value === null) return undefined;
  return `${clean(orcpt.slice(0, semi))};${clean(value)}`;
}

function recipientFields(r: DsnRecipient): string[] {
  const f: string[] = [];
  if (r.orcpt) {
    const o = originalRecipient(r.orcpt);
    if (o) f.push(`Original-Recipient: ${o}`); // RFC 3464 §2.3.1
  }
  f.push(`Final-Recipient: rfc822;${clean(r.address)}`); // RFC 3464 §2.3.2
  f.push(`Action: ${action(r)}`); // RFC 3464 §2.3.3
  f.push(`Status: ${dsnStatus(r)}`); // RFC 3464 §2.3.4
  if (r.remoteMta) f.push(`Remote-MTA: dns;${clean(r.remoteMta)}`); // RFC 3464 §2.3.5
  if (r.reply) {
    const kind = SMTP_REPLY.test(r.reply) ? "smtp" : "X-Tern";
    f.push(`Diagnostic-Code: ${kind};${clean(r.reply)}`); // RFC 3464 §2.3.6
  }
  if (r.lastAttemptAt !== undefined) f.push(`Last-Attempt-Date: ${rfc5322Date(r.lastAttemptAt)}`); // RFC 3464 §2.3.7
  if (r.willRetryUntil !== undefined) f.push(`Will-Retry-Until: ${rfc5322Date(r.willRetryUntil)}`); // RFC 3464 §2.3.9
  return f;
}

function subject(kind: DsnKind): string {
  switch (kind) {
    case "failed":
      return "Undelivered Mail Returned to Sender";
    case "delivered":
      return "Successful Mail Delivery Report";
    case "delayed":
      return "Delayed Mail (still being retried)";
  }
}

function humanText(i: DsnInput): string[] {
  const lines = [`This is the mail system at host ${i.reportingMta}.`, ""];
  switch (i.kind) {
    case "failed":
      lines.push("I'm sorry to have to inform you that your message could not", "be delivered to one or more recipients.");
      break;
    case "delivered":
      lines.push("Your message was successfully delivered to the recipients below,", "as you asked.");
      break;
    case "delayed":
      lines.push("Your message could not be delivered yet. It is still in the queue", "and delivery will be retried; you do not need to send it again.");
      break;
  }
  lines.push("");
  for (const r of i.recipients) {
    const why = r.outcome === "expired" ? "gave up: too long in the queue" : r.reply ? clean(r.reply, 400) : r.outcome;
    lines.push(`<${clean(r.address)}>${r.remoteMta ? ` (host ${clean(r.remoteMta)})` : ""}: ${why}`);
    if (r.willRetryUntil !== undefined) lines.push(`    will retry until ${rfc5322Date(r.willRetryUntil)}`);
  }
  return lines;
}

// deno-lint-ignore no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

/** Build the DSN for one message and one kind of event (one DSN per message and event). */
export function buildDsn(i: DsnInput): BuiltDsn {
  const b = i.boundary ?? `=_tern-dsn-${i.queueId}-${i.now.toString(36)}`;
  const full = i.envelope.dsn?.ret === "FULL" && i.envelope.body !== "BINARYMIME"; // RFC 3461 §4.3
  const human = humanText(i);
  const humanCharset = human.some((l) => NON_ASCII.test(l)) ? "utf-8" : "us-ascii";

  const perMessage = [`Reporting-MTA: dns;${i.reportingMta}`]; // RFC 3464 §2.2.2
  if (i.envelope.dsn?.envid) perMessage.unshift(`Original-Envelope-Id: ${clean(i.envelope.dsn.envid)}`); // RFC 3464 §2.2.1
  perMessage.push(`X-Tern-Queue-ID: ${i.queueId}`);
  perMessage.push(`Arrival-Date: ${rfc5322Date(i.arrivalDate)}`); // RFC 3464 §2.2.5

  const status = [...perMessage, ...i.recipients.flatMap((r) => ["", ...recipientFields(r)])];
  const sender = i.envelope.mailFrom;
  const lines = [
    `From: Mail Delivery System <MAILER-DAEMON@${i.reportingMta}>`,
    `To: <${sender}>`,
    `Subject: ${subject(i.kind)}`,
    `Date: ${rfc5322Date(i.now)}`,
    `Message-ID: <${i.queueId}.${i.kind}.${i.now.toString(36)}@${i.reportingMta}>`,
    "Auto-Submitted: auto-replied", // RFC 3834 §5
    "MIME-Version: 1.0",
    `Content-Type: multipart/report; report-type=delivery-status;`, // RFC 3462 §2
    `\tboundary="${b}"`,
    "",
    "This is a MIME-encapsulated message.",
    "",
    `--${b}`,
    `Content-Type: text/plain; charset=${humanCharset}`,
    ...(humanCharset === "utf-8" ? ["Content-Transfer-Encoding: 8bit"] : []),
    "Content-Description: Notification",
    "",
    ...human,
    "",
    `--${b}`,
    "Content-Type: message/delivery-status", // RFC 3464 §2.1
    "Content-Description: Delivery report",
    "",
    ...status,
    "",
    `--${b}`,
    full ? "Content-Type: message/rfc822" : "Content-Type: text/rfc822-headers", // RFC 3462 §3
    full ? "Content-Description: Undelivered Message" : "Content-Description: Undelivered Message Headers",
    "",
    "",
  ];
  const eight = i.envelope.body === "8BITMIME" || humanCharset === "utf-8";
  return {
    envelope: {
      mailFrom: "", // RFC 3461 §6.2 / RFC 5321 §4.5.5: notifications use the null reverse-path
      rcptTo: [{ address: sender }], // <> already rules out a DSN about this DSN
      body: eight ? "8BITMIME" : "7BIT",
      smtputf8: i.envelope.smtputf8 === true || NON_ASCII.test(sender),
    },
    head: enc.encode(lines.join("\r\n")),
    tail: enc.encode(`\r\n--${b}--\r\n`),
    include: full ? "full" : "headers",
  };
}
