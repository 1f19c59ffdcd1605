// The maildrop as one POP3 session sees it (RFC 1939 §5): a snapshot of INBOX taken
// at login, numbered 1..n, with deletion marks that only QUIT applies.

import type { FolderHandle, StoredMessage } from "../store/types.ts";
import type { Pop3Policy } from "./types.ts";

export type Lookup =
  | { kind: "ok"; msg: StoredMessage }
  | { kind: "missing" }
  | { kind: "deleted" };

export class Maildrop {
  private readonly deleted = new Set<number>(); // message numbers (1-based)
  private readonly messages: StoredMessage[];

  constructor(readonly folder: FolderHandle) {
    this.messages = folder.list();
  }

  /** refresh the folder (notice new deliveries and other writers), then snapshot it */
  static async open(folder: FolderHandle): Promise<Maildrop> {
    await folder.refresh();
    return new Maildrop(folder);
  }

  get count(): number {
    return this.messages.length;
  }

  /** RFC 1939 §5 STAT: messages and octets, deleted ones not counted */
  stat(): { count: number; size: number } {
    let count = 0;
    let size = 0;
    this.forEachLive((_n, m) => {
      count++;
      size += m.size;
    });
    return { count, size };
  }

  get(n: number): Lookup {
    const msg = this.messages[n - 1];
    if (!msg) return { kind: "missing" };
    if (this.deleted.has(n)) return { kind: "deleted" };
    return { kind: "ok", msg };
  }

  /** RFC 1939 §7 UIDL: the unique-id, stable across sessions (UIDVALIDITY.UID) */
  uidl(msg: StoredMessage): string {
    return `${this.folder.uidValidity}.${msg.uid}`;
  }

  forEachLive(fn: (n: number, msg: StoredMessage) => void): void {
    for (let i = 0; i < this.messages.length; i++) {
      if (!this.deleted.has(i + 1)) fn(i + 1, this.messages[i]!);
    }
  }

  markDeleted(n: number): void {
    this.deleted.add(n);
  }

  /** RFC 1939 §5 RSET: unmark every message */
  reset(): void {
    this.deleted.clear();
  }

  get deletedCount(): number {
    return this.deleted.size;
  }

  /** RFC 1939 §6: the UPDATE state removes the marked messages */
  async commit(): Promise<number> {
    const uids = [...this.deleted].map((n) => this.messages[n - 1]!.uid);
    if (uids.length > 0) await this.folder.expunge(uids);
    return uids.length;
  }
}

export type Opened =
  | { kind: "ok"; drop: Maildrop }
  | { kind: "in-use" }
  | { kind: "error"; error: unknown };

/**
 * RFC 1939 §4: lock the maildrop, then open INBOX. On "ok" the caller holds the
 * lock and must release it; otherwise nothing is held.
 */
export async function openMaildrop(policy: Pick<Pop3Policy, "locks" | "store">, identity: string): Promise<Opened> {
  if (!policy.locks.acquire(identity)) return { kind: "in-use" };
  try {
    const mailbox = await policy.store.mailbox(identity);
    return { kind: "ok", drop: await Maildrop.open(await mailbox.folder("INBOX")) };
  } catch (error) {
    policy.locks.release(identity);
    return { kind: "error", error };
  }
}
