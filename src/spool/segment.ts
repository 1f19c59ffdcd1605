// Segment files: naming, per-segment bookkeeping, reference counting and deletion.
//
// A segment is deleted when nothing references it any more and it is not the current
// segment. References are held by:
//   - every open writer and every committed (not yet removed) message with any record
//     in the segment (one reference per owner per segment),
//   - readers in progress (readBody pins the segments of the message it reads),
//   - tombstones: a DONE record for message M in segment X must outlive every older
//     segment holding M's records, or M would come back at the next recovery. So X
//     keeps one reference until those segments are deleted (and the deletion is
//     durable: unlink + directory fsync).

import type { SpoolFs } from "../runtime/fs.ts";

export function segmentName(seq: number): string {
  return `seg-${seq.toString(16).padStart(16, "0")}.log`;
}

/** `seg-<hex>.limit` holds the valid length of a segment whose write or sync failed */
export function limitName(seq: number): string {
  return `seg-${seq.toString(16).padStart(16, "0")}.limit`;
}

const NAME_RE = /^seg-([0-9a-f]{16})\.(log|limit)$/;

export function parseSegmentName(name: string): { seq: number; kind: "log" | "limit" } | undefined {
  const m = NAME_RE.exec(name);
  if (!m) return undefined;
  const seq = parseInt(m[1]!, 16);
  if (!Number.isSafeInteger(seq)) return undefined;
  return { seq, kind: m[2] as "log" | "limit" };
}

export interface Tombstone {
  /** segment holding the DONE record */
  seg: Segment;
  /** number of older segments (with the message's records) not yet deleted */
  pending: number;
}

export class Segment {
  /** logical end: every byte appended so far, staged or written */
  end = 0;
  /** bytes handed to the file system */
  written = 0;
  /** bytes made durable by a completed datasync */
  synced = 0;
  /** set when a write or sync failed: bytes at or beyond `limit` are invalid */
  failed = false;
  limit = Infinity;
  refs = 0;
  /** whether the directory entry of this (new) segment is known durable */
  dirSynced = true;
  /** an in-flight datasync on fd, if any (the fd must not be closed under it) */
  syncing: Promise<void> | null = null;
  deleting = false;
  /** tombstones waiting for this segment to be deleted */
  tombs: Tombstone[] = [];

  constructor(
    readonly seq: number,
    readonly dir: string,
    public fd: number,
  ) {}

  get name(): string {
    return segmentName(this.seq);
  }
  get path(): string {
    return `${this.dir}/${segmentName(this.seq)}`;
  }
  get limitPath(): string {
    return `${this.dir}/${limitName(this.seq)}`;
  }
}

/**
 * The set of live segments with reference counting and serialized, durable deletion.
 * `isCurrent` tells whether a segment is the one being appended to (never deleted).
 */
export class SegmentSet {
  readonly bySeq = new Map<number, Segment>();
  /** serializes deletions and limit-file writes */
  private chain: Promise<void> = Promise.resolve();
  /** last error of a background operation (for diagnostics) */
  lastError: unknown;

  constructor(
    private readonly fs: SpoolFs,
    private readonly dir: string,
    private readonly isCurrent: (seg: Segment) => boolean,
  ) {}

  add(seg: Segment): void {
    this.bySeq.set(seg.seq, seg);
  }

  get(seq: number): Segment | undefined {
    return this.bySeq.get(seq);
  }

  ref(seg: Segment): void {
    seg.refs++;
  }

  release(seg: Segment): void {
    if (--seg.refs <= 0) this.maybeCollect(seg);
  }

  /** Keep `done` alive until every segment in `others` is deleted. */
  addTombstone(done: Segment, others: Segment[]): void {
    const t: Tombstone = { seg: done, pending: others.length };
    done.refs++;
    for (const s of others) s.tombs.push(t);
  }

  maybeCollect(seg: Segment): void {
    if (seg.refs > 0 || seg.deleting || this.isCurrent(seg)) return;
    seg.deleting = true;
    this.bySeq.delete(seg.seq);
    this.enqueue(async () => {
      if (seg.syncing) await seg.syncing.catch(() => {});
      try {
        this.fs.close(seg.fd);
      } catch {
        // already closed or bad fd: the unlink below is what matters
      }
      try {
        this.fs.unlink(seg.path);
        if (seg.failed) {
          try {
            this.fs.unlink(seg.limitPath);
          } catch {
            // a stale limit file is removed at the next open
          }
        }
        await this.fs.fsyncDir(this.dir);
      } catch (e) {
        // The file may still exist: keep the tombstones that wait for it pinned.
        this.lastError = e;
        return;
      }
      for (const t of seg.tombs) {
        if (--t.pending === 0) this.release(t.seg);
      }
      seg.tombs = [];
    });
  }

  /** Record (durably, best effort) the valid length of a failed segment. */
  writeLimit(seg: Segment, limit: number): void {
    const data = new TextEncoder().encode(`${limit}\n`);
    this.enqueue(async () => {
      if (seg.deleting) return;
      try {
        await this.fs.writeSmallFile(seg.limitPath, data);
        await this.fs.fsyncDir(this.dir);
      } catch (e) {
        this.lastError = e;
      }
    });
  }

  private enqueue(op: () => Promise<void>): void {
    this.chain = this.chain.then(op).catch((e) => {
      this.lastError = e;
    });
  }

  /** resolves when the background deletions queued so far are done */
  idle(): Promise<void> {
    return this.chain;
  }

  closeAll(): void {
    for (const seg of this.bySeq.values()) {
      try {
        this.fs.close(seg.fd);
      } catch {
        // ignore
      }
    }
    this.bySeq.clear();
  }
}
