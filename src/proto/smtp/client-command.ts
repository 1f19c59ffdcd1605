// Client-side SMTP command formatting (RFC 5321 §4.1.1) with the ESMTP parameters
// Tern sends: SIZE (RFC 1870), BODY (RFC 6152, RFC 3030), SMTPUTF8 (RFC 6531),
// RET/ENVID/NOTIFY/ORCPT (RFC 3461), BDAT (RFC 3030), AUTH (RFC 4954). Sans-I/O.

const enc = new TextEncoder();

/** Characters that must never reach the wire inside a path or parameter (command injection). */
const UNSAFE_RE = /[\x00-\x20\x7f<>]/;

/** True when `s` can be put in a MAIL/RCPT path without breaking the command line. */
export function isSafePath(s: string): boolean {
  return !UNSAFE_RE.test(s);
}

/** True when `s` has a non-ASCII character (needs SMTPUTF8: RFC 6531 §3.2). */
export function needsUtf8(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return true;
  return false;
}

export function line(s: string): Uint8Array {
  return enc.encode(s + "\r\n");
}

export const EHLO = (name: string): string => `EHLO ${name}`; // RFC 5321 §4.1.1.1
export const HELO = (name: string): string => `HELO ${name}`;
export const RSET = "RSET"; // RFC 5321 §4.1.1.5
export const QUIT = "QUIT"; // RFC 5321 §4.1.1.10
export const DATA = "DATA"; // RFC 5321 §4.1.1.4
export const STARTTLS = "STARTTLS"; // RFC 3207 §4

export interface MailParams {
  size?: number;
  body?: "7BIT" | "8BITMIME" | "BINARYMIME";
  smtputf8?: boolean;
  ret?: "FULL" | "HDRS";
  envid?: string;
}

/** MAIL FROM:<path> [params]; `from` "" is the null reverse-path. */
export function mailFrom(from: string, p: MailParams = {}): string {
  let s = `MAIL FROM:<${from}>`;
  if (p.size !== undefined) s += ` SIZE=${p.size}`; // RFC 1870 §6
  if (p.body) s += ` BODY=${p.body}`; // RFC 6152 §3, RFC 3030 §3
  if (p.smtputf8) s += " SMTPUTF8"; // RFC 6531 §3.4
  if (p.ret) s += ` RET=${p.ret}`; // RFC 3461 §4.3
  if (p.envid !== undefined) s += ` ENVID=${xtext(p.envid)}`; // RFC 3461 §4.4
  return s;
}

export interface RcptParams {
  notify?: string[];
  /** addr-type;xtext, already encoded */
  orcpt?: string;
}

export function rcptTo(to: string, p: RcptParams = {}): string {
  let s = `RCPT TO:<${to}>`;
  if (p.notify && p.notify.length > 0) s += ` NOTIFY=${p.notify.join(",")}`; // RFC 3461 §4.1
  if (p.orcpt) s += ` ORCPT=${p.orcpt}`; // RFC 3461 §4.2
  return s;
}

/** RFC 3030 §2: BDAT chunk-size [LAST] */
export function bdat(size: number, last: boolean): Uint8Array {
  return enc.encode(last ? `BDAT ${size} LAST\r\n` : `BDAT ${size}\r\n`);
}

/** RFC 3461 §4: xtext — "+" and "=" and chars outside 33..126 as "+HH". */
export function xtext(s: string): string {
  let out = "";
  for (const b of enc.encode(s)) {
    out += b < 33 || b > 126 || b === 43 || b === 61 ? "+" + b.toString(16).toUpperCase().padStart(2, "0") : String.fromCharCode(b);
  }
  return out;
}

function b64(s: string): string {
  const bytes = enc.encode(s);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** RFC 4954 §4 + RFC 4616: AUTH PLAIN with the initial response. */
export function authPlain(user: string, password: string): string {
  return `AUTH PLAIN ${b64(`\0${user}\0${password}`)}`;
}

/** AUTH LOGIN (draft-murchison-sasl-login): the command, then user and password as base64 lines. */
export const AUTH_LOGIN = "AUTH LOGIN";
export function base64Line(s: string): string {
  return b64(s);
}
