// Delivery contracts shared by the queue scheduler, the outbound SMTP relay
// (remote recipients) and local delivery into Maildir (local recipients).

import type { QueuedMessage, Recipient } from "../spool/types.ts";

/** Final or temporary outcome for one recipient of one attempt. */
export type RecipientOutcome =
  | { status: "delivered"; reply?: string; host?: string }
  | { status: "deferred"; reply: string; host?: string } // 4xx, timeouts, I/O errors: retry later
  | { status: "failed"; reply: string; host?: string; enhanced?: string } // 5xx: bounce now
  | { status: "suppressed"; reply: string; host?: undefined }; // on the suppression list: skipped, no DSN

export interface DeliveryResult {
  recipient: Recipient;
  outcome: RecipientOutcome;
}

/**
 * Something that can deliver a spooled message to some of its recipients: the local
 * MDA (Maildir) or the remote relay (SMTP client + pool). It must answer for every
 * recipient it was given, and never throw for a delivery problem (use "deferred").
 */
export interface DeliveryAgent {
  readonly name: "local" | "remote";
  deliver(msg: QueuedMessage, recipients: Recipient[]): Promise<DeliveryResult[]>;
}

/** Per-recipient status as kept in the spool's per-message state (QueuedMessage.state). */
export interface RecipientState {
  address: string;
  status: "queued" | "deferred" | "delivered" | "bounced" | "expired" | "suppressed";
  attempts: number;
  lastReply?: string;
  lastHost?: string;
  /** ms since epoch of the next attempt for deferred recipients */
  nextAttemptAt?: number;
  /** RFC 3463 enhanced status of the last outcome (for DSNs), e.g. "5.1.1" */
  enhanced?: string;
  /** a DSN is owed for this recipient: set with its outcome, cleared once the DSN is spooled */
  dsnPending?: "failed" | "delivered" | "delayed";
  /** a delay DSN was already sent (RFC 3461 NOTIFY=DELAY: once) */
  delayNotified?: boolean;
}

/** The per-message state the scheduler keeps durably in the spool (QueuedMessage.state). */
export interface MessageState {
  /** format version */
  v: 1;
  rcpts: RecipientState[];
  /** attempts on this message (any recipient) */
  attempts: number;
  firstAttemptAt?: number;
  lastAttemptAt?: number;
}

/** One delivery event (one JSON line in <dataDir>/events.log, metrics, webhooks). */
export interface DeliveryEvent {
  type:
    | "delivered" | "deferred" | "bounced" | "expired" | "suppressed" | "queued"
    /** removed by an operator (tern queue delete): no DSN */
    | "deleted"
    /** a DSN was spooled (dsnId, dsnType) */
    | "dsn"
    /** a DSN was owed but not sent: the sender is <> (RFC 3461 §6.2) */
    | "dropped";
  time: number;
  id: string;
  recipient?: string;
  sender?: string;
  host?: string;
  address?: string;
  reply?: string;
  attempt?: number;
  durationMs?: number;
  /** delivery agent that handled the attempt */
  agent?: "local" | "remote";
  /** for type "dsn": the queue id of the DSN message and what it reports */
  dsnId?: string;
  dsnType?: "failed" | "delivered" | "delayed";
}
