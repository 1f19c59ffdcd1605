// RFC 2449 §5 CAPA: what this server offers, by session state.

export interface CapaContext {
  authorized: boolean;
  secure: boolean;
  tlsAvailable: boolean;
  /** plaintext passwords are accepted on this connection now */
  plaintextOk: boolean;
}

export function capabilities(c: CapaContext): string[] {
  const caps = [
    "TOP", // RFC 2449 §6.1
    "UIDL", // RFC 2449 §6.7
    "RESP-CODES", // RFC 2449 §6.4
    "AUTH-RESP-CODE", // RFC 3206 §6
    "PIPELINING", // RFC 2449 §6.6
    "EXPIRE NEVER", // RFC 2449 §6.8: we never delete on our own
  ];
  if (!c.authorized) {
    if (c.plaintextOk) caps.push("USER", "SASL PLAIN"); // RFC 2449 §6.3, RFC 5034 §3
    if (!c.secure && c.tlsAvailable) caps.push("STLS"); // RFC 2595 §4
  }
  caps.push("IMPLEMENTATION Tern"); // RFC 2449 §6.9
  return caps;
}
