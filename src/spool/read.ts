// Reading a committed body back from its extents ([segSeq, offset, length] triples):
// streamed with async positional reads, or — for small bodies, whose recent segments
// are in the page cache — whole, with synchronous reads into the caller's buffer.

import type { SpoolFs } from "../runtime/fs.ts";
import { toSpoolError } from "./log.ts";
import type { Segment, SegmentSet } from "./segment.ts";
import { SpoolError } from "./types.ts";

/** readBody yields buffers of at most this many bytes (bodies up to SYNC_READ_MAX: one buffer) */
export const READ_CHUNK = 64 * 1024;
/** bodies up to this size are read whole, synchronously (recent segments are in the page cache) */
export const SYNC_READ_MAX = 1024 * 1024;

/** the segments by seq (a SegmentSet, or a plain map for read-only scans) */
type Segments = Pick<SegmentSet, "get">;

function segmentOf(set: Segments, seq: number): Segment {
  const seg = set.get(seq);
  if (seg === undefined) throw new SpoolError(`spool segment ${seq} is missing`);
  return seg;
}

function checked(r: number, seg: Segment): number {
  if (r <= 0) throw new SpoolError(`spool read failed: short read in ${seg.name}`);
  return r;
}

/** the extents in chunks of at most READ_CHUNK bytes, each a new buffer */
export async function* streamExtents(fs: SpoolFs, set: Segments, ex: number[]): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < ex.length; i += 3) {
    const seg = segmentOf(set, ex[i]!);
    let pos = ex[i + 1]!;
    let left = ex[i + 2]!;
    while (left > 0) {
      const n = left < READ_CHUNK ? left : READ_CHUNK;
      const buf = new Uint8Array(n);
      for (let got = 0; got < n;) {
        let r: number;
        try {
          r = await fs.read(seg.fd, buf, got, n - got, pos + got);
        } catch (err) {
          throw toSpoolError(err, "spool read failed");
        }
        got += checked(r, seg);
      }
      pos += n;
      left -= n;
      yield buf;
    }
  }
}

/** the extents read synchronously into out at start; throws unless they hold exactly `size` bytes */
export function readExtentsSync(fs: SpoolFs, set: Segments, ex: number[], size: number, out: Uint8Array, start: number): number {
  let o = start;
  for (let i = 0; i < ex.length; i += 3) {
    const seg = segmentOf(set, ex[i]!);
    const pos = ex[i + 1]!;
    const len = ex[i + 2]!;
    for (let got = 0; got < len;) {
      let r: number;
      try {
        r = fs.readSync!(seg.fd, out, o + got, len - got, pos + got);
      } catch (err) {
        throw toSpoolError(err, "spool read failed");
      }
      got += checked(r, seg);
    }
    o += len;
  }
  if (o - start !== size) throw new SpoolError(`spool read failed: extents hold ${o - start} bytes, not ${size}`);
  return size;
}
