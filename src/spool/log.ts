// The append side of the segment log: one current segment, one staging buffer.
//
// Records are built in a staging buffer (default 1 MiB) that is written with one
// positional write when it is full, before a sync, when the segment rotates, or on a
// setImmediate-batched idle flush. A CHUNK record that is still in the staging buffer
// is extended in place when the same owner appends again (one record, one extent per
// run of consecutive writes). Payloads larger than half the buffer are written
// directly after the header. Appends are synchronous (page cache); durability comes
// from `syncAll()` (fdatasync of every segment with unsynced bytes, plus a directory
// fsync after a segment was created), driven by the group commit.
//
// On a write or sync failure the segment is marked failed with a valid `limit`
// (bytes before it were written fine / synced), truncated there (best effort), the
// limit is also recorded in `seg-<hex>.limit` for recovery, `onFailure` is told
// (it rejects dependent commits and fails writers with bytes beyond the limit), and
// the next append starts a fresh segment.

import { Buffer } from "node:buffer";
import { setImmediate, clearImmediate } from "node:timers";
import type { SpoolFs } from "../runtime/fs.ts";
import { SpoolError } from "./types.ts";
import {
  crc32,
  HEADER_SIZE,
  MAX_PAYLOAD,
  type RecordType,
  sealHeader,
  T_CHUNK,
  writeHeader,
} from "./record.ts";
import { Segment, segmentName, SegmentSet } from "./segment.ts";

/** Anything that holds records in segments: an open writer or a committed message. */
export interface Owner {
  /** segments this owner has records in (ascending), each referenced once */
  segs: Segment[];
  /** per entry of `segs`, the end offset of the owner's last record there */
  ends: number[];
  /** body extents, flat: [segSeq, offset, length, ...] */
  extents: number[];
}

export function toSpoolError(e: unknown, what = "spool I/O failed"): SpoolError {
  if (e instanceof SpoolError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  const err = new SpoolError(`${what}: ${msg}`);
  (err as { cause?: unknown }).cause = e;
  return err;
}

export interface LogOptions {
  segmentSize: number;
  stagingSize: number;
  onFailure: (seg: Segment, limit: number, err: SpoolError) => void;
}

const utf8 = new TextEncoder();

/** copy bytes, or UTF-8 encode a string, into buf at off: exactly `len` bytes (its size), or throws */
function put(buf: Buffer, off: number, p: string | Uint8Array, len: number): void {
  // Buffer.write: no subarray per string (the cheapest UTF-8 encoder on Bun)
  const n = typeof p === "string" ? buf.write(p, off, len, "utf8") : (buf.set(p, off), p.length);
  if (n !== len) throw new SpoolError(`spool write: piece is not ${len} bytes`);
}

export class SegmentLog {
  current: Segment | null = null;
  readonly set: SegmentSet;
  nextSeq = 1;
  /** segment and end offset of the last record appended by appendRecord/appendChunk */
  lastSeg: Segment | null = null;
  lastEnd = 0;
  /** set by close(): appends throw */
  closed = false;

  private readonly staging: Buffer;
  private readonly view: DataView;
  private used = 0;
  private readonly directThreshold: number;
  private readonly segmentSize: number;
  private readonly dirty = new Set<Segment>();
  // the open (extendable) CHUNK record in the staging buffer
  private openOwner: Owner | null = null;
  private openPos = 0;
  private openLen = 0;
  /** bytes written by the last appendPiece */
  pieceLen = 0;
  private flushTimer: ReturnType<typeof setImmediate> | null = null;
  private readonly onFailure: LogOptions["onFailure"];

  constructor(
    private readonly fs: SpoolFs,
    readonly dir: string,
    opts: LogOptions,
  ) {
    this.staging = Buffer.from(new ArrayBuffer(opts.stagingSize)); // its own memory: `view` offsets are staging offsets
    this.view = new DataView(this.staging.buffer);
    this.directThreshold = opts.stagingSize >> 1;
    this.segmentSize = opts.segmentSize;
    this.onFailure = opts.onFailure;
    this.set = new SegmentSet(fs, dir, (s) => s === this.current);
  }

  /** Create the next segment and make it current. Throws SpoolError. */
  openSegment(): Segment {
    const seq = this.nextSeq++;
    let fd: number;
    try {
      fd = this.fs.create(`${this.dir}/${segmentName(seq)}`);
    } catch (e) {
      throw toSpoolError(e, "cannot create spool segment");
    }
    const seg = new Segment(seq, this.dir, fd);
    seg.dirSynced = false;
    this.set.add(seg);
    this.current = seg;
    return seg;
  }

  private touch(owner: Owner, seg: Segment, end: number): void {
    const n = owner.segs.length;
    if (n > 0 && owner.segs[n - 1] === seg) {
      owner.ends[n - 1] = end;
    } else {
      owner.segs.push(seg);
      owner.ends.push(end);
      seg.refs++;
    }
  }

  /** Append body bytes for `owner` (copied or written before returning). Throws SpoolError. */
  appendChunk(owner: Owner, id: string, chunk: Uint8Array): void {
    const total = chunk.length;
    for (let off = 0; off < total; off += MAX_PAYLOAD) {
      this.appendPiece(owner, id, total <= MAX_PAYLOAD ? chunk : chunk.subarray(off, Math.min(total, off + MAX_PAYLOAD)));
    }
  }

  /**
   * Append body bytes (a string is written UTF-8 encoded) for `owner`, extending its open
   * CHUNK record when it can. Returns the offset of the bytes in `lastSeg`; their number
   * is left in `pieceLen`. Throws SpoolError.
   */
  appendPiece(owner: Owner, id: string, piece: string | Uint8Array): number {
    const cur = this.current;
    const str = typeof piece === "string";
    // UTF-16 code units → at most 3 bytes each; no byteLength (slow on Bun for concatenated strings)
    const most = str ? piece.length * 3 : piece.length;
    // fast path: extend this owner's open record
    if (this.openOwner === owner && cur !== null && this.used + most <= this.staging.length && cur.end + most <= this.segmentSize) {
      const at = cur.end;
      const len = str ? this.staging.write(piece, this.used, most, "utf8") : (this.staging.set(piece, this.used), most);
      this.pieceLen = len;
      this.used += len;
      this.openLen += len;
      const ex = owner.extents;
      const last = ex.length - 1;
      ex[last] = ex[last]! + len;
      cur.end += len;
      owner.ends[owner.ends.length - 1] = cur.end;
      this.lastSeg = cur;
      this.lastEnd = cur.end;
      return at;
    }
    this.seal();
    const len = this.pieceLen = str ? Buffer.byteLength(piece, "utf8") : most;
    if (len > MAX_PAYLOAD) throw new SpoolError(`spool write: a piece of ${len} bytes is larger than a record`);
    if (len > this.directThreshold) return this.appendDirect(owner, T_CHUNK, id, str ? utf8.encode(piece) : piece);
    return this.openRecord(owner, id, piece, len);
  }

  /** a new CHUNK record for `owner` in staging, left open so later bytes extend it; the bytes' offset */
  private openRecord(owner: Owner, id: string, piece: string | Uint8Array, len: number): number {
    const seg = this.reserve(HEADER_SIZE + len);
    const pos = this.used;
    put(this.staging, pos + HEADER_SIZE, piece, len);
    writeHeader(this.staging, this.view, pos, T_CHUNK, id, len);
    this.used = pos + HEADER_SIZE + len;
    this.openOwner = owner;
    this.openPos = pos;
    this.openLen = len;
    const at = seg.end + HEADER_SIZE;
    owner.extents.push(seg.seq, at, len);
    seg.end = at + len;
    this.touch(owner, seg, seg.end);
    this.lastSeg = seg;
    this.lastEnd = seg.end;
    this.scheduleFlush();
    return at;
  }

  /** Append a COMMIT/STATE/DONE record. Throws SpoolError. */
  appendRecord(owner: Owner, type: RecordType, id: string, payload: Uint8Array): void {
    this.seal();
    const len = payload.length;
    if (len > this.directThreshold) {
      this.appendDirect(owner, type, id, payload);
      return;
    }
    const seg = this.reserve(HEADER_SIZE + len);
    const pos = this.used;
    writeHeader(this.staging, this.view, pos, type, id, len);
    if (len > 0) this.staging.set(payload, pos + HEADER_SIZE);
    sealHeader(this.staging, this.view, pos, len, crc32(payload));
    this.used = pos + HEADER_SIZE + len;
    seg.end += HEADER_SIZE + len;
    this.touch(owner, seg, seg.end);
    this.lastSeg = seg;
    this.lastEnd = seg.end;
    this.scheduleFlush();
  }

  /** header through the staging buffer, payload written straight from the caller's buffer; its offset */
  private appendDirect(owner: Owner, type: RecordType, id: string, payload: Uint8Array): number {
    const len = payload.length;
    const seg = this.reserve(HEADER_SIZE + len);
    const pos = this.used;
    writeHeader(this.staging, this.view, pos, type, id, len);
    sealHeader(this.staging, this.view, pos, len, crc32(payload));
    this.used = pos + HEADER_SIZE;
    seg.end += HEADER_SIZE;
    this.flush();
    if (seg.failed) throw new SpoolError("spool write failed");
    const at = seg.written;
    if (!this.writeFully(seg, payload, len)) throw new SpoolError("spool write failed");
    seg.end = seg.written;
    if (type === T_CHUNK) owner.extents.push(seg.seq, at, len);
    this.touch(owner, seg, seg.end);
    this.lastSeg = seg;
    this.lastEnd = seg.end;
    return at;
  }

  /** Make room for `size` bytes in staging and the current segment; returns it. */
  private reserve(size: number): Segment {
    if (this.closed) throw new SpoolError("spool is closed");
    if (this.used + size > this.staging.length) this.flush();
    let seg = this.current;
    if (seg !== null && seg.end > 0 && seg.end + size > this.segmentSize) {
      this.retireCurrent();
      seg = null;
    }
    if (seg === null) seg = this.openSegment();
    return seg;
  }

  /** Stop appending to the current segment (the next append opens a new one). */
  retireCurrent(): void {
    const old = this.current;
    if (old === null) return;
    this.flush();
    if (this.current === old) {
      this.current = null;
      this.set.maybeCollect(old);
    }
  }

  private seal(): void {
    if (this.openOwner === null) return;
    // the payload's CRC in one pass over the finished record
    const from = this.openPos + HEADER_SIZE;
    sealHeader(this.staging, this.view, this.openPos, this.openLen, crc32(this.staging.subarray(from, from + this.openLen)));
    this.openOwner = null;
  }

  /** Write the staging buffer to the current segment. Failures go to fail(). */
  flush(): void {
    if (this.used === 0) return;
    this.seal();
    const seg = this.current!;
    const n = this.used;
    this.used = 0;
    this.writeFully(seg, this.staging, n);
  }

  private writeFully(seg: Segment, buf: Uint8Array, len: number): boolean {
    let off = 0;
    try {
      while (off < len) {
        const n = this.fs.write(seg.fd, buf, off, len - off, seg.written);
        if (!(n > 0)) throw new Error("short write");
        off += n;
        seg.written += n;
      }
    } catch (e) {
      this.fail(seg, seg.written, e);
      return false;
    }
    this.dirty.add(seg);
    return true;
  }

  private scheduleFlush(): void {
    if (this.flushTimer === null) this.flushTimer = setImmediate(this.idleFlush);
  }

  private readonly idleFlush = (): void => {
    this.flushTimer = null;
    this.flush();
  };

  /** Mark `seg` failed: only bytes before `limit` are valid. */
  fail(seg: Segment, limit: number, err: unknown): void {
    if (seg.failed && limit >= seg.limit) return;
    seg.failed = true;
    seg.limit = limit;
    if (seg === this.current) {
      this.used = 0;
      this.openOwner = null;
      this.current = null;
    }
    if (seg.written > limit) seg.written = limit;
    if (seg.synced > limit) seg.synced = limit;
    seg.end = seg.written;
    try {
      this.fs.truncate(seg.fd, limit);
    } catch {
      // the limit file below covers it
    }
    this.set.writeLimit(seg, limit);
    this.onFailure(seg, limit, toSpoolError(err));
    this.set.maybeCollect(seg);
  }

  /**
   * Make everything appended so far durable: flush, fdatasync every segment with
   * unsynced bytes (in parallel), fsync the directory if a segment was created.
   * Never rejects: failures are reported through fail().
   */
  async syncAll(): Promise<void> {
    this.flush();
    const jobs: Promise<void>[] = [];
    for (const seg of this.dirty) {
      if (seg.deleting || seg.written <= seg.synced) continue;
      const end = seg.written;
      let p: Promise<void>;
      try {
        p = this.fs.datasync(seg.fd);
      } catch (e) {
        p = Promise.reject(e);
      }
      const job = p.then(
        () => {
          if (end > seg.synced && !(seg.failed && end > seg.limit)) seg.synced = end;
        },
        (e) => this.fail(seg, seg.synced, e),
      );
      seg.syncing = job;
      jobs.push(job);
    }
    this.dirty.clear();
    let newSegs: Segment[] | null = null;
    for (const seg of this.set.bySeq.values()) {
      if (!seg.dirSynced) (newSegs ??= []).push(seg);
    }
    if (newSegs !== null) {
      const segs = newSegs;
      let p: Promise<void>;
      try {
        p = this.fs.fsyncDir(this.dir);
      } catch (e) {
        p = Promise.reject(e);
      }
      jobs.push(p.then(
        () => {
          for (const s of segs) s.dirSynced = true;
        },
        (e) => {
          for (const s of segs) this.fail(s, 0, e);
        },
      ));
    }
    if (jobs.length === 1) await jobs[0];
    else if (jobs.length > 1) await Promise.all(jobs);
    for (const seg of this.set.bySeq.values()) {
      if (seg.syncing !== null) seg.syncing = null;
    }
  }

  /** Flush, sync, finish background deletions and close every file. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.flushTimer !== null) {
      clearImmediate(this.flushTimer);
      this.flushTimer = null;
    }
    await this.syncAll();
    await this.set.idle();
    this.current = null;
    this.set.closeAll();
  }
}
