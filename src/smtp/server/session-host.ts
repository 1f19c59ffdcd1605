// The contract between an SMTP server session and its host (the listener), and
// the session's phases. No I/O here: types only.

import type { SaslExchange } from "../../proto/smtp/sasl.ts";
import type { SpoolWriter } from "../../spool/types.ts";
import type { Incoming } from "./intake.ts";
import type { Transaction } from "./transaction.ts";

export interface SessionHost {
  /** send reply bytes (the host batches and handles backpressure) */
  send(bytes: Uint8Array): void;
  /** upgrade to TLS; resolves with the negotiated parameters */
  startTls(): Promise<{ protocol: string; cipher: string }>;
  /** flush and close the connection */
  close(): void;
  begin(): SpoolWriter;
  now(): number;
  /** one-shot timer, for the AUTH failure delay only */
  delay(ms: number, fn: () => void): void;
  /** a message was committed (for logs and metrics) */
  committed?(id: string, size: number): void;
  /** stop (false) or restart (true) reading from the client while an async step runs */
  wantInput?(on: boolean): void;
  /**
   * true while the client is not reading its replies fast enough: the session stops
   * parsing pipelined commands until outputReady() (RFC 2920 §3.1 lets us wait)
   */
  congested?(): boolean;
}
export type Phase =
  | { kind: "fresh" } // before EHLO/HELO
  | { kind: "ready" } // greeted, no transaction
  | { kind: "mail"; tx: Transaction } // MAIL given, RCPTs being added
  | { kind: "data"; tx: Transaction; msg: Incoming } // DATA body streaming
  | { kind: "bdat"; tx: Transaction; msg: Incoming } // between/inside BDAT chunks
  | { kind: "auth"; sasl: SaslExchange }
  | { kind: "busy" } // waiting for spool, TLS or password check
  | { kind: "closed" };
