// Multi-line response bodies (RFC 1939 §3): byte-stuffing of lines that start with
// "." and the terminating ".CRLF", streamed chunk by chunk; and the TOP filter
// (RFC 1939 §7: the header, the blank line, then n lines of the body). Sans-I/O.
// Any LF starts a new line here, so a bare LF in a stored message cannot let the
// message end the response early.

const LF = 10;
const CR = 13;
const DOT = 46;
const CRLF = new Uint8Array([CR, LF]);
const TERMINATOR = new Uint8Array([DOT, CR, LF]);
const CRLF_TERMINATOR = new Uint8Array([CR, LF, DOT, CR, LF]);

export class DotStuffer {
  private atLineStart = true;
  private sent = 0;

  /** the stuffed copy of `chunk` (a new buffer the caller may keep) */
  push(chunk: Uint8Array): Uint8Array {
    if (chunk.length === 0) return chunk.slice();
    this.sent += chunk.length;
    const starts = this.dotLineStarts(chunk);
    const out = new Uint8Array(chunk.length + starts.length);
    let from = 0;
    let at = 0;
    for (const s of starts) {
      out.set(chunk.subarray(from, s), at); // RFC 1939 §3: prepend "." to a line that starts with "."
      at += s - from;
      out[at++] = DOT;
      from = s;
    }
    out.set(chunk.subarray(from), at);
    this.atLineStart = chunk[chunk.length - 1] === LF;
    return out;
  }

  /** the end of the response: a CRLF when the body did not end with one, then ".CRLF" */
  end(): Uint8Array {
    return this.sent > 0 && !this.atLineStart ? CRLF_TERMINATOR.slice() : TERMINATOR.slice();
  }

  /** offsets of lines in `chunk` that begin with "." */
  private dotLineStarts(chunk: Uint8Array): number[] {
    const starts: number[] = [];
    if (this.atLineStart && chunk[0] === DOT) starts.push(0);
    let i = chunk.indexOf(LF);
    while (i >= 0 && i + 1 < chunk.length) {
      if (chunk[i + 1] === DOT) starts.push(i + 1);
      i = chunk.indexOf(LF, i + 1);
    }
    return starts;
  }
}

/** keeps the header, the blank line and the first `lines` lines of the body */
export class TopFilter {
  private inHeader = true;
  private lineLen = 0; // bytes of the current header line seen so far
  private lastCr = false; // the previous chunk ended with CR
  private left: number;
  done = false;

  constructor(lines: number) {
    this.left = lines;
  }

  /** the part of `chunk` to send (a view); sets `done` once nothing more is wanted */
  push(chunk: Uint8Array): Uint8Array {
    if (this.done) return chunk.subarray(0, 0);
    let pos = 0;
    if (this.inHeader) {
      pos = this.header(chunk);
      if (this.done || this.inHeader) return chunk.subarray(0, pos);
    }
    return chunk.subarray(0, this.body(chunk, pos));
  }

  /** scan header lines; returns where the body starts (or the chunk length) */
  private header(chunk: Uint8Array): number {
    let pos = 0;
    let lf = chunk.indexOf(LF);
    while (lf >= 0) {
      const len = this.lineLen + (lf - pos);
      const prevCr = lf > pos ? chunk[lf - 1] === CR : this.lastCr;
      this.lineLen = 0;
      pos = lf + 1;
      if (len === 0 || (len === 1 && prevCr)) {
        this.inHeader = false; // RFC 5322 §2.1: the empty line ends the header
        if (this.left === 0) this.done = true;
        return pos;
      }
      lf = chunk.indexOf(LF, pos);
    }
    this.lineLen += chunk.length - pos;
    if (chunk.length > pos) this.lastCr = chunk[chunk.length - 1] === CR;
    return chunk.length;
  }

  /** count body lines from `pos`; returns the end of what may be sent */
  private body(chunk: Uint8Array, pos: number): number {
    let lf = chunk.indexOf(LF, pos);
    while (lf >= 0) {
      if (--this.left === 0) {
        this.done = true;
        return lf + 1;
      }
      lf = chunk.indexOf(LF, lf + 1);
    }
    return chunk.length;
  }
}
