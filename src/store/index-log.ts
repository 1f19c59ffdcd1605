// The folder index's journal ("tern-index.log" beside "tern-index"). A change to a
// folder (a new message, new flags, expunged messages) is one small record appended to
// the journal with one fdatasync, instead of rewriting the whole index: an APPEND to a
// 10,000-message folder costs the same as one to an empty folder. The snapshot
// ("tern-index") is rewritten — and the journal emptied — when the journal has grown to
// a fraction of the folder, and whenever the folder is opened with records to replay.
//
// Record: u32 LE payload length, u32 LE CRC-32 of the payload, msgpack payload:
//   ["a", uid, key, file, size, flags, internalDate, modseq, uidNext, highestModseq]
//   ["f", uid, file, flags, modseq, highestModseq]
//   ["x", [uid, …], highestModseq]
// A torn or corrupt tail ends the replay (the records before it stand).
//
// Replaying is idempotent, so a journal that outlived its snapshot (a crash between the
// snapshot's rename and the journal's truncation) does no harm: an append whose UID is
// below the snapshot's UIDNEXT is already in it (or was expunged since), a flag record
// applies only when it is newer (higher MODSEQ) than the entry, and UIDs are never
// reused, so an expunge removes nothing else.

import { pack, unpack } from "msgpackr";
import { crc32 } from "node:zlib";
import type { FolderIndex, IndexEntry } from "./index-file.ts";

export const INDEX_LOG = "tern-index.log";

export type LogRecord =
  | { t: "append"; entry: IndexEntry; uidNext: number; highestModseq: number }
  | { t: "flags"; uid: number; file: string; flags: string[]; modseq: number; highestModseq: number }
  | { t: "expunge"; uids: number[]; highestModseq: number };

const HEAD = 8;

function payloadOf(r: LogRecord): unknown[] {
  switch (r.t) {
    case "append": {
      const e = r.entry;
      return ["a", e.uid, e.key, e.file, e.size, e.flags, e.internalDate, e.modseq, r.uidNext, r.highestModseq];
    }
    case "flags":
      return ["f", r.uid, r.file, r.flags, r.modseq, r.highestModseq];
    case "expunge":
      return ["x", r.uids, r.highestModseq];
    default: {
      const never: never = r;
      throw new Error(`bad index log record ${String(never)}`);
    }
  }
}

/** the records, framed, in one buffer (one write) */
export function encodeRecords(records: LogRecord[]): Uint8Array {
  const payloads = records.map((r) => pack(payloadOf(r)) as Uint8Array);
  const out = new Uint8Array(payloads.reduce((n, p) => n + HEAD + p.length, 0));
  const view = new DataView(out.buffer);
  let pos = 0;
  for (const p of payloads) {
    view.setUint32(pos, p.length, true);
    view.setUint32(pos + 4, crc32(p) >>> 0, true);
    out.set(p, pos + HEAD);
    pos += HEAD + p.length;
  }
  return out;
}

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");

function recordOf(p: unknown): LogRecord | undefined {
  if (!Array.isArray(p)) return undefined;
  switch (p[0]) {
    case "a": {
      const [, uid, key, file, size, flags, internalDate, modseq, uidNext, highestModseq] = p;
      if (!isInt(uid) || uid === 0 || typeof key !== "string" || typeof file !== "string" || !isInt(size) || !isStrings(flags)) return undefined;
      if (typeof internalDate !== "number" || !isInt(modseq) || !isInt(uidNext) || uidNext <= uid || !isInt(highestModseq)) return undefined;
      return { t: "append", entry: { uid, key, file, size, flags, internalDate, modseq }, uidNext, highestModseq };
    }
    case "f": {
      const [, uid, file, flags, modseq, highestModseq] = p;
      if (!isInt(uid) || typeof file !== "string" || !isStrings(flags) || !isInt(modseq) || !isInt(highestModseq)) return undefined;
      return { t: "flags", uid, file, flags, modseq, highestModseq };
    }
    case "x": {
      const [, uids, highestModseq] = p;
      if (!Array.isArray(uids) || !uids.every(isInt) || !isInt(highestModseq)) return undefined;
      return { t: "expunge", uids, highestModseq };
    }
    default:
      return undefined;
  }
}

/** the records of a journal up to its first torn or corrupt one */
export function decodeLog(bytes: Uint8Array): { records: LogRecord[]; torn: boolean } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: LogRecord[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    if (pos + HEAD > bytes.length) return { records, torn: true };
    const len = view.getUint32(pos, true);
    const end = pos + HEAD + len;
    if (end > bytes.length) return { records, torn: true };
    const payload = bytes.subarray(pos + HEAD, end);
    if ((crc32(payload) >>> 0) !== view.getUint32(pos + 4, true)) return { records, torn: true };
    let r: LogRecord | undefined;
    try {
      r = recordOf(unpack(payload));
    } catch {
      r = undefined;
    }
    if (!r) return { records, torn: true };
    records.push(r);
    pos = end;
  }
  return { records, torn: false };
}

/** apply records to an index loaded from the snapshot (idempotent; see the top of the file) */
export function replay(ix: FolderIndex, records: LogRecord[]): void {
  const byUid = new Map(ix.messages.map((m) => [m.uid, m]));
  let gone: Set<number> | undefined;
  for (const r of records) {
    switch (r.t) {
      case "append":
        if (r.entry.uid >= ix.uidNext) {
          const e = { ...r.entry, flags: [...r.entry.flags] };
          ix.messages.push(e); // above every UID so far: the order stays sorted
          byUid.set(e.uid, e);
        }
        ix.uidNext = Math.max(ix.uidNext, r.uidNext);
        break;
      case "flags": {
        const m = byUid.get(r.uid);
        if (m && r.modseq > m.modseq) {
          m.flags = [...r.flags];
          m.file = r.file;
          m.modseq = r.modseq;
        }
        break;
      }
      case "expunge":
        for (const uid of r.uids) {
          if (byUid.delete(uid)) (gone ??= new Set()).add(uid);
        }
        break;
      default: {
        const never: never = r;
        throw new Error(`bad index log record ${String(never)}`);
      }
    }
    ix.highestModseq = Math.max(ix.highestModseq, r.highestModseq);
  }
  if (gone) ix.messages = ix.messages.filter((m) => !gone!.has(m.uid));
}
