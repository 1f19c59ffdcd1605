// SASL PLAIN (RFC 4616) and LOGIN exchanges for SMTP AUTH (RFC 4954). Pure.

import { C501, C504, type Reply, reply } from "./replies.ts";
import { decodeBase64Utf8 as b64decode } from "../../core/base64.ts";

export type SaslStep =
  | { kind: "challenge"; text: string } // send "334 text"
  | { kind: "credentials"; user: string; password: string }
  | { kind: "error"; reply: Reply };

export const SASL_MECHANISMS = ["PLAIN", "LOGIN"];

const cancelled = (): SaslStep => ({ kind: "error", reply: reply(C501, "5.7.0", "authentication cancelled") });
const badB64 = (): SaslStep => ({ kind: "error", reply: reply(C501, "5.5.2", "cannot decode base64 response") });

export class SaslExchange {
  private step = 0;
  private user = "";

  constructor(readonly mechanism: string) {}

  /** First step: with the optional initial response of the AUTH command. */
  start(initial?: string): SaslStep {
    switch (this.mechanism) {
      case "PLAIN":
        return initial === undefined ? { kind: "challenge", text: "" } : this.next(initial);
      case "LOGIN":
        if (initial !== undefined) return this.next(initial);
        return { kind: "challenge", text: btoa("Username:") };
      default:
        return { kind: "error", reply: reply(C504, "5.5.4", `mechanism ${this.mechanism} not supported`) };
    }
  }

  /** A client response line. */
  next(line: string): SaslStep {
    if (line === "*") return cancelled(); // RFC 4954 §4
    const text = line === "=" ? "" : b64decode(line); // RFC 4954 §4: "=" is an empty initial response
    if (text === null) return badB64();
    if (this.mechanism === "PLAIN") return plain(text);
    if (this.step++ === 0) {
      this.user = text;
      return { kind: "challenge", text: btoa("Password:") };
    }
    return { kind: "credentials", user: this.user, password: text };
  }
}

// RFC 4616 §2: [authzid] NUL authcid NUL passwd
function plain(text: string): SaslStep {
  const parts = text.split("\0");
  if (parts.length !== 3 || !parts[1]) {
    return { kind: "error", reply: reply(C501, "5.5.2", "PLAIN response must be authzid NUL authcid NUL password") };
  }
  const [authz, user, password] = parts;
  if (authz && authz !== user) {
    return { kind: "error", reply: reply(C501, "5.7.0", "authorization identity must be empty or equal the user") };
  }
  return { kind: "credentials", user, password };
}
