// A batch of messages committed as one unit (Spool.commitBatch: the HTTP API's bulk
// injection). Written as the CHUNK records of a batch id — every byte piece that
// several messages share (the same Uint8Array object) once, each message's own pieces
// after it — then one BATCH record under the batch id:
//
//   msgpackr { v: 1, committedAt, envelope (shared, without rcptTo/smtputf8),
//              members: [[id, rcptTo, size, extents, smtputf8 (0|1)], ...] }
//
// where a member's extents are flat [segSeq, offset, length, ...] triples pointing into
// the batch's CHUNK payloads (shared pieces included), so its body is read back like
// any other message's. Each member is a message of its own from then on: STATE and DONE
// records carry the member's id. Recovery expands a BATCH record into its members only
// when every extent of every member lies inside a valid CHUNK record of the batch — a
// torn or failed write anywhere drops the whole batch (it was never acknowledged).

import { pack } from "msgpackr";
import type { Owner, SegmentLog } from "./log.ts";
import { checkId, T_BATCH } from "./record.ts";
import type { RecoveredMessage } from "./recovery.ts";
import { RenderedBatch } from "./rendered.ts";
import type { BatchEnvelope, BatchMessage, Envelope, Recipient, BatchMember } from "./types.ts";

/** rcptTo: one recipient with only an address as the address string (packs in half the time) */
export type Member = [id: string, rcptTo: string | Recipient[], size: number, extents: number[], smtputf8: 0 | 1];

export interface BatchRecord {
  v: 1;
  committedAt: number;
  envelope: BatchEnvelope;
  members: Member[];
  /** a batch rendered when read (rendered.ts): its kind and payload extents; members have no extents */
  render?: { kind: string; payload: number[] };
}

/** Append the bodies and the BATCH record of `msgs` for `owner`; the members as recorded. Throws. */
export function appendBatch(log: SegmentLog, owner: Owner, batchId: string, envelope: BatchEnvelope, msgs: BatchMessage[], committedAt: number): Member[] {
  const stored = new Map<Uint8Array, number>(); // shared piece → index of its [seq, offset] in `at`
  const at: number[] = [];
  const members: Member[] = new Array(msgs.length);
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i]!;
    checkId(m.id);
    const ex: number[] = [];
    let size = 0;
    for (const p of m.parts) {
      let seq: number;
      let off: number;
      let len: number;
      if (typeof p === "string") {
        if (p.length === 0) continue;
        off = log.appendPiece(owner, batchId, p);
        len = log.pieceLen;
        seq = log.lastSeg!.seq;
      } else {
        len = p.length;
        if (len === 0) continue;
        const k = stored.get(p);
        if (k !== undefined) {
          seq = at[k]!;
          off = at[k + 1]!;
        } else {
          off = log.appendPiece(owner, batchId, p);
          seq = log.lastSeg!.seq;
          stored.set(p, at.length);
          at.push(seq, off);
        }
      }
      const n = ex.length;
      if (n > 0 && ex[n - 3] === seq && ex[n - 2]! + ex[n - 1]! === off) ex[n - 1] = ex[n - 1]! + len;
      else ex.push(seq, off, len);
      size += len;
    }
    members[i] = [m.id, compactRcpt(m.rcptTo), size, ex, m.smtputf8 ? 1 : 0];
  }
  const record: BatchRecord = { v: 1, committedAt, envelope, members };
  log.appendRecord(owner, T_BATCH, batchId, pack(record));
  return members;
}

/** a rendered batch: the payload (one piece) and the BATCH record naming its kind; the members as recorded. Throws. */
export function appendRendered(
  log: SegmentLog, owner: Owner, batchId: string, envelope: BatchEnvelope, kind: string, payload: Uint8Array,
  msgs: BatchMember[], committedAt: number,
): { members: Member[]; payload: number[] } {
  const at = log.appendPiece(owner, batchId, payload);
  const extents = [log.lastSeg!.seq, at, log.pieceLen];
  const members: Member[] = msgs.map((m) => {
    checkId(m.id);
    return [m.id, compactRcpt(m.rcptTo), -1, NO_EXTENTS, m.smtputf8 ? 1 : 0];
  });
  const record: BatchRecord = { v: 1, committedAt, envelope, members, render: { kind, payload: extents } };
  log.appendRecord(owner, T_BATCH, batchId, pack(record));
  return { members, payload: extents };
}

/** the extents of a rendered message: none (frozen: nothing may add any) */
export const NO_EXTENTS: number[] = Object.freeze([]) as unknown as number[];

const compactRcpt = (r: Recipient[]): Member[1] =>
  r.length === 1 && r[0]!.orcpt === undefined && r[0]!.notify === undefined ? r[0]!.address : r;

/** a member's envelope: the shared part with its own recipients */
export function memberEnvelope(shared: BatchEnvelope, rcpt: Member[1], smtputf8: boolean): Envelope {
  const e: Envelope = { ...shared, rcptTo: typeof rcpt === "string" ? [{ address: rcpt }] : rcpt };
  if (smtputf8) e.smtputf8 = true;
  return e;
}

/** the distinct segment seqs of extents, and `last`, ascending */
export function seqsOf(ex: number[], last: number): number[] {
  let one = true;
  for (let i = 0; i < ex.length; i += 3) if (ex[i] !== last) one = false;
  if (one) return [last];
  const s = new Set<number>([last]);
  for (let i = 0; i < ex.length; i += 3) s.add(ex[i]!);
  return [...s].sort((a, b) => a - b);
}

/** is every extent of `ex` inside one of `chunks` (both flat triples)? */
function covered(ex: number[], chunks: number[]): boolean {
  outer: for (let i = 0; i < ex.length; i += 3) {
    const seq = ex[i]!;
    const from = ex[i + 1]!;
    const to = from + ex[i + 2]!;
    for (let k = 0; k < chunks.length; k += 3) {
      if (chunks[k] === seq && chunks[k + 1]! <= from && to <= chunks[k + 1]! + chunks[k + 2]!) continue outer;
    }
    return false;
  }
  return true;
}

function isBatchRecord(r: unknown): r is BatchRecord {
  const b = r as BatchRecord;
  return typeof b === "object" && b !== null && b.v === 1 && Array.isArray(b.members) && typeof b.envelope === "object" &&
    (b.render === undefined || (typeof b.render.kind === "string" && Array.isArray(b.render.payload)));
}

/**
 * Recovery: the members of a BATCH record (found in segment `seq`) into `map`, all of
 * them or — when any byte of any member is missing — none. False for a payload that is
 * not a batch record.
 */
export function expandBatch(map: Map<string, RecoveredMessage>, batchId: string, seq: number, payload: unknown): boolean {
  if (!isBatchRecord(payload)) return false;
  const chunks = map.get(batchId)?.extents ?? [];
  const r = payload.render;
  if (r !== undefined && !covered(r.payload, chunks)) return true;
  for (const m of payload.members) if (!covered(m[3], chunks)) return true;
  const batch = r === undefined ? undefined : new RenderedBatch(batchId, r.kind, r.payload, payload.members.length);
  payload.members.forEach((m, index) => {
    if (map.has(m[0])) return; // an id seen before: never reused, keep the first
    const commit = { envelope: memberEnvelope(payload.envelope, m[1], m[4] === 1), size: m[2], committedAt: payload.committedAt };
    const segs = seqsOf(batch ? batch.payload : m[3], seq);
    const msg: RecoveredMessage = { id: m[0], commit, done: false, doneSeq: 0, segs, extents: batch ? NO_EXTENTS : m[3] };
    if (batch) msg.render = { batch, index };
    map.set(m[0], msg);
  });
  return true;
}
