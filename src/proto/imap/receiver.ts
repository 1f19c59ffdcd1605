// The IMAP byte receiver: assembles one command — its lines and the literals
// ({n} and {n+}, RFC 3501 §4.3, RFC 7888) between them — from chunks of any size.
// Sans-I/O: bytes in, events out. Memory is bounded: a line longer than maxLine or a
// literal larger than maxLiteral is refused (the session answers BAD) and never stored.
// The session may pause() while a command runs; later bytes are held and replayed.

import { concatBytes } from "../../core/bytes.ts";

const EMPTY = new Uint8Array(0);
const CR = 13;
const LF = 10;

export type TooLong =
  | "line" // a line beyond maxLine: read to its LF and dropped
  | "literal" // a synchronizing literal beyond the limit: the client waits for "+", we refuse
  | "literal-nonsync"; // a {n+} literal beyond the limit: the session should BAD and close

export interface ImapReceiverEvents {
  /** a complete command without its final CRLF; literals are embedded as `{n}\r\n<bytes>` */
  command(bytes: Uint8Array): void;
  /** a synchronizing literal was announced: the client waits for "+ " (RFC 3501 §7.5) */
  continuation(): void;
  /** the limit was hit; `head` is the start of the command (to find its tag) */
  tooLong(kind: TooLong, head: Uint8Array): void;
}

export interface ReceiverLimits {
  /** bytes in one line (not counting literals) */
  maxLine: number;
  /** bytes in one literal */
  maxLiteral: number;
}

type Mode = { kind: "line" } | { kind: "literal"; remaining: number } | { kind: "skipline" };

export class ImapReceiver {
  private mode: Mode = { kind: "line" };
  /** the command assembled so far: finished lines (with CRLF) and literals */
  private parts: Uint8Array[] = [];
  private partsLen = 0;
  /** the line being read (copied pieces) */
  private line: Uint8Array[] = [];
  private lineLen = 0;
  private paused = false;
  /** chunks received while paused, in order from heldHead */
  private held: Uint8Array[] = [];
  private heldHead = 0;
  /** resume() is feeding a held chunk: its unread tail is already a private copy */
  private replayingHeld = false;
  private dropRest = false;

  constructor(private readonly ev: ImapReceiverEvents, private readonly limits: ReceiverLimits) {
    this.limits = { ...limits };
  }

  /** the literal limit (raised after login, when APPEND becomes possible) */
  get maxLiteral(): number {
    return this.limits.maxLiteral;
  }
  set maxLiteral(n: number) {
    this.limits.maxLiteral = n;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    // replay the held chunks in order; a command that pauses again keeps the rest held
    while (!this.paused && this.heldHead < this.held.length) {
      const h = this.held[this.heldHead]!;
      this.held[this.heldHead++] = EMPTY;
      this.replayingHeld = true;
      try {
        this.feed(h);
      } finally {
        this.replayingHeld = false;
      }
    }
    if (this.heldHead === this.held.length) {
      this.held = [];
      this.heldHead = 0;
    }
  }

  /** drop all buffered input, including the rest of the current chunk (STARTTLS) */
  discardBuffered(): void {
    this.dropRest = true;
    this.held = [];
    this.heldHead = 0;
    this.reset();
  }

  feed(chunk: Uint8Array): void {
    if (this.paused) {
      this.hold(chunk);
      return;
    }
    this.dropRest = false;
    let pos = 0;
    while (pos < chunk.length) {
      if (this.dropRest) return;
      if (this.paused) {
        this.hold(chunk.subarray(pos));
        return;
      }
      const m = this.mode;
      switch (m.kind) {
        case "line":
          pos = this.readLine(chunk, pos);
          break;
        case "literal":
          pos = this.readLiteral(chunk, pos, m);
          break;
        case "skipline":
          pos = this.skipLine(chunk, pos);
          break;
        default: {
          const never: never = m;
          throw new Error(`bad mode ${String(never)}`);
        }
      }
    }
  }

  /** keep bytes that arrive while paused: one copy each, never re-joined (no quadratic copying) */
  private hold(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.replayingHeld) {
      // the rest of a held chunk: it goes back in front of the chunks held after it
      this.held[--this.heldHead] = bytes;
      return;
    }
    this.held.push(bytes.slice());
  }


  private reset(): void {
    this.parts = [];
    this.partsLen = 0;
    this.line = [];
    this.lineLen = 0;
    this.mode = { kind: "line" };
  }

  private readLine(chunk: Uint8Array, pos: number): number {
    const lf = chunk.indexOf(LF, pos);
    const end = lf < 0 ? chunk.length : lf;
    if (this.lineLen + (end - pos) > this.limits.maxLine) {
      const head = this.head(chunk.subarray(pos, Math.min(end, pos + 64)));
      this.reset();
      this.mode = lf < 0 ? { kind: "skipline" } : { kind: "line" };
      this.ev.tooLong("line", head);
      return lf < 0 ? chunk.length : lf + 1;
    }
    this.line.push(chunk.slice(pos, end));
    this.lineLen += end - pos;
    if (lf < 0) return chunk.length;
    this.endOfLine();
    return lf + 1;
  }

  /** a full line is in this.line: either it announces a literal or it ends the command */
  private endOfLine(): void {
    let line = concat(this.line, this.lineLen);
    this.line = [];
    this.lineLen = 0;
    if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
    const lit = literalAtEnd(line);
    if (!lit) {
      this.parts.push(line);
      this.partsLen += line.length;
      const cmd = concat(this.parts, this.partsLen);
      this.parts = [];
      this.partsLen = 0;
      this.ev.command(cmd);
      return;
    }
    if (lit.size > this.limits.maxLiteral) {
      const head = this.head(line.subarray(0, 64));
      this.reset();
      this.ev.tooLong(lit.sync ? "literal" : "literal-nonsync", head);
      return;
    }
    this.parts.push(line, CRLF);
    this.partsLen += line.length + 2;
    this.mode = { kind: "literal", remaining: lit.size };
    if (lit.sync) this.ev.continuation(); // RFC 3501 §7.5: "+" before a synchronizing literal
  }

  private readLiteral(chunk: Uint8Array, pos: number, m: { remaining: number }): number {
    const n = Math.min(m.remaining, chunk.length - pos);
    this.parts.push(chunk.slice(pos, pos + n));
    this.partsLen += n;
    m.remaining -= n;
    if (m.remaining === 0) this.mode = { kind: "line" };
    return pos + n;
  }

  private skipLine(chunk: Uint8Array, pos: number): number {
    const lf = chunk.indexOf(LF, pos);
    if (lf < 0) return chunk.length;
    this.mode = { kind: "line" };
    return lf + 1;
  }

  /** the first bytes of the command (for the tag in a BAD reply) */
  private head(tail: Uint8Array): Uint8Array {
    if (this.parts.length > 0) return this.parts[0]!.slice(0, 64);
    if (this.line.length > 0) return this.line[0]!.slice(0, 64);
    return tail.slice();
  }
}

const CRLF = new Uint8Array([CR, LF]);

function concat(parts: Uint8Array[], len: number): Uint8Array {
  return concatBytes(parts, len);
}

/** `{123}` or `{123+}` at the end of a line (RFC 3501 §9 literal, RFC 7888 literal+) */
export function literalAtEnd(line: Uint8Array): { size: number; sync: boolean } | undefined {
  let i = line.length - 1;
  if (i < 2 || line[i] !== 0x7d /* } */) return undefined;
  i--;
  const sync = line[i] !== 0x2b; /* + */
  if (!sync) i--;
  let size = 0;
  let digits = 0;
  let mul = 1;
  while (i >= 0 && line[i]! >= 0x30 && line[i]! <= 0x39) {
    size += (line[i]! - 0x30) * mul;
    mul *= 10;
    digits++;
    i--;
  }
  if (digits === 0 || digits > 12 || i < 0 || line[i] !== 0x7b /* { */) return undefined;
  return { size, sync };
}
