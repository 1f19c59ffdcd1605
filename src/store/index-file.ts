// The per-folder index file ("tern-index" in the folder's directory), msgpackr:
//   { v: 1, uidValidity, uidNext, highestModseq, messages: [[uid, key, file, size, flags, internalDate, modseq], …] }
// `file` is the name relative to the folder ("new/KEY" or "cur/KEY:2,FS").
// Replaced atomically (tmp → fsync → rename → fsync dir) on every change.

import { pack, unpack } from "msgpackr";

export const INDEX_FILE = "tern-index";

export interface IndexEntry {
  uid: number;
  key: string;
  file: string;
  size: number;
  flags: string[];
  internalDate: number;
  modseq: number;
}

export interface FolderIndex {
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  /** sorted by uid */
  messages: IndexEntry[];
}

type Row = [number, string, string, number, string[], number, number];

export function encodeIndex(ix: FolderIndex): Uint8Array {
  const messages: Row[] = ix.messages.map((m) => [m.uid, m.key, m.file, m.size, m.flags, m.internalDate, m.modseq]);
  return pack({ v: 1, uidValidity: ix.uidValidity, uidNext: ix.uidNext, highestModseq: ix.highestModseq, messages });
}

/** undefined when the bytes are not a valid index (the caller rebuilds with a new UIDVALIDITY) */
export function decodeIndex(bytes: Uint8Array): FolderIndex | undefined {
  let raw: unknown;
  try {
    raw = unpack(bytes);
  } catch {
    return undefined;
  }
  const o = raw as { v?: unknown; uidValidity?: unknown; uidNext?: unknown; highestModseq?: unknown; messages?: unknown };
  if (!o || o.v !== 1 || !isPosInt(o.uidValidity) || !isPosInt(o.uidNext) || !isNonNegInt(o.highestModseq) || !Array.isArray(o.messages)) {
    return undefined;
  }
  const messages: IndexEntry[] = [];
  for (const r of o.messages as unknown[]) {
    if (!Array.isArray(r) || r.length !== 7) return undefined;
    const [uid, key, file, size, flags, internalDate, modseq] = r as Row;
    if (!isPosInt(uid) || typeof key !== "string" || typeof file !== "string" || !isNonNegInt(size) || !Array.isArray(flags)) return undefined;
    if (typeof internalDate !== "number" || !isNonNegInt(modseq) || uid >= (o.uidNext as number)) return undefined;
    messages.push({ uid, key, file, size, flags: flags.map(String), internalDate, modseq });
  }
  messages.sort((a, b) => a.uid - b.uid);
  return { uidValidity: o.uidValidity as number, uidNext: o.uidNext as number, highestModseq: o.highestModseq as number, messages };
}

function isPosInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v > 0;
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}
