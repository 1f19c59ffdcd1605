// Recovery: scan every segment in order, verify each record's CRC, stop a segment's
// scan at the first torn/invalid record (or at its recorded failure limit), and
// rebuild per-message state. Only messages with a COMMIT (or in a BATCH, batch.ts) and
// no DONE are live; chunks of messages that never committed are dropped.
//
// The scan streams: CHUNK payloads are checksummed through a bounded buffer, never
// held; only COMMIT/STATE/BATCH payloads are decoded.

import { unpack } from "msgpackr";
import type { SpoolFs } from "../runtime/fs.ts";
import type { Envelope, QueuedMessage } from "./types.ts";
import {
  crc32,
  HEADER_CRC_OFF,
  HEADER_SIZE,
  readHeader,
  T_CHUNK,
  T_COMMIT,
  T_DONE,
  T_STATE,
  T_BATCH,
} from "./record.ts";
import { expandBatch } from "./batch.ts";
import { type RenderedBatch, RenderedMessage } from "./rendered.ts";
import { parseSegmentName, segmentName } from "./segment.ts";

export interface CommitInfo {
  envelope: Envelope;
  size: number;
  committedAt: number;
}

export interface RecoveredMessage {
  id: string;
  commit?: CommitInfo;
  state?: Record<string, unknown>;
  done: boolean;
  /** seq of the segment holding the DONE record */
  doneSeq: number;
  /** seqs of the segments holding any record of this message, ascending */
  segs: number[];
  /** body extents, flat [seq, offset, length, ...] */
  extents: number[];
  /** a message rendered when read: its batch and its index there (no extents) */
  render?: { batch: RenderedBatch; index: number };
}

/**
 * Is this message live: committed, not removed, and with its whole body present?
 * (A COMMIT whose body extents do not add up to its size lost bytes to a failed
 * write/sync; it was never acknowledged and must not be delivered.)
 */
export function isLive(m: RecoveredMessage): m is RecoveredMessage & { commit: CommitInfo } {
  if (m.commit === undefined || m.done) return false;
  if (m.render !== undefined) return true; // its payload was checked when its batch was read
  let sum = 0;
  const ex = m.extents;
  for (let i = 2; i < ex.length; i += 3) sum += ex[i]!;
  return sum === m.commit.size;
}

/** the queue's view of a live recovered message (`measure`: the size of a rendered one) */
export function toQueued(m: RecoveredMessage & { commit: CommitInfo }, measure: (m: RenderedMessage) => number): QueuedMessage {
  const c = m.commit;
  const msg: QueuedMessage = m.render
    ? new RenderedMessage(m.id, c.envelope, c.committedAt, m.render.batch, m.render.index, measure)
    : { id: m.id, envelope: c.envelope, size: c.size, committedAt: c.committedAt };
  if (m.state !== undefined) msg.state = m.state;
  return msg;
}

export interface ScannedSegment {
  seq: number;
  /** open read-only fd (when the scan was asked to keep fds), else -1 */
  fd: number;
  /** end of the valid records */
  validEnd: number;
  size: number;
  /** recorded failure limit, if any */
  limit?: number;
}

export interface ScanResult {
  segments: ScannedSegment[];
  messages: Map<string, RecoveredMessage>;
  /** highest segment sequence number seen (segments or limit files), 0 if none */
  maxSeq: number;
  /** limit files whose segment no longer exists */
  staleLimits: string[];
}

const SCAN_BUF = 1 << 20;

class Reader {
  readonly buf = new Uint8Array(SCAN_BUF);
  readonly view = new DataView(this.buf.buffer);
  /** file offset of buf[0] */
  base = 0;
  len = 0;

  constructor(
    private readonly fs: SpoolFs,
    private readonly fd: number,
    private readonly end: number,
  ) {}

  /** refill the buffer starting at file offset `at` */
  async fill(at: number): Promise<void> {
    this.base = at;
    this.len = 0;
    const want = Math.min(this.buf.length, this.end - at);
    while (this.len < want) {
      const n = await this.fs.read(this.fd, this.buf, this.len, want - this.len, at + this.len);
      if (n <= 0) break;
      this.len += n;
    }
  }

  /** make [at, at+n) available in the buffer (n <= buffer size); false at EOF */
  async ensure(at: number, n: number): Promise<boolean> {
    if (at >= this.base && at + n <= this.base + this.len) return true;
    await this.fill(at);
    return this.len >= n;
  }

  /** read [at, at+n) into a fresh array; undefined when short */
  async bytes(at: number, n: number): Promise<Uint8Array | undefined> {
    if (n <= this.buf.length) {
      if (!(await this.ensure(at, n))) return undefined;
      return this.buf.slice(at - this.base, at - this.base + n);
    }
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const r = await this.fs.read(this.fd, out, got, n - got, at + got);
      if (r <= 0) return undefined;
      got += r;
    }
    return out;
  }

  /** CRC-32 of [at, at+n), streamed through the buffer; undefined when short */
  async crc(at: number, n: number): Promise<number | undefined> {
    let c = 0;
    let p = at;
    const stop = at + n;
    while (p < stop) {
      if (p < this.base || p >= this.base + this.len) {
        await this.fill(p);
        if (this.len === 0) return undefined;
      }
      const take = Math.min(stop, this.base + this.len) - p;
      c = crc32(this.buf.subarray(p - this.base, p - this.base + take), c);
      p += take;
    }
    return c;
  }
}

function message(map: Map<string, RecoveredMessage>, id: string, seq: number): RecoveredMessage {
  let m = map.get(id);
  if (m === undefined) {
    m = { id, done: false, doneSeq: 0, segs: [seq], extents: [] };
    map.set(id, m);
  } else if (m.segs[m.segs.length - 1] !== seq) {
    m.segs.push(seq);
  }
  return m;
}

/** Scan one segment's records into `map`; returns the end of the last valid record. */
async function scanSegment(
  fs: SpoolFs,
  fd: number,
  seq: number,
  end: number,
  map: Map<string, RecoveredMessage>,
): Promise<number> {
  const r = new Reader(fs, fd, end);
  const hdr = new Uint8Array(HEADER_CRC_OFF);
  let pos = 0;
  while (pos + HEADER_SIZE <= end) {
    if (!(await r.ensure(pos, HEADER_SIZE))) break;
    const h = readHeader(r.buf, r.view, pos - r.base);
    if (h === undefined) break;
    const payloadAt = pos + HEADER_SIZE;
    if (payloadAt + h.length > end) break;
    hdr.set(r.buf.subarray(pos - r.base, pos - r.base + HEADER_CRC_OFF));
    let payload: Uint8Array | undefined;
    let c: number | undefined;
    if (h.type === T_CHUNK) {
      c = await r.crc(payloadAt, h.length);
    } else {
      payload = await r.bytes(payloadAt, h.length);
      if (payload !== undefined) c = crc32(payload);
    }
    if (c === undefined || crc32(hdr, c) !== h.crc) break;
    if (h.type === T_CHUNK) {
      const m = message(map, h.id, seq);
      if (h.length > 0) m.extents.push(seq, payloadAt, h.length);
    } else if (h.type === T_COMMIT) {
      let info: CommitInfo | undefined;
      try {
        info = unpack(payload!) as CommitInfo;
      } catch {
        break;
      }
      message(map, h.id, seq).commit = info;
    } else if (h.type === T_STATE) {
      let state: Record<string, unknown>;
      try {
        state = unpack(payload!) as Record<string, unknown>;
      } catch {
        break;
      }
      message(map, h.id, seq).state = state;
    } else if (h.type === T_BATCH) {
      let ok = false;
      try {
        ok = expandBatch(map, h.id, seq, unpack(payload!));
      } catch {
        // not msgpack
      }
      if (!ok) break;
    } else if (h.type === T_DONE) {
      const m = message(map, h.id, seq);
      m.done = true;
      m.doneSeq = seq;
    }
    pos = payloadAt + h.length;
  }
  return pos;
}

/**
 * Scan the spool directory. With `keepFds`, the segments' read-only fds stay open
 * (returned in `segments`); otherwise they are closed. A segment that disappears
 * while scanning (a running server deleted it) is skipped.
 */
export async function scanSegments(fs: SpoolFs, dir: string, keepFds: boolean): Promise<ScanResult> {
  let names: string[];
  try {
    names = fs.readdir(dir);
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") {
      return { segments: [], messages: new Map(), maxSeq: 0, staleLimits: [] };
    }
    throw e;
  }
  const logs: number[] = [];
  const limits = new Map<number, string>();
  let maxSeq = 0;
  for (const name of names) {
    const p = parseSegmentName(name);
    if (p === undefined) continue;
    if (p.seq > maxSeq) maxSeq = p.seq;
    if (p.kind === "log") logs.push(p.seq);
    else limits.set(p.seq, name);
  }
  logs.sort((a, b) => a - b);
  const messages = new Map<string, RecoveredMessage>();
  const segments: ScannedSegment[] = [];
  for (const seq of logs) {
    let fd: number;
    try {
      fd = fs.openRead(`${dir}/${segmentName(seq)}`);
    } catch (e) {
      if ((e as { code?: string }).code === "ENOENT") continue;
      throw e;
    }
    try {
      const size = fs.size(fd);
      let end = size;
      let limit: number | undefined;
      const lname = limits.get(seq);
      if (lname !== undefined) {
        const txt = fs.readSmallFile(`${dir}/${lname}`);
        const n = txt === undefined ? NaN : parseInt(new TextDecoder().decode(txt), 10);
        if (Number.isSafeInteger(n) && n >= 0) {
          limit = n;
          if (n < end) end = n;
        }
        limits.delete(seq);
      }
      const validEnd = await scanSegment(fs, fd, seq, end, messages);
      segments.push({ seq, fd: keepFds ? fd : -1, validEnd, size, limit });
      if (!keepFds) fs.close(fd);
    } catch (e) {
      fs.close(fd);
      if (keepFds) for (const s of segments) fs.close(s.fd);
      throw e;
    }
  }
  return { segments, messages, maxSeq, staleLimits: [...limits.values()] };
}
