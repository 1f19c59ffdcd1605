// POP3 status lines (RFC 1939 §3) with RFC 2449 §8 extended response codes.
// Pure string builders; the session encodes them.

/** RFC 2449 §8.1.1: the maildrop is locked by another session */
export const CODE_IN_USE = "IN-USE";
/** RFC 3206 §4: credentials are wrong (AUTH-RESP-CODE) */
export const CODE_AUTH = "AUTH";
/** RFC 3206 §5: a temporary system problem */
export const CODE_SYS_TEMP = "SYS/TEMP";
/** RFC 3206 §5: a permanent system problem */
export const CODE_SYS_PERM = "SYS/PERM";

export type RespCode = typeof CODE_IN_USE | typeof CODE_AUTH | typeof CODE_SYS_TEMP | typeof CODE_SYS_PERM;

/** RFC 1939 §3: a response line is at most 512 octets including CRLF */
const MAX_TEXT = 400;

export function ok(text = ""): string {
  return text ? `+OK ${clip(text)}\r\n` : "+OK\r\n";
}

export function err(text: string, code?: RespCode): string {
  return code ? `-ERR [${code}] ${clip(text)}\r\n` : `-ERR ${clip(text)}\r\n`;
}

/** RFC 5034 §4: a server challenge; PLAIN's first one is empty */
export function challenge(base64 = ""): string {
  return base64 ? `+ ${base64}\r\n` : "+ \r\n";
}

/** a multi-line response built from complete lines (none may start with ".") */
export function multiline(first: string, lines: string[]): string {
  let out = ok(first);
  for (const l of lines) out += `${l}\r\n`;
  return out + ".\r\n"; // RFC 1939 §3: the terminating line
}

function clip(text: string): string {
  const t = text.replace(/[\r\n]/g, " ");
  return t.length > MAX_TEXT ? t.slice(0, MAX_TEXT) : t;
}
