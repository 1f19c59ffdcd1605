// SASL PLAIN (RFC 4616) as used by POP3 AUTH (RFC 5034). Pure.

export type PlainResult =
  | { kind: "credentials"; user: string; password: string }
  | { kind: "cancelled" }
  | { kind: "error"; reason: string };

const dec = new TextDecoder("utf-8", { fatal: true });
const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** one client response line (base64, "=" for empty, "*" to cancel) */
export function decodePlain(line: string): PlainResult {
  if (line === "*") return { kind: "cancelled" }; // RFC 5034 §4
  const text = line === "=" ? "" : b64decode(line); // RFC 5034 §4: "=" is an empty response
  if (text === null) return { kind: "error", reason: "cannot decode base64 response" };
  // RFC 4616 §2: [authzid] NUL authcid NUL passwd
  const parts = text.split("\0");
  if (parts.length !== 3 || !parts[1]) {
    return { kind: "error", reason: "PLAIN response must be authzid NUL authcid NUL password" };
  }
  const [authz, user, password] = parts as [string, string, string];
  if (authz && authz !== user) return { kind: "error", reason: "authorization identity must be empty or equal the user" };
  return { kind: "credentials", user, password };
}

function b64decode(s: string): string | null {
  if (!B64.test(s) || s.length % 4 !== 0) return null;
  try {
    const bin = atob(s);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return dec.decode(bytes);
  } catch {
    return null;
  }
}
