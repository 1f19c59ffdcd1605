// Stream a DSN's bytes: head, then the original message's header section (or the
// whole message for RET=FULL), then the closing boundary. Works on any async
// iterable of chunks (the spool's readBody), scanning with indexOf; nothing is
// converted to strings and the body is never held whole.

import type { BuiltDsn } from "./dsn.ts";

/** The header section is cut here if no blank line comes first (a headers-only message). */
export const MAX_HEADER_BYTES = 256 * 1024;

const CR = 13;
const LF = 10;
const CRLF = new Uint8Array([CR, LF]);

const MARK = new Uint8Array([CR, LF, CR, LF]);

/**
 * Copies the header section of a message that arrives in chunks: everything up to
 * and including the CRLF before the first empty line (RFC 5322 §2.1). A CRLFCRLF
 * split across chunks is held back (at most 3 bytes) until the next chunk decides.
 */
export class HeaderCutter {
  /** bytes of MARK seen at the end of the previous chunk and not yet emitted */
  private held = 0;
  private first = true;
  done = false;

  /** the parts of `chunk` that belong to the header section */
  feed(chunk: Uint8Array): Uint8Array[] {
    if (this.done || chunk.length === 0) return [];
    if (this.first) {
      this.first = false;
      // an empty line first: no header fields at all
      if (chunk.length >= 2 && chunk[0] === CR && chunk[1] === LF) return this.finish([]);
    }
    const out: Uint8Array[] = [];
    let p = 0;
    if (this.held > 0) {
      let m = this.held;
      while (m < 4 && p < chunk.length && chunk[p] === MARK[m]) {
        m++;
        p++;
      }
      if (m === 4) return this.finish([CRLF]); // held "\r\n..." ends the section
      if (p === chunk.length) {
        this.held = m;
        return [];
      }
      out.push(MARK.subarray(0, m)); // not the end after all
      this.held = 0;
    }
    const i = indexOfCrlfCrlf(chunk, p);
    if (i !== -1) return this.finish([...out, chunk.subarray(p, i + 2)]);
    const h = partialMark(chunk, p);
    if (chunk.length - h > p) out.push(chunk.subarray(p, chunk.length - h));
    this.held = h;
    return out;
  }

  /** at the end of the message: what is still held (a header section with no body) */
  end(): Uint8Array[] {
    const h = this.held;
    this.held = 0;
    return h > 0 && !this.done ? [MARK.subarray(0, h)] : [];
  }

  private finish(parts: Uint8Array[]): Uint8Array[] {
    this.done = true;
    this.held = 0;
    return parts;
  }
}

/** length of the longest suffix of chunk[from..] that is a proper prefix of MARK */
function partialMark(chunk: Uint8Array, from: number): number {
  for (let h = 3; h >= 1; h--) {
    const start = chunk.length - h;
    if (start < from) continue;
    let ok = true;
    for (let j = 0; j < h; j++) if (chunk[start + j] !== MARK[j]) ok = false;
    if (ok) return h;
  }
  return 0;
}

function indexOfCrlfCrlf(b: Uint8Array, from: number): number {
  for (;;) {
    const i = b.indexOf(CR, from);
    if (i === -1 || i + 3 >= b.length) return -1;
    if (b[i + 1] === LF && b[i + 2] === CR && b[i + 3] === LF) return i;
    from = i + 1;
  }
}

/** The whole DSN message body, streamed. */
export async function* dsnBody(dsn: BuiltDsn, original: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield dsn.head;
  let last = -1; // last byte of the copied content
  if (dsn.include === "full") {
    for await (const chunk of original) {
      if (chunk.length === 0) continue;
      last = chunk[chunk.length - 1]!;
      yield chunk;
    }
  } else {
    const cut = new HeaderCutter();
    let room = MAX_HEADER_BYTES;
    const copy = function* (parts: Uint8Array[]): Generator<Uint8Array> {
      for (const part of parts) {
        const piece = part.length > room ? part.subarray(0, room) : part;
        if (piece.length === 0) continue;
        room -= piece.length;
        last = piece[piece.length - 1]!;
        yield piece;
      }
    };
    for await (const chunk of original) {
      yield* copy(cut.feed(chunk));
      if (cut.done || room === 0) break;
    }
    yield* copy(cut.end());
  }
  if (last !== -1 && last !== LF) yield CRLF;
  yield dsn.tail;
}
