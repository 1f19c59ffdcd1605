// Dot-stuffing for DATA (RFC 5321 §4.5.2) as a streaming transform over byte chunks.
// A line that starts with "." gets one more "." in front. A line start is any
// position after LF (bare LF included, so a lenient receiver can never see an early
// end of data: the SMTP smuggling defence), and the start of the body.
// Sans-I/O; a chunk without anything to stuff is returned as is (no copy).

const LF = 10;
const CR = 13;
const DOT = 46;
const END_AFTER_CRLF = new Uint8Array([DOT, CR, LF]);
const END_WITH_CRLF = new Uint8Array([CR, LF, DOT, CR, LF]);

export class DotStuffer {
  /** the previous byte sent was LF (or nothing was sent yet) */
  private lineStart = true;
  /** the last two bytes sent (for the final CRLF) */
  private last2 = 0;
  private total = 0;

  reset(): void {
    this.lineStart = true;
    this.last2 = 0;
    this.total = 0;
  }

  /** Transform one chunk. The result may be `chunk` itself. */
  push(chunk: Uint8Array): Uint8Array {
    const n = chunk.length;
    if (n === 0) return chunk;
    const lead = this.lineStart && chunk[0] === DOT;
    let dots = lead ? 1 : 0;
    let i = chunk.indexOf(LF);
    while (i >= 0 && i + 1 < n) {
      if (chunk[i + 1] === DOT) dots++;
      i = chunk.indexOf(LF, i + 1);
    }
    this.track(chunk);
    return dots === 0 ? chunk : stuff(chunk, dots, lead);
  }

  /**
   * push() done in place: buf[0, len) is stuffed where it lies (the bytes after each
   * line-initial dot move right). Returns the new length, or -1 (nothing changed, no
   * state kept) when buf has no room for the added dots: use push() then.
   */
  stuffInPlace(buf: Uint8Array, len: number): number {
    if (len === 0) return 0;
    const b = buf.subarray(0, len);
    const at: number[] = []; // offsets of the dots that get another one in front
    if (this.lineStart && b[0] === DOT) at.push(0);
    let i = b.indexOf(LF);
    while (i >= 0 && i + 1 < len) {
      if (b[i + 1] === DOT) at.push(i + 1);
      i = b.indexOf(LF, i + 1);
    }
    if (len + at.length > buf.length) return -1;
    this.track(b);
    let end = len;
    for (let k = at.length - 1; k >= 0; k--) {
      const s = at[k]!;
      buf.copyWithin(s + k + 1, s, end); // k dots are added before this one, and one for it
      buf[s + k] = DOT;
      end = s;
    }
    return len + at.length;
  }

  private track(chunk: Uint8Array): void {
    const n = chunk.length;
    this.lineStart = chunk[n - 1] === LF;
    this.last2 = n >= 2 ? (chunk[n - 2]! << 8) | chunk[n - 1]! : ((this.last2 & 0xff) << 8) | chunk[0]!;
    this.total += n;
  }

  /**
   * The end of data: CRLF "." CRLF, with a CRLF first when the body did not end
   * with one (RFC 5321 §4.1.1.4).
   */
  end(): Uint8Array {
    if (this.total === 0 || this.last2 === ((CR << 8) | LF)) return END_AFTER_CRLF;
    return END_WITH_CRLF;
  }
}

/** Copy `chunk` with a "." inserted before each line-initial "." (`dots` of them). */
function stuff(chunk: Uint8Array, dots: number, lead: boolean): Uint8Array {
  const out = new Uint8Array(chunk.length + dots);
  let o = 0;
  let from = 0;
  if (lead) out[o++] = DOT;
  let i = chunk.indexOf(LF);
  while (i >= 0 && i + 1 < chunk.length) {
    if (chunk[i + 1] === DOT) {
      out.set(chunk.subarray(from, i + 1), o);
      o += i + 1 - from;
      out[o++] = DOT;
      from = i + 1;
    }
    i = chunk.indexOf(LF, i + 1);
  }
  out.set(chunk.subarray(from), o);
  return out;
}
