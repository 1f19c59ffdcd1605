// The segment-log spool: `Spool`/`SpoolWriter` on top of SegmentLog (appends),
// GroupCommit (shared fdatasyncs) and recovery (scan at open).
//
// In memory per committed message: the QueuedMessage, its body extents
// ([segSeq, offset, length] triples) and the segments it references. Bodies stay on
// disk and are streamed back with positional reads — or, for a batch stored as one
// payload (commitRendered), rendered from it when read (rendered.ts).

import { Buffer } from "node:buffer";
import { pack } from "msgpackr";
import { nodeSpoolFs, type SpoolFs } from "../runtime/fs.ts";
import {
  type BatchEnvelope, type BatchMessage, type BatchRenderer, type Envelope, type QueuedMessage, type BatchMember,
  type Spool, SpoolError, type SpoolWriter,
} from "./types.ts";
import { appendBatch, appendRendered, type Member, memberEnvelope, NO_EXTENTS, seqsOf } from "./batch.ts";
import { payloadReader, RenderedBatch, RenderedMessage, Renderers } from "./rendered.ts";
import { type Entry, restore } from "./restore.ts";
import { newQueueId } from "./id.ts";
import { T_COMMIT, T_DONE, T_STATE } from "./record.ts";
import { type Owner, SegmentLog, toSpoolError } from "./log.ts";
import { dependsOn, GroupCommit, type Waiter } from "./groupcommit.ts";
import type { Segment } from "./segment.ts";
import { readExtentsSync, streamExtents, SYNC_READ_MAX } from "./read.ts";

/** what a batch append leaves for adoptBatch */
interface Appended {
  members: Member[];
  rendered?: RenderedBatch;
}

export interface SpoolOptions {
  /** file-system access (tests wrap it to count syncs or inject failures) */
  fs?: SpoolFs;
  /** rotate to a new segment file beyond this size (default 64 MiB) */
  segmentSize?: number;
  /** staging buffer size (default 1 MiB) */
  stagingSize?: number;
  /** renderers of batches stored as one payload (commitRendered), by kind */
  renderers?: Record<string, BatchRenderer>;
}

export const DEFAULT_SEGMENT_SIZE = 64 * 1024 * 1024;
export const DEFAULT_STAGING_SIZE = 1024 * 1024;
export { READ_CHUNK, SYNC_READ_MAX } from "./read.ts";


const W_OPEN = 0;
const W_COMMITTING = 1;
const W_DONE = 2;

class Writer implements SpoolWriter, Owner {
  size = 0;
  segs: Segment[] = [];
  ends: number[] = [];
  extents: number[] = [];
  failure: SpoolError | null = null;
  st = W_OPEN;

  constructor(
    private readonly spool: SegmentSpool,
    readonly id: string,
  ) {}

  write(chunk: Uint8Array): void {
    if (this.st !== W_OPEN) return;
    const len = chunk.length;
    this.size += len;
    if (this.failure !== null || len === 0) return;
    try {
      this.spool.log.appendChunk(this, this.id, chunk);
    } catch (e) {
      if (this.failure === null) this.failure = toSpoolError(e);
    }
  }

  commit(envelope: Envelope): Promise<QueuedMessage> {
    return this.spool.commitWriter(this, envelope);
  }

  abort(): void {
    if (this.st !== W_OPEN) return;
    this.st = W_DONE;
    this.spool.dropWriter(this);
  }
}

export class SegmentSpool implements Spool {
  readonly dir: string;
  readonly fs: SpoolFs;
  readonly log: SegmentLog;
  readonly gc: GroupCommit;
  private readonly entries = new Map<string, Entry>();
  private readonly writers = new Set<Writer>();
  private opened = false;
  private closed = false;

  constructor(dataDir: string, opts: SpoolOptions = {}) {
    this.dir = `${dataDir.replace(/\/+$/, "")}/spool`;
    this.fs = opts.fs ?? nodeSpoolFs;
    this.log = new SegmentLog(this.fs, this.dir, {
      segmentSize: opts.segmentSize ?? DEFAULT_SEGMENT_SIZE,
      stagingSize: opts.stagingSize ?? DEFAULT_STAGING_SIZE,
      onFailure: (seg, limit, err) => this.onFailure(seg, limit, err),
    });
    this.gc = new GroupCommit(this.log);
    this.render = new Renderers(opts.renderers ?? {}, payloadReader(this.fs, this.log.set));
  }

  private readonly render: Renderers;
  private readonly measure = (m: RenderedMessage): number => this.render.size(m);

  async open(): Promise<void> {
    if (this.opened) return;
    try {
      await restore(this.fs, this.dir, this.log, this.entries, this.measure);
    } catch (e) {
      throw toSpoolError(e, "cannot open spool");
    }
    this.opened = true;
  }

  begin(): SpoolWriter {
    if (!this.opened) throw new SpoolError("spool is not open");
    const w = new Writer(this, newQueueId());
    if (this.closed) w.failure = new SpoolError("spool is closed");
    else this.writers.add(w);
    return w;
  }

  /** @internal */
  commitWriter(w: Writer, envelope: Envelope): Promise<QueuedMessage> {
    const appended = this.appendCommit(w, envelope);
    if (appended instanceof SpoolError) return Promise.reject(appended);
    return new Promise((resolve, reject) => this.gc.add(this.commitWaiter(w, envelope, appended, resolve, reject)));
  }

  /**
   * Commit a batch (batch.ts): bodies and one BATCH record appended now, one group-commit
   * wait; every message becomes a committed entry once synced, or none does.
   */
  commitBatch(envelope: BatchEnvelope, msgs: BatchMessage[]): Promise<QueuedMessage[]> {
    return this.commitUnit(envelope, msgs, (w, at) => ({ members: appendBatch(this.log, w, w.id, envelope, msgs, at) }));
  }

  /** Commit a batch rendered when read (rendered.ts): one payload, one BATCH record. */
  commitRendered(envelope: BatchEnvelope, kind: string, payload: Uint8Array, msgs: BatchMember[]): Promise<QueuedMessage[]> {
    if (!this.render.has(kind)) return Promise.reject(new SpoolError(`no renderer for ${kind}: the messages could not be read back`));
    return this.commitUnit(envelope, msgs, (w, at) => {
      const r = appendRendered(this.log, w, w.id, envelope, kind, payload, msgs, at);
      return { members: r.members, rendered: new RenderedBatch(w.id, kind, r.payload, msgs.length) };
    });
  }

  private commitUnit(envelope: BatchEnvelope, msgs: BatchMember[], append: (w: Writer, committedAt: number) => Appended): Promise<QueuedMessage[]> {
    if (!this.opened) return Promise.reject(new SpoolError("spool is not open"));
    if (this.closed) return Promise.reject(new SpoolError("spool is closed"));
    if (msgs.length === 0) return Promise.resolve([]);
    // (ids come from newQueueId(): unique within the process)
    for (const m of msgs) if (this.entries.has(m.id)) return Promise.reject(new SpoolError(`queue id ${m.id} is in use`));
    // a writer for the batch id: in `writers` while appending, so that a flush failure reaches it
    const w = new Writer(this, newQueueId());
    w.st = W_COMMITTING;
    this.writers.add(w);
    const committedAt = Date.now();
    let done: Appended;
    try {
      done = append(w, committedAt);
    } catch (e) {
      return Promise.reject(this.refuseWriter(w, toSpoolError(e)));
    }
    this.writers.delete(w);
    // recovery drops the whole batch when any of its bytes is missing (batch.ts)
    if (w.failure !== null) return Promise.reject(this.refuseWriter(w, w.failure));
    const recordSeq = this.log.lastSeg!.seq;
    return new Promise((resolve, reject) => this.gc.add({
      segs: w.segs,
      ends: w.ends,
      ok: () => resolve(this.adoptBatch(w, envelope, msgs, done, recordSeq, committedAt)),
      fail: (err) => reject(this.refuseWriter(w, err)),
    }));
  }

  /** the synced members of a batch become entries (each referencing its segments); the batch's own references go */
  private adoptBatch(w: Writer, envelope: BatchEnvelope, msgs: BatchMember[], done: Appended, recordSeq: number, committedAt: number): QueuedMessage[] {
    const set = this.log.set;
    const recordSeg = set.get(recordSeq)!;
    const { members, rendered } = done;
    const out: QueuedMessage[] = new Array(members.length);
    for (let i = 0; i < members.length; i++) {
      const m = members[i]!;
      const seqs = seqsOf(rendered ? rendered.payload : m[3], recordSeq);
      const segs = seqs.length === 1 ? [recordSeg] : seqs.map((q) => set.get(q)!);
      for (const s of segs) s.refs++;
      const env = memberEnvelope(envelope, msgs[i]!.rcptTo, msgs[i]!.smtputf8 === true);
      const msg: QueuedMessage = rendered
        ? new RenderedMessage(m[0], env, committedAt, rendered, i, this.measure)
        : { id: m[0], envelope: env, size: m[2], committedAt };
      this.entries.set(m[0], { msg, segs, ends: seqs.length === 1 ? [0] : segs.map(() => 0), extents: rendered ? NO_EXTENTS : m[3] });
      out[i] = msg;
    }
    w.st = W_DONE;
    this.releaseOwner(w);
    return out;
  }

  /** the COMMIT record of `w` (the time it carries), or the error that refused it */
  private appendCommit(w: Writer, envelope: Envelope): number | SpoolError {
    if (w.st !== W_OPEN) return new SpoolError("message already committed or aborted");
    w.st = W_COMMITTING;
    if (this.closed && w.failure === null) w.failure = new SpoolError("spool is closed");
    if (w.failure !== null) return this.refuseWriter(w, w.failure);
    const committedAt = Date.now();
    try {
      // (w stays in `writers` during the append: a flush failure inside it must reach w)
      this.log.appendRecord(w, T_COMMIT, w.id, pack({ envelope, size: w.size, committedAt }));
    } catch (e) {
      return this.refuseWriter(w, toSpoolError(e));
    }
    this.writers.delete(w);
    if (w.failure !== null) {
      // The append itself flushed and hit a failure that took earlier body bytes with
      // it, but the COMMIT record landed in a fresh segment: cancel it on disk too.
      // (Recovery also drops a commit whose extents do not add up to its size.)
      try {
        this.log.appendRecord(w, T_DONE, w.id, new Uint8Array(0));
      } catch {
        // recovery's size check still keeps it out
      }
      return this.refuseWriter(w, w.failure);
    }
    return committedAt;
  }

  private commitWaiter(w: Writer, envelope: Envelope, committedAt: number, ok: (m: QueuedMessage) => void, fail: (e: SpoolError) => void): Waiter {
    return {
      segs: w.segs,
      ends: w.ends,
      ok: () => {
        w.st = W_DONE;
        const msg: QueuedMessage = { id: w.id, envelope, size: w.size, committedAt };
        this.entries.set(w.id, { msg, segs: w.segs, ends: w.ends, extents: w.extents });
        ok(msg);
      },
      fail: (err) => {
        w.st = W_DONE;
        this.releaseOwner(w);
        fail(err);
      },
    };
  }

  private refuseWriter(w: Writer, err: SpoolError): SpoolError {
    w.st = W_DONE;
    this.writers.delete(w);
    this.releaseOwner(w);
    return err;
  }

  /** @internal */
  dropWriter(w: Writer): void {
    this.writers.delete(w);
    this.releaseOwner(w);
  }

  private releaseOwner(o: Owner): void {
    const segs = o.segs;
    o.segs = [];
    o.ends = [];
    for (const s of segs) this.log.set.release(s);
  }

  private onFailure(seg: Segment, limit: number, err: SpoolError): void {
    this.gc.failAffected(seg, limit, err);
    for (const w of this.writers) {
      if (w.failure === null && dependsOn(w.segs, w.ends, seg, limit)) w.failure = err;
    }
  }

  list(): QueuedMessage[] {
    return Array.from(this.entries.values(), (e) => e.msg);
  }

  get(id: string): QueuedMessage | undefined {
    return this.entries.get(id)?.msg;
  }

  /** number of committed messages in memory */
  get count(): number {
    return this.entries.size;
  }

  async *readBody(id: string): AsyncIterable<Uint8Array> {
    const e = this.entries.get(id);
    if (e === undefined) throw new SpoolError(`no such message: ${id}`);
    if (e.msg instanceof RenderedMessage) {
      yield this.render.bytes(e.msg);
      return;
    }
    const set = this.log.set;
    const pinned = e.segs.slice();
    for (const s of pinned) s.refs++;
    try {
      if (e.msg.size <= SYNC_READ_MAX && this.fs.readSync) {
        // one buffer, no promise per chunk; every byte of it is overwritten
        const out = Buffer.allocUnsafe(e.msg.size);
        readExtentsSync(this.fs, set, e.extents, e.msg.size, out, 0);
        yield new Uint8Array(out.buffer, out.byteOffset, out.length);
        return;
      }
      yield* streamExtents(this.fs, set, e.extents);
    } finally {
      for (const s of pinned) set.release(s);
    }
  }

  /**
   * A body of at most SYNC_READ_MAX bytes read synchronously into buf at off (buf needs
   * room for its size); returns the size, or undefined when this spool cannot (larger
   * body, no synchronous reads): use readBody then. Throws SpoolError.
   */
  readBodyInto(id: string, buf: Uint8Array, off: number): number | undefined {
    const e = this.entries.get(id);
    if (e === undefined) throw new SpoolError(`no such message: ${id}`);
    if (e.msg.size > SYNC_READ_MAX || !this.fs.readSync) return undefined;
    if (e.msg instanceof RenderedMessage) return this.render.into(e.msg, buf, off);
    if (off + e.msg.size > buf.length) throw new SpoolError(`buffer too small for message ${id}`);
    return readExtentsSync(this.fs, this.log.set, e.extents, e.msg.size, buf, off);
  }

  update(id: string, state: Record<string, unknown>): Promise<void> {
    const e = this.entries.get(id);
    if (e === undefined) return Promise.reject(new SpoolError(`no such message: ${id}`));
    if (e.removing !== undefined) return Promise.reject(new SpoolError(`message ${id} is being removed`));
    if (this.closed) return Promise.reject(new SpoolError("spool is closed"));
    try {
      this.log.appendRecord(e, T_STATE, id, pack(state));
    } catch (err) {
      return Promise.reject(toSpoolError(err));
    }
    const seg = this.log.lastSeg!;
    const end = this.log.lastEnd;
    return new Promise((resolve, reject) => {
      this.gc.add({
        segs: [seg],
        ends: [end],
        ok: () => {
          e.msg.state = state;
          resolve();
        },
        fail: reject,
      });
    });
  }

  remove(id: string): Promise<void> {
    const e = this.entries.get(id);
    if (e === undefined) return Promise.resolve();
    if (e.removing !== undefined) return e.removing;
    if (this.closed) return Promise.reject(new SpoolError("spool is closed"));
    try {
      this.log.appendRecord(e, T_DONE, id, new Uint8Array(0));
    } catch (err) {
      return Promise.reject(toSpoolError(err));
    }
    const doneSeg = this.log.lastSeg!;
    const end = this.log.lastEnd;
    const p = new Promise<void>((resolve, reject) => {
      this.gc.add({
        segs: [doneSeg],
        ends: [end],
        ok: () => {
          this.entries.delete(id);
          const others = e.segs.filter((s) => s !== doneSeg);
          if (others.length > 0) this.log.set.addTombstone(doneSeg, others);
          this.releaseOwner(e);
          resolve();
        },
        fail: (err) => {
          e.removing = undefined;
          reject(err);
        },
      });
    });
    e.removing = p;
    return p;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.opened) return;
    await this.gc.idle();
    await this.log.close();
  }
}
