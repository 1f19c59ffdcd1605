// Start one service per configured listener kind (e.g. imap + imaps); when one
// fails to start, the ones already started stop listening before the error is thrown.

import type { TlsOptions, Transport } from "../runtime/types.ts";
import type { MailStore } from "../store/types.ts";

/** what the mailbox-access services (IMAP, POP3) need from the server */
export interface MailAccessDeps {
  transport: Transport;
  tls: TlsOptions;
  store: MailStore;
  authenticate(user: string, password: string): Promise<string | null>;
  log?: (event: string, fields: Record<string, unknown>) => void;
}

interface Startable {
  start(): Promise<void>;
  stopListening(): Promise<void>;
}

/** started services by kind; make returns undefined for a kind that is switched off */
export async function startServices<K extends string, S extends Startable>(
  kinds: readonly K[],
  make: (kind: K) => S | undefined,
): Promise<Map<K, S>> {
  const started = new Map<K, S>();
  try {
    for (const kind of kinds) {
      const svc = make(kind);
      if (!svc) continue;
      await svc.start();
      started.set(kind, svc);
    }
  } catch (e) {
    for (const s of started.values()) await s.stopListening();
    throw e;
  }
  return started;
}
