// Public entry of the spool.
//
//   const spool = await openSpool(dataDir);          // <dataDir>/spool/seg-*.log
//   const w = spool.begin(); w.write(bytes) ...; const msg = await w.commit(envelope);
//
// See segment.ts / log.ts / groupcommit.ts / recovery.ts / record.ts for the design.

import { nodeSpoolFs, type SpoolFs } from "../runtime/fs.ts";
import type { BatchRenderer, QueuedMessage, Spool } from "./types.ts";
import { SegmentSpool, type SpoolOptions } from "./spool.ts";
import { isLive, scanSegments, toQueued } from "./recovery.ts";
import { payloadReader, type RenderedMessage, Renderers } from "./rendered.ts";
import { Segment } from "./segment.ts";

export * from "./types.ts";
export { newQueueId, isQueueId, queueIdTime } from "./id.ts";
export { SegmentSpool, type SpoolOptions, DEFAULT_SEGMENT_SIZE, READ_CHUNK } from "./spool.ts";
export type { SpoolFs } from "../runtime/fs.ts";

/** Open (recover) the spool under `<dataDir>/spool/`. */
export async function openSpool(dataDir: string, opts: SpoolOptions = {}): Promise<Spool> {
  const spool = new SegmentSpool(dataDir, opts);
  await spool.open();
  return spool;
}

/**
 * Read-only listing of the committed, not yet removed messages, sorted by id.
 * Safe while a server is running on the same spool (a partial tail record is ignored;
 * segments deleted meanwhile are skipped). Writes nothing. The size of a message
 * rendered when read (from an HTTP batch) is found with `renderers`; without them it is NaN.
 */
export async function scanSpool(dataDir: string, opts: { fs?: SpoolFs; renderers?: Record<string, BatchRenderer> } = {}): Promise<QueuedMessage[]> {
  const fs = opts.fs ?? nodeSpoolFs;
  const dir = `${dataDir.replace(/\/+$/, "")}/spool`;
  const scan = await scanSegments(fs, dir, opts.renderers !== undefined);
  try {
    const segs = new Map(scan.segments.map((s) => [s.seq, new Segment(s.seq, dir, s.fd)]));
    const render = new Renderers(opts.renderers ?? {}, payloadReader(fs, segs));
    const measure = opts.renderers ? (m: RenderedMessage) => render.size(m) : () => NaN;
    const out: QueuedMessage[] = [];
    for (const m of scan.messages.values()) {
      if (!isLive(m)) continue;
      const q = toQueued(m, measure);
      if (opts.renderers) void q.size; // rendered now, while the segments are open
      out.push(q);
    }
    out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return out;
  } finally {
    for (const s of scan.segments) if (s.fd >= 0) fs.close(s.fd);
  }
}
