// Start the POP3 listeners from config: pop3 (STLS, RFC 2595) and pop3s (implicit
// TLS, RFC 8314 §3.3), sharing one maildrop lock registry.

import type { Config } from "../config/schema.ts";
import { parseHostPort } from "../config/schema.ts";
import { type MailAccessDeps, startServices } from "../net/start-services.ts";
import { Pop3Service } from "./listener.ts";
import { MaildropLocks } from "./locks.ts";
import type { Pop3Policy } from "./types.ts";

export { Pop3Service } from "./listener.ts";
export { MaildropLocks } from "./locks.ts";
export { Pop3Session } from "./session.ts";
export type { Pop3Host, Pop3Policy } from "./types.ts";

export type Pop3Deps = MailAccessDeps;

/** RFC 2449 §4 allows 255 octets; we accept more for long SASL responses */
export const POP3_MAX_LINE = 1024;

/** started services by listener name; on error, the ones already started are stopped */
export async function startPop3(config: Config, deps: Pop3Deps): Promise<Map<"pop3" | "pop3s", Pop3Service>> {
  const locks = new MaildropLocks();
  const policy: Pop3Policy = {
    hostname: config.hostname,
    allowInsecureAuth: config.auth.allowInsecure,
    tlsAvailable: true,
    maxLineLength: POP3_MAX_LINE,
    maxErrors: config.limits.maxErrors,
    maxAuthFailures: config.limits.maxAuthFailures,
    authFailureDelayMs: (n) => Math.min(250 * 2 ** (n - 1), 5000),
    authenticate: deps.authenticate,
    store: deps.store,
    locks,
  };
  return await startServices(["pop3", "pop3s"] as const, (kind) => {
    const addr = config.listen[kind];
    if (addr === false) return undefined;
    const { host, port } = parseHostPort(addr);
    return new Pop3Service({
      transport: deps.transport, host, port, implicitTls: kind === "pop3s", tls: deps.tls, policy,
      limits: config.limits,
      idleMs: config.timeouts.pop3Idle * 1000,
      log: deps.log,
    });
  });
}
