// The contracts between a POP3 session and its surroundings: policy (from config,
// directory and store) and host (the connection, from the listener or a test).

import type { MailStore } from "../store/types.ts";
import type { MaildropLocks } from "./locks.ts";

export interface Pop3Policy {
  hostname: string;
  /** accept USER/PASS and AUTH PLAIN without TLS (testing only) */
  allowInsecureAuth: boolean;
  /** a certificate is configured: offer STLS */
  tlsAvailable: boolean;
  /** longest command line, CRLF not counted */
  maxLineLength: number;
  /** protocol errors before the session is closed */
  maxErrors: number;
  /** failed logins before the session is closed */
  maxAuthFailures: number;
  /** delay before answering the n-th failed login */
  authFailureDelayMs(n: number): number;
  /** the canonical identity when the password matches, else null */
  authenticate(user: string, password: string): Promise<string | null>;
  store: MailStore;
  locks: MaildropLocks;
}

export interface Pop3Host {
  /** queue bytes; false when the output backlog is high (wait for drained()) */
  send(bytes: Uint8Array): boolean;
  /** resolves when the backlog is low again or the connection is gone */
  drained(): Promise<void>;
  /** upgrade the connection to TLS (RFC 2595 §4) */
  startTls(): Promise<void>;
  /** flush and close the connection */
  close(): void;
  now(): number;
  /** one-shot timer, for the failed-login delay only */
  delay(ms: number, fn: () => void): void;
  /** stop (false) or restart (true) reading from the client */
  wantInput?(on: boolean): void;
  log?(event: string, fields: Record<string, unknown>): void;
}
