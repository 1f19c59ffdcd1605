// Start the IMAP listeners from config: imap (STARTTLS, LOGINDISABLED until TLS
// unless auth.allowInsecure) and imaps (implicit TLS, RFC 8314 §3.2).

import type { Config } from "../config/schema.ts";
import { parseHostPort } from "../config/schema.ts";
import { type MailAccessDeps, startServices } from "../net/start-services.ts";
import { ImapService } from "./listener.ts";
import type { ImapPolicy } from "./session.ts";

export { ImapService } from "./listener.ts";
export { type ImapHost, type ImapPolicy, ImapSession } from "./session.ts";

export type ImapDeps = MailAccessDeps;

/** command lines (not literals): long UID sets from sync clients need room */
export const IMAP_MAX_LINE = 65536;

export function imapPolicy(config: Config, deps: ImapDeps): ImapPolicy {
  return {
    hostname: config.hostname,
    tlsAvailable: true,
    allowInsecureAuth: config.auth.allowInsecure,
    maxLine: Math.max(IMAP_MAX_LINE, config.limits.maxLineLength),
    maxLiteral: config.limits.maxMessageSize,
    maxAuthFailures: config.limits.maxAuthFailures,
    maxErrors: config.limits.maxErrors,
    maxCommandsPerSecond: 1000,
    authFailureDelayMs: (n) => Math.min(500 * 2 ** (n - 1), 5000),
    authenticate: deps.authenticate,
    store: deps.store,
  };
}

/** started services by listener name; on error, the ones already started are stopped */
export async function startImap(config: Config, deps: ImapDeps): Promise<Map<"imap" | "imaps", ImapService>> {
  const policy = imapPolicy(config, deps);
  return await startServices(["imap", "imaps"] as const, (kind) => {
    const addr = config.listen[kind];
    if (addr === false) return undefined;
    const { host, port } = parseHostPort(addr);
    return new ImapService({
      transport: deps.transport, host, port, implicitTls: kind === "imaps", tls: deps.tls, policy,
      limits: config.limits, log: deps.log,
    });
  });
}
