// The SMTP byte receiver: one mode at a time — command lines (also SASL lines),
// DATA (dot-terminated), BDAT (counted, RFC 3030). Sans-I/O: bytes in, events out.
// The session switches modes from inside the event callbacks and may pause the
// receiver while it waits for an asynchronous decision (e.g. the spool's fsync);
// bytes after the pause point are kept (copied) and replayed on resume().

import { DataReceiver } from "./data-receiver.ts";

const CR = 13;
const LF = 10;

export interface ReceiverEvents {
  /** a command (or SASL) line without its CRLF; a view, valid during the call */
  line(line: Uint8Array): void;
  /** a line longer than the limit was read to its CRLF and dropped */
  lineTooLong(): void;
  /** body bytes (DATA unstuffed, or BDAT); a view, valid during the call */
  body(chunk: Uint8Array): void;
  /** DATA terminator seen; bare CR/LF flags are in `data` */
  dataEnd(bareCr: boolean, bareLf: boolean): void;
  /** the declared BDAT chunk has been read completely */
  bdatEnd(): void;
}

export type Mode =
  | { kind: "line" }
  | { kind: "data" }
  | { kind: "bdat"; remaining: number };

export class SmtpReceiver {
  private mode: Mode = { kind: "line" };
  private partial: Uint8Array | null = null; // an incomplete command line (copied)
  private discarding = false; // inside an over-long line, waiting for its CRLF
  private paused = false;
  private held: Uint8Array | null = null; // input not processed while paused (copied)
  private dropRest = false; // discardBuffered() was called during this feed()
  private owned: Uint8Array | null = null; // the held buffer being replayed by resume()
  private discardCr = false; // the discarded over-long line's last byte was CR
  private readonly data = new DataReceiver();
  private readonly onBody: (chunk: Uint8Array) => void;

  constructor(
    private readonly ev: ReceiverEvents,
    private readonly maxLine = 4096,
  ) {
    this.onBody = (chunk) => ev.body(chunk);
  }

  setMode(mode: Mode): void {
    this.mode = mode;
    if (mode.kind === "data") this.data.reset();
  }

  get modeKind(): Mode["kind"] {
    return this.mode.kind;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** bytes received but not processed (pipelined input after a pause) */
  get heldBytes(): number {
    return (this.held?.length ?? 0) + (this.partial?.length ?? 0);
  }

  pause(): void {
    this.paused = true;
  }

  /**
   * Drop everything buffered, including the rest of the chunk being processed
   * (RFC 3207 §4.2: nothing pipelined after STARTTLS survives the upgrade).
   */
  discardBuffered(): void {
    this.dropRest = true;
    this.held = null;
    this.partial = null;
    this.discarding = false;
  }

  resume(): void {
    this.paused = false;
    const h = this.held;
    this.held = null;
    if (!h) return;
    this.owned = h;
    this.feed(h);
    this.owned = null;
  }

  feed(buf: Uint8Array): void {
    if (this.paused) {
      this.hold(buf, 0);
      return;
    }
    let i = 0;
    this.dropRest = false;
    while (i < buf.length) {
      if (this.paused) {
        if (!this.dropRest) this.hold(buf, i);
        return;
      }
      switch (this.mode.kind) {
        case "line":
          i = this.feedLine(buf, i);
          break;
        case "data": {
          const end = this.data.feed(i === 0 ? buf : buf.subarray(i), this.onBody);
          if (end === -1) return;
          i += end;
          this.mode = { kind: "line" };
          this.ev.dataEnd(this.data.bareCr, this.data.bareLf);
          break;
        }
        case "bdat":
          i = this.feedBdat(buf, i, this.mode);
          break;
        default: {
          const never: never = this.mode;
          throw new Error(`bad mode ${JSON.stringify(never)}`);
        }
      }
    }
  }

  private hold(buf: Uint8Array, from: number): void {
    // copy (the caller may reuse its buffer) unless it is our own held copy: a reader
    // that pauses again and again while replaying must not copy the tail each time
    const rest = buf === this.owned ? buf.subarray(from) : buf.slice(from);
    if (!this.held) this.held = rest;
    else {
      const joined = new Uint8Array(this.held.length + rest.length);
      joined.set(this.held);
      joined.set(rest, this.held.length);
      this.held = joined;
    }
  }

  private feedBdat(buf: Uint8Array, i: number, mode: { remaining: number }): number {
    const take = Math.min(mode.remaining, buf.length - i);
    if (take > 0) this.ev.body(buf.subarray(i, i + take));
    mode.remaining -= take;
    if (mode.remaining === 0) {
      this.mode = { kind: "line" };
      this.ev.bdatEnd();
    }
    return i + take;
  }

  /** Command lines end at CRLF only (a bare LF is part of the line). */
  private feedLine(buf: Uint8Array, i: number): number {
    let search = i;
    for (;;) {
      const lf = buf.indexOf(LF, search);
      if (lf === -1) {
        this.keepPartial(buf, i);
        return buf.length;
      }
      const prevIsCr = lf > i ? buf[lf - 1] === CR : this.discarding
        ? this.discardCr
        : this.partial !== null && this.partial[this.partial.length - 1] === CR;
      if (!prevIsCr) {
        search = lf + 1; // bare LF: keep looking for CRLF
        continue;
      }
      this.emitLine(buf, i, lf);
      return lf + 1;
    }
  }

  private keepPartial(buf: Uint8Array, i: number): void {
    if (i >= buf.length) return;
    if (this.discarding) {
      this.discardCr = buf[buf.length - 1] === CR;
      return;
    }
    const have = this.partial?.length ?? 0;
    if (have + buf.length - i > this.maxLine + 2) {
      this.partial = null;
      this.discarding = true; // RFC 5321 §4.5.3.1.4: read to the end of the line
      this.discardCr = buf[buf.length - 1] === CR;
      return;
    }
    const rest = buf.subarray(i);
    if (!this.partial) this.partial = rest.slice();
    else {
      const joined = new Uint8Array(have + rest.length);
      joined.set(this.partial);
      joined.set(rest, have);
      this.partial = joined;
    }
  }

  private emitLine(buf: Uint8Array, i: number, lf: number): void {
    if (this.discarding) {
      this.discarding = false;
      this.partial = null;
      this.ev.lineTooLong();
      return;
    }
    let line: Uint8Array;
    if (this.partial) {
      const p = this.partial;
      this.partial = null;
      line = new Uint8Array(p.length + lf - i + 1);
      line.set(p);
      line.set(buf.subarray(i, lf + 1), p.length);
    } else {
      line = buf.subarray(i, lf + 1);
    }
    if (line.length - 2 > this.maxLine) {
      this.ev.lineTooLong();
      return;
    }
    this.ev.line(line.subarray(0, line.length - 2));
  }
}
