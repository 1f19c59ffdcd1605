// Login helpers: capabilities by state (RFC 3501 §6.1.1, §7.2.1), SASL PLAIN
// (RFC 4616) decoding.

export interface CapabilityState {
  secure: boolean;
  tlsAvailable: boolean;
  allowInsecureAuth: boolean;
  authenticated: boolean;
}

const AFTER_LOGIN = [
  "IMAP4rev1", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE", "NAMESPACE", "UNSELECT", "UIDPLUS", "MOVE",
  "CONDSTORE", "SPECIAL-USE", "CHILDREN", "APPENDLIMIT",
];

export function capabilities(s: CapabilityState, appendLimit: number): string {
  if (s.authenticated) return AFTER_LOGIN.map((c) => (c === "APPENDLIMIT" ? `APPENDLIMIT=${appendLimit}` : c)).join(" ");
  const caps = ["IMAP4rev1", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE", "NAMESPACE"];
  if (!s.secure && s.tlsAvailable) caps.push("STARTTLS");
  if (s.secure || s.allowInsecureAuth) caps.push("AUTH=PLAIN");
  else caps.push("LOGINDISABLED"); // RFC 3501 §6.2.3: no plaintext passwords before TLS
  return caps.join(" ");
}

/** RFC 4616: [authzid] NUL authcid NUL passwd; undefined when malformed */
export function decodePlain(b64: string): { user: string; password: string } | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) return undefined;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
  const parts = text.split("\0");
  if (parts.length !== 3) return undefined;
  const [authz, user, password] = parts as [string, string, string];
  if (!user || !password) return undefined;
  if (authz && authz.toLowerCase() !== user.toLowerCase()) return undefined; // no proxy authorisation
  return { user, password };
}
