// SMTP reply codes (RFC 5321 §4.2) and the one reply catalogue of the server.
// Every reply carries an enhanced status code (RFC 2034, RFC 3463).

export const C211 = 211; // system status
export const C214 = 214; // help
export const C220 = 220; // service ready
export const C221 = 221; // closing
export const C235 = 235; // RFC 4954 authentication succeeded
export const C250 = 250; // ok
export const C252 = 252; // cannot VRFY
export const C334 = 334; // RFC 4954 server challenge
export const C354 = 354; // start mail input
export const C421 = 421; // service not available, closing
export const C450 = 450;
export const C451 = 451; // local error
export const C452 = 452; // insufficient storage
export const C454 = 454; // TLS / auth temporarily unavailable
export const C500 = 500; // syntax error, command unrecognised
export const C501 = 501; // syntax error in parameters
export const C502 = 502; // command not implemented
export const C503 = 503; // bad sequence
export const C504 = 504; // parameter not implemented
export const C530 = 530; // RFC 4954 authentication required
export const C534 = 534;
export const C535 = 535; // RFC 4954 authentication credentials invalid
export const C538 = 538; // RFC 4954 §6 encryption required for the mechanism
export const C550 = 550; // mailbox unavailable
export const C552 = 552; // exceeded storage allocation
export const C553 = 553; // mailbox name not allowed
export const C554 = 554; // transaction failed
export const C555 = 555; // RFC 5321 §4.1.1.11 MAIL/RCPT parameters not recognised

export interface Reply {
  code: number;
  /** enhanced status code, e.g. "2.0.0" */
  status: string;
  /** one or more text lines */
  text: string | string[];
}

const enc = new TextEncoder();

/** Format a (possibly multi-line) reply; RFC 5321 §4.2.1 continuation with "-". */
export function formatReply(r: Reply): string {
  const lines = Array.isArray(r.text) ? r.text : [r.text];
  let out = "";
  for (let i = 0; i < lines.length; i++) {
    const sep = i === lines.length - 1 ? " " : "-";
    // RFC 2034 §4: the enhanced code on every line of a multi-line reply
    // a 334 SASL challenge has no enhanced code (RFC 4954 §4)
    out += r.status ? `${r.code}${sep}${r.status} ${lines[i]}\r\n` : `${r.code}${sep}${lines[i]}\r\n`;
  }
  return out;
}

export function replyBytes(r: Reply): Uint8Array {
  return enc.encode(formatReply(r));
}

export function reply(code: number, status: string, text: string | string[]): Reply {
  return { code, status, text };
}
