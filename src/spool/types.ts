// The spool contract: what the SMTP server (and later the HTTP API and the outbound
// engine) rely on. A message is durable once commit() resolves.

export type DsnNotify = "NEVER" | "SUCCESS" | "FAILURE" | "DELAY";

export interface Recipient {
  /** the address as given in RCPT TO (without angle brackets) */
  address: string;
  /** RFC 3461 ORCPT, as given (addr-type;xtext) */
  orcpt?: string;
  /** RFC 3461 NOTIFY */
  notify?: DsnNotify[];
}

export interface ClientInfo {
  address: string;
  port: number;
  helo: string;
  /** listener name: "smtp" | "submission" | "submissions" | "http" ... */
  listener: string;
  tls?: { protocol: string; cipher: string };
}

export interface Envelope {
  /** "" for the null reverse-path <> */
  mailFrom: string;
  rcptTo: Recipient[];
  /** RFC 3461 RET and ENVID */
  dsn?: { ret?: "FULL" | "HDRS"; envid?: string };
  /** RFC 6152 / RFC 3030 BODY= */
  body?: "7BIT" | "8BITMIME" | "BINARYMIME";
  smtputf8?: boolean;
  /** authenticated identity (SMTP AUTH or API key), when any */
  auth?: string;
  client: ClientInfo;
  /** ms since epoch, when the transaction started */
  receivedAt: number;
}

/** what the messages of a batch share */
export type BatchEnvelope = Omit<Envelope, "rcptTo" | "smtputf8">;

/** One message of a batch (Spool.commitRendered: its body comes from the batch's renderer). */
export interface BatchMember {
  /** its queue id, from newQueueId() (the caller needs it for the Received field) */
  id: string;
  rcptTo: Recipient[];
  smtputf8?: boolean;
}

/** One message of Spool.commitBatch. */
export interface BatchMessage extends BatchMember {
  /**
   * the body in pieces: strings are written UTF-8 encoded; a Uint8Array given (the same
   * object) for several messages of the batch is stored once
   */
  parts: (string | Uint8Array)[];
}

/**
 * Turns a stored batch payload into messages (SpoolOptions.renderers, by kind). Must be
 * deterministic: the same payload, index and id give the same bytes, every time.
 */
export interface BatchRenderer {
  /** decode a payload (once per batch; the result is cached for a while) */
  load(payload: Uint8Array): unknown;
  /** message `index` of the batch, queue id `id`: its body in pieces (strings are UTF-8) */
  render(loaded: unknown, index: number, id: string): (string | Uint8Array)[];
}

export interface QueuedMessage {
  id: string;
  envelope: Envelope;
  /** body size in bytes as stored */
  size: number;
  /** ms since epoch, when commit became durable */
  committedAt: number;
  /** free-form per-message state owned by the outbound engine (attempts, status) */
  state?: Record<string, unknown>;
}

/** Raised for any spool I/O failure; the SMTP layer turns it into 452 4.3.1. */
export class SpoolError extends Error {
  override name = "SpoolError";
}

export interface SpoolWriter {
  readonly id: string;
  /** body bytes so far */
  readonly size: number;
  /**
   * Append body bytes. The bytes are copied (or written) before returning, so the
   * caller may reuse the buffer. Never throws: a failure is remembered and
   * reported by commit().
   */
  write(chunk: Uint8Array): void;
  /** Make body + envelope durable. Rejects with SpoolError on any I/O failure. */
  commit(envelope: Envelope): Promise<QueuedMessage>;
  /** Forget this message; its bytes are never delivered. */
  abort(): void;
}

export interface Spool {
  /** Scan what is on disk and rebuild the in-memory queue. */
  open(): Promise<void>;
  begin(): SpoolWriter;
  /**
   * Commit many messages that share an envelope but for their recipients (an HTTP
   * batch) as one unit: byte pieces given for several messages stored once, one commit
   * record, one fsync wait. All become durable, or none does (rejects with SpoolError).
   */
  commitBatch(envelope: BatchEnvelope, messages: BatchMessage[]): Promise<QueuedMessage[]>;
  /**
   * Commit a batch stored as one payload whose messages are rendered when read, by the
   * renderer registered for `kind` (see rendered.ts). All or nothing, like commitBatch.
   */
  commitRendered(envelope: BatchEnvelope, kind: string, payload: Uint8Array, messages: BatchMember[]): Promise<QueuedMessage[]>;
  list(): QueuedMessage[];
  /** number of committed messages (without copying the list) */
  readonly count: number;
  get(id: string): QueuedMessage | undefined;
  /** Stream a committed body back (never loads it whole). */
  readBody(id: string): AsyncIterable<Uint8Array>;
  /**
   * A small committed body read at once into buf at off (room for its size needed): its
   * size, or undefined when it must be streamed with readBody. Optional fast path.
   */
  readBodyInto?(id: string, buf: Uint8Array, off: number): number | undefined;
  /** Durably record new per-message state (outbound attempts etc). */
  update(id: string, state: Record<string, unknown>): Promise<void>;
  /** Durably remove a message (every recipient has a final status). */
  remove(id: string): Promise<void>;
  /** Flush and close files; pending commits complete first. */
  close(): Promise<void>;
}

/**
 * A writer (or a filter wrapped around it) refused the message at commit: the SMTP
 * layer answers with this reply (e.g. 554 5.7.1 for a virus) instead of 250.
 */
export class CommitRejected extends Error {
  override name = "CommitRejected";
  constructor(readonly code: number, readonly status: string, readonly text: string) {
    super(`${code} ${status} ${text}`);
  }
}
