// POP3 command-line reader (RFC 1939 §3): bytes in, lines out. Sans-I/O.
// A line ends at CRLF only; a bare CR or LF stays inside the line (and the command
// parser then rejects it). Lines longer than the cap are read to their CRLF and
// reported as too long, never buffered whole.

const CR = 13;
const LF = 10;

export interface LineEvents {
  /** a complete line without its CRLF; a view, valid only during the call */
  line(line: Uint8Array): void;
  /** a line longer than the cap ended (its bytes were dropped) */
  tooLong(): void;
}

/** RFC 2449 §4: a command line is at most 255 octets including CRLF. */
export const POP3_MAX_COMMAND = 255;

export class LineReader {
  private partial: Uint8Array | null = null; // start of an incomplete line (copied)
  private discarding = false; // inside an over-long line, waiting for its CRLF
  private discardCr = false; // the last dropped byte was CR
  private stopped = false;

  /** @param maxLine longest accepted line, CRLF not counted */
  constructor(
    private readonly ev: LineEvents,
    private readonly maxLine = 1024,
  ) {}

  /** bytes held for an incomplete line */
  get pending(): number {
    return this.partial?.length ?? 0;
  }

  /**
   * Forget everything buffered, including the rest of the chunk being fed
   * (RFC 2595 §4: nothing pipelined before STLS may be used after it).
   */
  reset(): void {
    this.partial = null;
    this.discarding = false;
    this.discardCr = false;
    this.stopped = true;
  }

  feed(chunk: Uint8Array): void {
    this.stopped = false;
    let pos = 0;
    if (this.discarding) {
      pos = this.skipLong(chunk, 0);
      if (pos < 0) return;
    } else if (this.partial) {
      pos = this.completePartial(chunk);
      if (pos < 0 || this.stopped) return;
    }
    while (pos < chunk.length && !this.stopped) {
      const lf = findCrlf(chunk, pos);
      if (lf < 0) {
        this.keep(chunk.subarray(pos));
        return;
      }
      const len = lf - 1 - pos;
      if (len > this.maxLine) this.ev.tooLong();
      else this.ev.line(chunk.subarray(pos, lf - 1));
      pos = lf + 1;
    }
  }

  /** a line was started in an earlier chunk; returns where the next line starts, or -1 */
  private completePartial(chunk: Uint8Array): number {
    const head = this.partial!;
    // the CRLF may straddle the chunk boundary
    if (head[head.length - 1] === CR && chunk[0] === LF) {
      this.partial = null;
      this.emit(head.subarray(0, head.length - 1));
      return 1;
    }
    const lf = findCrlf(chunk, 0);
    if (lf < 0) {
      this.keep(chunk);
      return -1;
    }
    const joined = new Uint8Array(head.length + lf - 1);
    joined.set(head);
    joined.set(chunk.subarray(0, lf - 1), head.length);
    this.partial = null;
    this.emit(joined);
    return lf + 1;
  }

  private emit(line: Uint8Array): void {
    if (line.length > this.maxLine) this.ev.tooLong();
    else this.ev.line(line);
  }

  /** hold an incomplete line, or start discarding when it is already too long */
  private keep(tail: Uint8Array): void {
    const have = this.partial?.length ?? 0;
    // +1: a final CR may belong to the CRLF
    if (have + tail.length > this.maxLine + 1) {
      this.partial = null;
      this.discarding = true;
      this.discardCr = tail[tail.length - 1] === CR;
      return;
    }
    const next = new Uint8Array(have + tail.length);
    if (this.partial) next.set(this.partial);
    next.set(tail, have);
    this.partial = next;
  }

  /** inside an over-long line: find its end; returns the next line start or -1 */
  private skipLong(chunk: Uint8Array, from: number): number {
    if (this.discardCr && chunk[from] === LF) return this.endLong(from + 1);
    const lf = findCrlf(chunk, from);
    if (lf < 0) {
      this.discardCr = chunk.length > 0 ? chunk[chunk.length - 1] === CR : this.discardCr;
      return -1;
    }
    return this.endLong(lf + 1);
  }

  private endLong(next: number): number {
    this.discarding = false;
    this.discardCr = false;
    this.ev.tooLong();
    return next;
  }
}

/** index of the LF of the first CRLF at or after `from`, or -1 */
function findCrlf(buf: Uint8Array, from: number): number {
  let i = buf.indexOf(LF, from);
  while (i >= 0) {
    if (i > from && buf[i - 1] === CR) return i; // a CR before `from` belongs to the previous line
    i = buf.indexOf(LF, i + 1);
  }
  return -1;
}
