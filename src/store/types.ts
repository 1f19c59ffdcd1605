// The mailbox store contract (Maildir++ with a per-folder index). Local delivery
// writes through it; POP3 and IMAP read through it. Implemented in src/store/.

export interface StoredMessage {
  uid: number;
  /** Maildir file name (base name, without the ":2,flags" info part) */
  key: string;
  /** size in bytes as stored (CRLF line ends) */
  size: number;
  /** IMAP flags, e.g. "\\Seen", "\\Deleted", and keywords */
  flags: string[];
  /** ms since epoch */
  internalDate: number;
  /** RFC 7162 MODSEQ */
  modseq: number;
}

export interface FolderHandle {
  readonly name: string;
  readonly uidValidity: number;
  readonly uidNext: number;
  readonly highestModseq: number;
  /** UIDNEXT when this handle was opened in this process (before new files were adopted): IMAP's \Recent starts there (RFC 3501 §2.3.2) */
  readonly openUidNext?: number;
  /** messages sorted by uid; call refresh() first to notice other writers. The list is shared until the next change: read-only */
  list(): StoredMessage[];
  /** re-scan the Maildir (files dropped into new/ or removed by another program) */
  refresh(): Promise<void>;
  /** stream the message bytes (never loads them whole) */
  read(uid: number): AsyncIterable<Uint8Array>;
  /** the whole message in one buffer (IMAP FETCH/SEARCH parse it anyway); optional fast path over read() */
  readBytes?(uid: number): Promise<Uint8Array>;
  /**
   * Read a message straight into buf at off (buf needs room for its size + 1): the bytes
   * read, which differ from the listed size when the file changed under us; undefined
   * when it is gone. Optional fast path for large FETCHes.
   */
  readInto?(uid: number, buf: Uint8Array, off: number): number | undefined;
  /** set/add/remove flags; returns the updated messages */
  setFlags(uids: number[], flags: string[], mode: "set" | "add" | "remove"): Promise<StoredMessage[]>;
  /** remove messages durably */
  expunge(uids: number[]): Promise<void>;
  /** add a message (APPEND / delivery); returns its uid */
  append(body: AsyncIterable<Uint8Array> | Uint8Array, flags?: string[], internalDate?: number): Promise<number>;
}

export interface UserMailbox {
  readonly address: string;
  /** "INBOX" first, then the Maildir++ folders ("Sent", "Junk", "Lists.Tern": "." separates levels) */
  folders(): Promise<string[]>;
  /** an existing folder ("INBOX" in any case is the root); rejects with StoreError when there is none */
  folder(name: string): Promise<FolderHandle>;
  /** create a folder (no-op when it exists); rejects with StoreError for an invalid name */
  createFolder(name: string): Promise<FolderHandle>;
  /** bytes used by all folders (for quota) */
  usage(): Promise<number>;
  // Proposed by the IMAP server (optional until the Maildir store implements them):
  /** remove a folder and its messages (not INBOX); IMAP DELETE */
  deleteFolder?(name: string): Promise<void>;
  /** rename a folder and its sub-folders ("A" → "B" moves "A.x" to "B.x"); IMAP RENAME */
  renameFolder?(from: string, to: string): Promise<void>;
  /** subscribed folder names; IMAP LSUB (without it every folder counts as subscribed) */
  subscriptions?(): Promise<string[]>;
  setSubscribed?(name: string, on: boolean): Promise<void>;
}

/** A bad request to the store (invalid folder name, unknown uid…): the message says what. */
export class StoreError extends Error {
  override name = "StoreError";
}

export interface MailStore {
  /** the mailbox of a local user (created with INBOX, Sent, Drafts, Junk, Trash on first use) */
  mailbox(address: string): Promise<UserMailbox>;
  /** wake IDLE sessions: called after a delivery or change */
  onChange(fn: (address: string, folder: string) => void): () => void;
}
