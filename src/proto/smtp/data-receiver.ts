// DATA receiver (RFC 5321 §4.1.1.4, §4.5.2): finds CRLF.CRLF across chunk splits,
// removes dot-stuffing, and flags bare CR / bare LF without losing sync.
// Sans-I/O: bytes in, body views out. Body views point into the input chunk (no copy).

const CR = 13;
const LF = 10;
const DOT = 46;
const CR_BYTES = new Uint8Array([CR]);

// States: where we are relative to line structure. A "line" starts only after CRLF
// (RFC 5321 §2.3.8: bare CR or LF never ends a line), so "\n.\n" or "\r.\r"
// can never end a message (the smuggling defence).
const LINE_START = 0; // just after CRLF (or at the start of the body)
const MID = 1; // inside a line
const SAW_CR = 2; // previous byte was CR (already emitted)
const SAW_DOT = 3; // "." at line start, withheld
const SAW_DOT_CR = 4; // ".\r" at line start, withheld

export class DataReceiver {
  private st = LINE_START;
  /** a CR not followed by LF was seen */
  bareCr = false;
  /** an LF not preceded by CR was seen */
  bareLf = false;

  reset(): void {
    this.st = LINE_START;
    this.bareCr = false;
    this.bareLf = false;
  }

  /**
   * Feed bytes. Body bytes (unstuffed) go to `body` as views of `buf`.
   * Returns -1 when `buf` was consumed without reaching the end of the data,
   * else the index in `buf` just after the terminating CRLF.CRLF.
   */
  feed(buf: Uint8Array, body: (chunk: Uint8Array) => void): number {
    const n = buf.length;
    let i = 0;
    let from = 0; // start of the span not yet emitted
    while (i < n) {
      switch (this.st) {
        case LINE_START:
          if (buf[i] === DOT) {
            if (i > from) body(buf.subarray(from, i));
            i++;
            from = i;
            this.st = SAW_DOT;
          } else {
            this.st = MID;
          }
          break;
        case SAW_DOT:
          if (buf[i] === CR) {
            i++;
            from = i;
            this.st = SAW_DOT_CR;
          } else {
            this.st = MID; // RFC 5321 §4.5.2: the leading dot is removed
          }
          break;
        case SAW_DOT_CR:
          if (buf[i] === LF) {
            this.st = LINE_START;
            return i + 1; // CRLF . CRLF
          }
          this.bareCr = true; // "." CR x: the CR is bare
          body(CR_BYTES);
          from = i;
          this.st = MID;
          break;
        case SAW_CR:
          if (buf[i] === LF) {
            i++;
            this.st = LINE_START;
          } else {
            this.bareCr = true;
            this.st = MID;
          }
          break;
        case MID:
          i = this.scanLine(buf, i);
          break;
        default: {
          const never: never = this.st as never;
          throw new Error(`bad state ${never}`);
        }
      }
    }
    if (n > from) body(buf.subarray(from, n));
    return -1;
  }

  /** Scan inside a line with indexOf; returns the next index to look at. */
  private scanLine(buf: Uint8Array, i: number): number {
    const n = buf.length;
    const lf = buf.indexOf(LF, i);
    if (lf === -1) {
      if (!this.bareCr) {
        const cr = buf.indexOf(CR, i);
        if (cr !== -1 && cr < n - 1) this.bareCr = true;
      }
      this.st = buf[n - 1] === CR ? SAW_CR : MID;
      return n;
    }
    if (lf > i && buf[lf - 1] === CR) {
      if (!this.bareCr) {
        const cr = buf.indexOf(CR, i);
        if (cr < lf - 1) this.bareCr = true;
      }
      this.st = LINE_START;
    } else {
      this.bareLf = true; // not a line end: stay inside the line
      if (!this.bareCr) {
        const cr = buf.indexOf(CR, i);
        if (cr !== -1 && cr < lf) this.bareCr = true;
      }
    }
    return lf + 1;
  }
}
