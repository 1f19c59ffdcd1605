// The on-disk record format of spool segments.
//
// A segment file is a sequence of records, each a 32-byte header followed by the payload:
//
//   off  size  field
//   0    4     magic "TRN1" (0x54 0x52 0x4e 0x31)
//   4    1     type (CHUNK=1, COMMIT=2, STATE=3, DONE=4, BATCH=5)
//   5    1     length of the queue id in bytes (1..16)
//   6    2     reserved, 0
//   8    4     payload length, u32 little-endian
//   12   16    queue id, ASCII, zero padded
//   28   4     CRC-32 (zlib polynomial), u32 LE, computed over payload || header[0..28)
//
// The CRC covers the payload first and the header last so that a CHUNK record can be
// extended while it is still in the staging buffer (the payload's CRC taken and the
// header folded in when the record is sealed).
//
// Payloads: CHUNK = raw body bytes; COMMIT = msgpackr {envelope, size, committedAt};
// STATE = msgpackr state object; DONE = empty; BATCH = msgpackr commit of a batch of
// messages whose bodies are the batch's CHUNK bytes (see batch.ts).
// A record whose header or payload is incomplete, whose magic is wrong or whose CRC
// does not match ends the scan of its segment (torn tail).

import { crc32 as zlibCrc32 } from "node:zlib";

export const MAGIC = 0x314e5254; // "TRN1" read as u32 LE
export const HEADER_SIZE = 32;
export const HEADER_CRC_OFF = 28;
export const MAX_ID_BYTES = 16;
/** larger chunks are split into several records */
export const MAX_PAYLOAD = 0x40000000;

export const T_CHUNK = 1;
export const T_COMMIT = 2;
export const T_STATE = 3;
export const T_DONE = 4;
export const T_BATCH = 5;
export type RecordType = 1 | 2 | 3 | 4 | 5;

export function crc32(data: Uint8Array, prev = 0): number {
  return zlibCrc32(data, prev) >>> 0;
}

/**
 * Write a record header into `buf` at `pos`. The CRC field is left for
 * `sealHeader` (or written at once when `payloadCrc` is final and `seal` is true).
 */
export function writeHeader(
  buf: Uint8Array,
  view: DataView,
  pos: number,
  type: RecordType,
  id: string,
  payloadLen: number,
): void {
  view.setUint32(pos, MAGIC, true);
  buf[pos + 4] = type;
  const n = id.length;
  buf[pos + 5] = n;
  buf[pos + 6] = 0;
  buf[pos + 7] = 0;
  view.setUint32(pos + 8, payloadLen, true);
  let i = 0;
  for (; i < n; i++) buf[pos + 12 + i] = id.charCodeAt(i);
  for (; i < MAX_ID_BYTES; i++) buf[pos + 12 + i] = 0;
}

/** Set the payload length and fold the header into the running payload CRC. */
export function sealHeader(
  buf: Uint8Array,
  view: DataView,
  pos: number,
  payloadLen: number,
  payloadCrc: number,
): void {
  view.setUint32(pos + 8, payloadLen, true);
  const c = crc32(buf.subarray(pos, pos + HEADER_CRC_OFF), payloadCrc);
  view.setUint32(pos + HEADER_CRC_OFF, c, true);
}

export interface RecordHeader {
  type: RecordType;
  id: string;
  length: number;
  crc: number;
}

/** Parse a header; undefined when the bytes are not a plausible header. */
export function readHeader(buf: Uint8Array, view: DataView, pos: number): RecordHeader | undefined {
  if (view.getUint32(pos, true) !== MAGIC) return undefined;
  const type = buf[pos + 4]!;
  if (type < T_CHUNK || type > T_BATCH) return undefined;
  const n = buf[pos + 5]!;
  if (n === 0 || n > MAX_ID_BYTES) return undefined;
  let id = "";
  for (let i = 0; i < n; i++) id += String.fromCharCode(buf[pos + 12 + i]!);
  const length = view.getUint32(pos + 8, true);
  if (length > MAX_PAYLOAD) return undefined;
  return { type: type as RecordType, id, length, crc: view.getUint32(pos + HEADER_CRC_OFF, true) };
}

export function checkId(id: string): void {
  if (id.length === 0 || id.length > MAX_ID_BYTES || !/^[\x21-\x7e]+$/.test(id)) {
    throw new Error(`invalid queue id ${JSON.stringify(id)}`);
  }
}
