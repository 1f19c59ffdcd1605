// SASL PLAIN (RFC 4616) as used by POP3 AUTH (RFC 5034). Pure.

import { decodeBase64Utf8 as b64decode } from "../../core/base64.ts";

export type PlainResult =
  | { kind: "credentials"; user: string; password: string }
  | { kind: "cancelled" }
  | { kind: "error"; reason: string };

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

