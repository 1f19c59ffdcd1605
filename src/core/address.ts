// RFC 5321 §4.1.2 paths and mailboxes (with RFC 6531 UTF-8 when allowed).

export interface Mailbox {
  local: string;
  /** domain as given (address literals keep their brackets), lower-cased */
  domain: string;
  /** local@domain */
  address: string;
  /** contains non-ASCII characters (needs SMTPUTF8) */
  utf8: boolean;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\uFFFF]+$/;
const LABEL = /^[A-Za-z0-9\u0080-\uFFFF]([A-Za-z0-9\-\u0080-\uFFFF]*[A-Za-z0-9\u0080-\uFFFF])?$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const NON_ASCII = /[^\x00-\x7f]/;

const utf8 = new TextEncoder();

/** UTF-8 length of `s` (no encoding for ASCII) */
function octets(s: string): number {
  return NON_ASCII.test(s) ? utf8.encode(s).length : s.length;
}

function fail<T>(error: string): ParseResult<T> {
  return { ok: false, error };
}

export function isValidDomain(d: string): boolean {
  if (d.length === 0 || d.length > 255) return false; // RFC 5321 §4.5.3.1.2
  if (d.startsWith("[") && d.endsWith("]")) return isAddressLiteral(d.slice(1, -1));
  const labels = d.endsWith(".") ? d.slice(0, -1).split(".") : d.split(".");
  return labels.every((l) => l.length > 0 && l.length <= 63 && LABEL.test(l));
}

// RFC 5321 §4.1.3 address literals
function isAddressLiteral(s: string): boolean {
  if (IPV4.test(s)) return true;
  if (/^IPv6:/i.test(s)) return /^[0-9A-Fa-f:.]+$/.test(s.slice(5)) && s.includes(":", 5);
  return false;
}

function isValidLocal(local: string): boolean {
  if (local.length === 0) return false;
  if (local.startsWith('"')) {
    // RFC 5321 §4.1.2 Quoted-string: qtextSMTP / quoted-pairSMTP
    if (local.length < 2 || !local.endsWith('"')) return false;
    const inner = local.slice(1, -1);
    return /^([\x20\x21\x23-\x5b\x5d-\x7e\u0080-\uFFFF]|\\[\x20-\x7e])*$/.test(inner);
  }
  return local.split(".").every((atom) => atom.length > 0 && ATEXT.test(atom));
}

/** Parse "local@domain" (no angle brackets). */
export function parseMailbox(s: string): ParseResult<Mailbox> {
  const at = s.lastIndexOf("@");
  if (at <= 0) return fail(`"${s}" is not local@domain`);
  const local = s.slice(0, at);
  const domain = s.slice(at + 1).toLowerCase();
  if (!isValidLocal(local)) return fail(`invalid local part "${local}"`);
  if (octets(local) > 64) return fail("local part longer than 64 octets"); // RFC 5321 §4.5.3.1.1
  if (!isValidDomain(domain)) return fail(`invalid domain "${domain}"`);
  return {
    ok: true,
    value: { local, domain, address: `${local}@${domain}`, utf8: NON_ASCII.test(s) },
  };
}

/**
 * Parse a Path "<...>" (RFC 5321 §4.1.2), dropping an obsolete source route.
 * `allowNull` accepts "<>" (the reverse-path of a bounce), returned as null.
 */
export function parsePath(s: string, allowNull: boolean): ParseResult<Mailbox | null> {
  if (!s.startsWith("<") || !s.endsWith(">")) return fail("address must be enclosed in <>");
  let inner = s.slice(1, -1);
  if (inner === "") return allowNull ? { ok: true, value: null } : fail("empty address not allowed");
  if (inner.length > 254) return fail("path longer than 256 octets"); // RFC 5321 §4.5.3.1.3
  if (inner.startsWith("@")) {
    const colon = inner.indexOf(":");
    if (colon === -1) return fail("bad source route");
    inner = inner.slice(colon + 1); // RFC 5321 §4.1.1.3: source routes are ignored
  }
  return parseMailbox(inner);
}

/**
 * Split "<path> params..." from MAIL FROM:/RCPT TO: arguments. Tolerates spaces after
 * the colon (many clients send them). Returns the path (with brackets) and the rest.
 */
export function splitPathArg(arg: string): ParseResult<{ path: string; rest: string }> {
  const s = arg.trimStart();
  if (!s.startsWith("<")) return fail("address must be enclosed in <>");
  let inQuote = false;
  for (let i = 1; i < s.length; i++) {
    const c = s[i];
    if (inQuote) {
      if (c === "\\") i++;
      else if (c === '"') inQuote = false;
    } else if (c === '"') inQuote = true;
    else if (c === ">") return { ok: true, value: { path: s.slice(0, i + 1), rest: s.slice(i + 1) } };
  }
  return fail("missing closing >");
}
