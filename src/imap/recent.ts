// \Recent (RFC 3501 §2.3.2): a message is recent in exactly one session — the first
// that SELECTs its mailbox after it arrived, or the one that has the mailbox selected
// when it arrives. As in Dovecot, each folder keeps the first UID not yet claimed; a
// SELECTing session claims every UID from there to the newest it has seen. EXAMINE
// (read-only) sessions see unclaimed messages as recent without claiming them.
//
// The claim mark lives in memory, shared by the process's sessions through the shared
// folder handle. After a restart it starts at the UIDNEXT the folder had when it was
// opened (FolderHandle.openUidNext), so messages that arrived earlier are not recent.

import type { FolderHandle, StoredMessage } from "../store/types.ts";

interface FolderMark {
  uidValidity: number;
  /** the first UID no session has claimed */
  next: number;
}

const marks = new WeakMap<FolderHandle, FolderMark>();

function markOf(folder: FolderHandle): FolderMark {
  let m = marks.get(folder);
  if (!m || m.uidValidity !== folder.uidValidity) {
    // a new UIDVALIDITY renumbers everything: nothing old is recent
    const next = m ? folder.uidNext : folder.openUidNext ?? folder.uidNext;
    m = { uidValidity: folder.uidValidity, next };
    marks.set(folder, m);
  }
  return m;
}

/** STATUS (RECENT) of a mailbox this session has not selected: messages nobody has claimed (RFC 3501 §6.3.10) */
export function unclaimedCount(folder: FolderHandle, list: readonly StoredMessage[]): number {
  const next = markOf(folder).next;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.uid < next) lo = mid + 1;
    else hi = mid;
  }
  return list.length - lo;
}

/** the UIDs that are recent in one session's selected mailbox */
export class RecentSet {
  /** [lo, hi) pairs, ascending and disjoint; usually none or one */
  private ranges: number[] = [];

  /** claim: SELECT (true) or EXAMINE (false, RFC 3501 §6.3.2: no per-user state changes) */
  constructor(private readonly folder: FolderHandle, private readonly claim: boolean) {}

  /** the session now knows every message up to `lastUid`: take those nobody has claimed */
  see(lastUid: number): void {
    const mark = markOf(this.folder);
    if (lastUid < mark.next) return;
    this.add(mark.next, lastUid + 1);
    if (this.claim) mark.next = lastUid + 1;
  }

  /** true when no message is recent in this session (FETCH skips the check) */
  get empty(): boolean {
    return this.ranges.length === 0;
  }

  has(uid: number): boolean {
    const r = this.ranges;
    for (let i = 0; i < r.length; i += 2) {
      if (uid < r[i]!) return false;
      if (uid < r[i + 1]!) return true;
    }
    return false;
  }

  /** how many of these (sorted) UIDs are recent: the `* n RECENT` count (RFC 3501 §7.3.2) */
  count(uids: readonly number[]): number {
    if (this.ranges.length === 0) return 0;
    let n = 0;
    for (let i = uids.length - 1; i >= 0; i--) if (this.has(uids[i]!)) n++;
    return n;
  }

  private add(lo: number, hi: number): void {
    const r = this.ranges;
    const last = r.length - 1;
    if (last > 0 && lo <= r[last]!) {
      r[last] = Math.max(r[last]!, hi); // overlaps or touches the newest range
      return;
    }
    r.push(lo, hi);
  }
}
