// Opening a spool: scan the segments (recovery.ts), take them over (the current one is a
// fresh segment), and rebuild the committed messages with their segment references and
// the tombstones that DONE records need.

import type { SpoolFs } from "../runtime/fs.ts";
import type { Owner, SegmentLog } from "./log.ts";
import { isLive, scanSegments, toQueued } from "./recovery.ts";
import type { RenderedMessage } from "./rendered.ts";
import { Segment } from "./segment.ts";
import type { QueuedMessage } from "./types.ts";

/** a committed message in memory */
export interface Entry extends Owner {
  msg: QueuedMessage;
  removing?: Promise<void>;
}

export async function restore(
  fs: SpoolFs, dir: string, log: SegmentLog, entries: Map<string, Entry>, measure: (m: RenderedMessage) => number,
): Promise<void> {
  const set = log.set;
  fs.mkdirp(dir);
  const scan = await scanSegments(fs, dir, true);
  log.nextSeq = scan.maxSeq + 1;
  const recovered: Segment[] = [];
  for (const s of scan.segments) {
    const seg = new Segment(s.seq, dir, s.fd);
    seg.end = seg.written = seg.synced = s.validEnd;
    if (s.limit !== undefined) {
      seg.failed = true;
      seg.limit = s.limit;
    }
    set.add(seg);
    recovered.push(seg);
  }
  for (const m of scan.messages.values()) {
    const segs = m.segs.map((q) => set.get(q)!);
    if (m.done) {
      // the DONE record must outlive the older segments holding this message
      const doneSeg = set.get(m.doneSeq)!;
      const others = segs.filter((s) => s !== doneSeg);
      if (others.length > 0) set.addTombstone(doneSeg, others);
      continue;
    }
    if (!isLive(m)) continue; // never committed, or body incomplete: dropped
    for (const s of segs) s.refs++;
    entries.set(m.id, { msg: toQueued(m, measure), segs, ends: segs.map(() => 0), extents: m.extents });
  }
  for (const name of scan.staleLimits) {
    try {
      fs.unlink(`${dir}/${name}`);
    } catch {
      // harmless
    }
  }
  const cur = log.openSegment();
  await fs.fsyncDir(dir);
  cur.dirSynced = true;
  for (const seg of recovered) set.maybeCollect(seg);
}
