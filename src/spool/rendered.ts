// Messages rendered when read (Spool.commitRendered): a batch stored once as a payload
// — the HTTP API keeps a bulk request (template + recipients) as it came — and a
// renderer, registered under the batch's kind (SpoolOptions.renderers), that turns
// payload + message index into the message. Rendering is deterministic (everything
// random or time-dependent is in the payload), so every read of a message, before or
// after a restart, gives the same bytes. A message's size is known once it has been
// rendered (reading its body, or asking for `size`); it is cached per batch.
//
// On disk: the payload is the batch's CHUNK bytes; the BATCH record (batch.ts) names the
// kind and the payload's extents, its members have no extents of their own.

import { Buffer } from "node:buffer";
import { LRUCache } from "lru-cache";
import type { SpoolFs } from "../runtime/fs.ts";
import { readExtentsSync } from "./read.ts";
import type { SegmentSet } from "./segment.ts";
import type { BatchRenderer, Envelope, QueuedMessage } from "./types.ts";
import { SpoolError } from "./types.ts";

/** One stored batch: where its payload is, which renderer renders it. */
export class RenderedBatch {
  /** UTF-8 size of each message once rendered, else -1 */
  readonly sizes: number[];
  constructor(readonly id: string, readonly kind: string, readonly payload: number[], n: number) {
    this.sizes = new Array<number>(n).fill(-1);
  }
}

/** A QueuedMessage whose size is found by rendering it (once). */
export class RenderedMessage implements QueuedMessage {
  state?: Record<string, unknown>;
  constructor(
    readonly id: string,
    readonly envelope: Envelope,
    readonly committedAt: number,
    readonly batch: RenderedBatch,
    readonly index: number,
    private readonly measure: (m: RenderedMessage) => number,
  ) {}

  get size(): number {
    const s = this.batch.sizes[this.index]!;
    return s >= 0 ? s : this.measure(this);
  }

  toJSON(): QueuedMessage {
    const o: QueuedMessage = { id: this.id, envelope: this.envelope, size: this.size, committedAt: this.committedAt };
    if (this.state !== undefined) o.state = this.state;
    return o;
  }
}

type Pieces = (string | Uint8Array)[];

/** Renders RenderedMessages: payloads read and loaded once per batch (a few batches cached). */
export class Renderers {
  private readonly loaded = new LRUCache<string, { value: unknown }>({ max: 32 });
  // the last message rendered: its size is often asked for just before its body
  private last: RenderedMessage | undefined;
  private lastParts: Pieces = [];

  constructor(
    private readonly kinds: Record<string, BatchRenderer>,
    /** the payload bytes of a batch (throws SpoolError) */
    private readonly readPayload: (b: RenderedBatch) => Uint8Array,
  ) {}

  /** is there a renderer for this kind? */
  has(kind: string): boolean {
    return Object.hasOwn(this.kinds, kind);
  }

  /** the message's body as pieces; its size recorded */
  pieces(m: RenderedMessage): Pieces {
    if (m === this.last) return this.lastParts;
    const b = m.batch;
    const r = this.has(b.kind) ? this.kinds[b.kind] : undefined;
    if (r === undefined) throw new SpoolError(`cannot render message ${m.id}: no renderer for ${b.kind}`);
    let parts: Pieces;
    try {
      let l = this.loaded.get(b.id);
      if (l === undefined) {
        l = { value: r.load(this.readPayload(b)) };
        this.loaded.set(b.id, l);
      }
      parts = r.render(l.value, m.index, m.id);
    } catch (e) {
      if (e instanceof SpoolError) throw e;
      throw new SpoolError(`cannot render message ${m.id}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (b.sizes[m.index]! < 0) {
      let n = 0;
      for (const p of parts) n += typeof p === "string" ? Buffer.byteLength(p, "utf8") : p.length;
      b.sizes[m.index] = n;
    }
    this.last = m;
    this.lastParts = parts;
    return parts;
  }

  /** the size of a message (rendered once for it) */
  size(m: RenderedMessage): number {
    const s = m.batch.sizes[m.index]!;
    if (s >= 0) return s;
    this.pieces(m);
    return m.batch.sizes[m.index]!;
  }

  /** the whole body in one new buffer */
  bytes(m: RenderedMessage): Uint8Array {
    const parts = this.pieces(m);
    const out = Buffer.allocUnsafe(m.batch.sizes[m.index]!);
    const n = writePieces(parts, out, 0);
    return new Uint8Array(out.buffer, out.byteOffset, n);
  }

  /** the body written into buf at off (room for its size needed): its size */
  into(m: RenderedMessage, buf: Uint8Array, off: number): number {
    const parts = this.pieces(m);
    const size = m.batch.sizes[m.index]!;
    if (off + size > buf.length) throw new SpoolError(`buffer too small for message ${m.id}`);
    return writePieces(parts, Buffer.from(buf.buffer, buf.byteOffset, buf.length), off) - off;
  }
}

/** reads a batch's payload from the segments */
export function payloadReader(fs: SpoolFs, set: Pick<SegmentSet, "get">): (b: RenderedBatch) => Uint8Array {
  return (b) => {
    if (!fs.readSync) throw new SpoolError("this spool cannot read payloads synchronously");
    const out = new Uint8Array(b.payload[2]!);
    readExtentsSync(fs, set, b.payload, out.length, out, 0);
    return out;
  };
}

function writePieces(parts: Pieces, out: Buffer, off: number): number {
  let o = off;
  for (const p of parts) {
    if (typeof p === "string") o += out.write(p, o, "utf8");
    else {
      out.set(p, o);
      o += p.length;
    }
  }
  return o;
}
