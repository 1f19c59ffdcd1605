// The selected mailbox as this session's client knows it: message sequence
// numbers ↔ UIDs and the flags last reported. sync() compares it with the store
// and produces the untagged EXPUNGE / EXISTS / FETCH updates (RFC 3501 §7.3.1,
// §7.4.1, §7.4.2) that bring the client up to date.

import { flagList } from "../proto/imap/response.ts";
import { type SeqSet, resolveRange, selectSorted } from "../proto/imap/seqset.ts";
import type { FolderHandle, StoredMessage } from "../store/types.ts";
import { RecentSet } from "./recent.ts";

export class MailboxView {
  /** uids in sequence-number order (index = seq - 1) */
  uids: number[] = [];
  /** modseq last reported per uid */
  private known = new Map<number, number>();
  /** the store's messages by uid, as of the last snapshot() */
  byUid = new Map<number, StoredMessage>();
  /** the folder's list the client was last brought fully up to date with */
  private synced: StoredMessage[] | undefined;
  /** the folder's list that byUid was built from */
  private listed: StoredMessage[] | undefined;
  /** this session's \Recent messages (RFC 3501 §2.3.2); SELECT claims them, EXAMINE only looks */
  readonly recent: RecentSet;

  constructor(readonly folder: FolderHandle, readonly name: string, readonly readOnly: boolean) {
    const list = folder.list();
    this.listed = list;
    for (const m of list) {
      this.uids.push(m.uid);
      this.known.set(m.uid, m.modseq);
      this.byUid.set(m.uid, m);
    }
    this.recent = new RecentSet(folder, !readOnly);
    this.recent.see(this.lastUid);
  }

  get lastUid(): number {
    return this.uids.length ? this.uids[this.uids.length - 1]! : 0;
  }

  /** `* n RECENT` (RFC 3501 §7.3.2) */
  get recentCount(): number {
    return this.recent.count(this.uids);
  }

  /** the FLAGS list as this session sees it: stored flags, plus \Recent when it is recent here */
  flagText(m: StoredMessage): string {
    const recent = this.recent;
    if (recent.empty || !recent.has(m.uid)) return flagList(m.flags);
    return m.flags.length ? `(${m.flags.join(" ")} \\Recent)` : "(\\Recent)";
  }

  get exists(): number {
    return this.uids.length;
  }

  /** refresh byUid from the store (messages removed by others disappear from it) */
  snapshot(): Map<number, StoredMessage> {
    const list = this.folder.list(); // the same array until the folder changes
    if (list !== this.listed) {
      this.listed = list;
      this.byUid = new Map(list.map((m) => [m.uid, m]));
    }
    return this.byUid;
  }

  /** sequence number of a uid, 0 when not in the view */
  seqOf(uid: number): number {
    let lo = 0;
    let hi = this.uids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.uids[mid]! < uid) lo = mid + 1;
      else hi = mid;
    }
    return this.uids[lo] === uid ? lo + 1 : 0;
  }

  /** indexes (seq - 1) selected by a sequence set or a UID set */
  select(set: SeqSet, uid: boolean): number[] {
    if (uid) {
      const max = this.uids.length ? this.uids[this.uids.length - 1]! : 0;
      return selectSorted(this.uids, set, max);
    }
    const n = this.uids.length;
    const hit = new Set<number>();
    for (const r of set) {
      const [lo, hi] = resolveRange(r, n);
      for (let s = Math.max(lo, 1); s <= Math.min(hi, n); s++) hit.add(s - 1);
    }
    return [...hit].sort((a, b) => a - b);
  }

  /** the client now knows this message's flags */
  noteReported(m: StoredMessage): void {
    this.known.set(m.uid, m.modseq);
  }

  /**
   * Bring the client up to date. Expunges are reported only when allowed
   * (RFC 3501 §7.4.1: not during FETCH, STORE or SEARCH); EXISTS and flag changes always.
   */
  sync(allowExpunge: boolean, withModseq: boolean, emit: (line: string) => void): void {
    const now = this.snapshot();
    if (this.listed === this.synced) return; // the folder has not changed since the client was told all
    if (allowExpunge) {
      let removed = false;
      for (let i = this.uids.length - 1; i >= 0; i--) {
        const uid = this.uids[i]!;
        if (now.has(uid)) continue;
        emit(`* ${i + 1} EXPUNGE`); // descending order: lower numbers are unaffected
        this.known.delete(uid);
        this.uids[i] = -1;
        removed = true;
      }
      if (removed) this.uids = this.uids.filter((u) => u !== -1);
    }
    const last = this.uids.length ? this.uids[this.uids.length - 1]! : 0;
    let added = false;
    for (const m of now.values()) {
      if (m.uid <= last) continue;
      this.uids.push(m.uid);
      this.known.set(m.uid, m.modseq);
      added = true;
    }
    if (added) {
      this.uids.sort((a, b) => a - b);
      this.recent.see(this.lastUid); // new arrivals are recent here unless another session took them
      emit(`* ${this.uids.length} EXISTS`);
      emit(`* ${this.recentCount} RECENT`); // RFC 3501 §7.3.2
    }
    for (let i = 0; i < this.uids.length; i++) {
      const m = now.get(this.uids[i]!);
      if (!m || this.known.get(m.uid) === m.modseq) continue;
      this.known.set(m.uid, m.modseq);
      emit(`* ${i + 1} FETCH (UID ${m.uid} FLAGS ${this.flagText(m)}${withModseq ? ` MODSEQ (${m.modseq})` : ""})`);
    }
    // in step with this list, unless expunges were held back (RFC 3501 §7.4.1)
    this.synced = this.uids.length === now.size ? this.listed : undefined;
  }
}
