// IMAP ENVELOPE (RFC 3501 §7.4.2) and BODYSTRUCTURE / BODY (§7.4.2, §9 body)
// formatted from a parsed MIME tree. Header values are returned as sent (no
// RFC 2047 decoding, as the RFC requires).

import { nstr, str } from "../proto/imap/response.ts";
import { type EnvAddress, parseAddressList } from "./address.ts";
import { getField, parseParams } from "./header.ts";
import type { MimePart } from "./structure.ts";

function addressList(buf: Uint8Array, p: MimePart, name: string): string {
  const v = getField(buf, p.fields, name);
  if (v === undefined) return "NIL";
  const list = parseAddressList(v);
  if (list.length === 0) return "NIL";
  return "(" + list.map(formatAddress).join("") + ")";
}

function formatAddress(a: EnvAddress): string {
  switch (a.kind) {
    case "mailbox":
      return `(${nstr(a.name)} NIL ${str(a.mailbox)} ${nstr(a.host)})`;
    case "group-start": // RFC 3501 §7.4.2: group syntax as NIL-host addresses
      return `(NIL NIL ${str(a.group)} NIL)`;
    case "group-end":
      return "(NIL NIL NIL NIL)";
    default: {
      const never: never = a;
      throw new Error(`bad address ${String(never)}`);
    }
  }
}

export function envelope(buf: Uint8Array, p: MimePart): string {
  const f = (n: string) => nstr(getField(buf, p.fields, n));
  const from = addressList(buf, p, "FROM");
  // RFC 3501 §7.4.2: sender and reply-to default to from
  const sender = getField(buf, p.fields, "SENDER") !== undefined ? addressList(buf, p, "SENDER") : from;
  const replyTo = getField(buf, p.fields, "REPLY-TO") !== undefined ? addressList(buf, p, "REPLY-TO") : from;
  return `(${f("DATE")} ${f("SUBJECT")} ${from} ${sender} ${replyTo} ${addressList(buf, p, "TO")} ${
    addressList(buf, p, "CC")
  } ${addressList(buf, p, "BCC")} ${f("IN-REPLY-TO")} ${f("MESSAGE-ID")})`;
}

function paramList(params: [string, string][]): string {
  if (params.length === 0) return "NIL";
  return "(" + params.map(([k, v]) => `${str(k)} ${str(v)}`).join(" ") + ")";
}

function countLines(buf: Uint8Array, s: number, e: number): number {
  let n = 0;
  let i = s;
  for (;;) {
    const lf = buf.indexOf(10, i);
    if (lf < 0 || lf >= e) break;
    n++;
    i = lf + 1;
  }
  return i < e ? n + 1 : n;
}

function disposition(buf: Uint8Array, p: MimePart): string {
  const v = getField(buf, p.fields, "CONTENT-DISPOSITION");
  if (!v) return "NIL";
  const d = parseParams(v);
  return `(${str(d.value.toUpperCase())} ${paramList(d.params)})`;
}

function language(buf: Uint8Array, p: MimePart): string {
  const v = getField(buf, p.fields, "CONTENT-LANGUAGE");
  if (!v) return "NIL";
  const langs = v.split(",").map((s) => s.trim()).filter(Boolean);
  return langs.length === 0 ? "NIL" : `(${langs.map(str).join(" ")})`;
}

/** BODYSTRUCTURE (extended) or BODY (basic) of a part */
export function bodyStructure(buf: Uint8Array, p: MimePart, extended: boolean): string {
  const f = (n: string) => nstr(getField(buf, p.fields, n));
  if (p.type === "multipart" && p.children.length > 0) {
    let s = "(" + p.children.map((c) => bodyStructure(buf, c, extended)).join("") + ` ${str(p.subtype.toUpperCase())}`;
    if (extended) s += ` ${paramList(p.params)} ${disposition(buf, p)} ${language(buf, p)} ${f("CONTENT-LOCATION")}`;
    return s + ")";
  }
  const type = p.type === "multipart" ? "TEXT" : p.type.toUpperCase();
  const subtype = p.type === "multipart" ? "PLAIN" : p.subtype.toUpperCase();
  const encoding = (getField(buf, p.fields, "CONTENT-TRANSFER-ENCODING") ?? "7BIT").toUpperCase();
  const size = p.end - p.bodyStart;
  let s = `(${str(type)} ${str(subtype)} ${paramList(p.params)} ${f("CONTENT-ID")} ${f("CONTENT-DESCRIPTION")} ${
    str(encoding)
  } ${size}`;
  if (p.message) {
    // RFC 3501 §7.4.2: message/rfc822 adds envelope, body structure and line count
    s += ` ${envelope(buf, p.message)} ${bodyStructure(buf, p.message, extended)} ${countLines(buf, p.bodyStart, p.end)}`;
  } else if (p.type === "text") {
    s += ` ${countLines(buf, p.bodyStart, p.end)}`;
  }
  if (extended) s += ` ${f("CONTENT-MD5")} ${disposition(buf, p)} ${language(buf, p)} ${f("CONTENT-LOCATION")}`;
  return s + ")";
}
