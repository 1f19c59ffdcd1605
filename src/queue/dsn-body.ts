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

/**
 * Finds the end of the header section (the CRLF CRLF that starts the body) across
 * chunk boundaries. feed() returns how many bytes of the chunk belong to the header
 * section (including its last CRLF, excluding the empty line), or -1 if it goes on.
 */
export class HeaderCutter {
  /** the last bytes seen, for a CRLFCRLF split across chunks */
  private tail = [0, 0, 0];
  private seen = 0;

  feed(chunk: Uint8Array): number {
    // a message that starts with an empty line has no header fields
    if (this.seen === 0 && chunk.length >= 2 && chunk[0] === CR && chunk[1] === LF) return 0;
    // split marker: check the 3 positions that straddle the previous chunk
    for (let k = 1; k <= 3 && k <= chunk.length; k++) {
      if (this.straddles(chunk, k)) {
        this.seen += k;
        return Math.max(0, k - 2);
      }
    }
    const i = indexOfCrlfCrlf(chunk);
    if (i !== -1) {
      this.seen += i + 4;
      return i + 2;
    }
    this.seen += chunk.length;
    const n = chunk.length;
    const t = this.tail;
    if (n >= 3) {
      t[0] = chunk[n - 3]!;
      t[1] = chunk[n - 2]!;
      t[2] = chunk[n - 1]!;
    } else {
      for (let j = 0; j < n; j++) {
        t.shift();
        t.push(chunk[j]!);
      }
    }
    return -1;
  }

  /** does CRLFCRLF end at position k-1 of chunk, starting in the previous chunk? */
  private straddles(chunk: Uint8Array, k: number): boolean {
    const want = [CR, LF, CR, LF];
    const fromPrev = 4 - k;
    if (this.seen < fromPrev) return false;
    for (let j = 0; j < fromPrev; j++) if (this.tail[3 - fromPrev + j] !== want[j]) return false;
    for (let j = 0; j < k; j++) if (chunk[j] !== want[fromPrev + j]) return false;
    return true;
  }
}

function indexOfCrlfCrlf(b: Uint8Array): number {
  let from = 0;
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
    let copied = 0;
    for await (const chunk of original) {
      if (chunk.length === 0) continue;
      const n = cut.feed(chunk);
      const room = MAX_HEADER_BYTES - copied;
      const take = Math.min(n === -1 ? chunk.length : n, room);
      if (take > 0) {
        yield chunk.subarray(0, take);
        copied += take;
        last = chunk[take - 1]!;
      }
      if (n !== -1 || copied >= MAX_HEADER_BYTES) break;
    }
  }
  if (last !== -1 && last !== LF) yield CRLF;
  yield dsn.tail;
}
