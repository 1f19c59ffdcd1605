// Client-side SMTP reply parser (RFC 5321 §4.2): bytes in, complete replies out.
// Handles multi-line replies (RFC 5321 §4.2.1) and enhanced status codes
// (RFC 2034 §4, RFC 3463) across arbitrary chunk splits. Sans-I/O.

const LF = 10;
const CR = 13;
/** RFC 5321 §4.5.3.1.5 says 512 for a reply line; be lenient but bounded. */
export const MAX_REPLY_LINE = 8192;
/** Bound on the number of lines of one reply (EHLO lists are short). */
export const MAX_REPLY_LINES = 1000;

export interface SmtpReply {
  code: number;
  /** RFC 3463 enhanced status code of the first line, e.g. "5.1.1"; "" when absent */
  enhanced: string;
  /** the text of each line, without code, separator and enhanced code */
  lines: string[];
}

export type ReplyEvent =
  | { type: "reply"; reply: SmtpReply }
  | { type: "error"; reason: string };

// RFC 3463 §2: class "." subject "." detail; class 2, 4 or 5
const ENHANCED_RE = /^([245])\.(\d{1,3})\.(\d{1,3})(?: |$)/;

const dec = new TextDecoder("utf-8", { fatal: false });

export class ReplyParser {
  private partial: Uint8Array | undefined;
  private code = 0;
  private enhanced = "";
  private lines: string[] = [];
  private failed = false;

  /** Forget any half-received reply (after STARTTLS: RFC 3207 §4.2). */
  reset(): void {
    this.partial = undefined;
    this.code = 0;
    this.enhanced = "";
    this.lines = [];
    this.failed = false;
  }

  /** Feed received bytes; returns the replies (or one error) completed by them. */
  feed(chunk: Uint8Array): ReplyEvent[] {
    const out: ReplyEvent[] = [];
    if (this.failed) return out;
    let buf = chunk;
    if (this.partial) {
      buf = new Uint8Array(this.partial.length + chunk.length);
      buf.set(this.partial);
      buf.set(chunk, this.partial.length);
      this.partial = undefined;
    }
    let from = 0;
    for (;;) {
      const lf = buf.indexOf(LF, from);
      if (lf < 0) break;
      const end = lf > from && buf[lf - 1] === CR ? lf - 1 : lf;
      const ev = this.line(buf.subarray(from, end));
      from = lf + 1;
      if (ev) {
        out.push(ev);
        if (ev.type === "error") {
          this.failed = true;
          return out;
        }
      }
    }
    if (from < buf.length) {
      if (buf.length - from > MAX_REPLY_LINE) return this.fail(out, "reply line too long");
      this.partial = buf.slice(from);
    }
    return out;
  }

  private fail(out: ReplyEvent[], reason: string): ReplyEvent[] {
    this.failed = true;
    out.push({ type: "error", reason });
    return out;
  }

  /** One reply line (without CRLF); returns an event when a reply is complete. */
  private line(b: Uint8Array): ReplyEvent | undefined {
    if (b.length > MAX_REPLY_LINE) return { type: "error", reason: "reply line too long" };
    // RFC 5321 §4.2: Reply-code [ SP / "-" textstring ] CRLF
    if (b.length < 3 || !isDigit(b[0]!) || !isDigit(b[1]!) || !isDigit(b[2]!)) {
      return { type: "error", reason: `malformed reply line ${JSON.stringify(dec.decode(b.subarray(0, 40)))}` };
    }
    const code = (b[0]! - 48) * 100 + (b[1]! - 48) * 10 + (b[2]! - 48);
    if (code < 200 || code > 599) return { type: "error", reason: `reply code ${code} out of range` };
    const sep = b.length > 3 ? b[3]! : 32;
    if (sep !== 32 && sep !== 45) return { type: "error", reason: `malformed reply line (code ${code})` };
    if (this.lines.length > 0 && code !== this.code) {
      // RFC 5321 §4.2.1: every line of a multi-line reply has the same code
      return { type: "error", reason: `multi-line reply changed code ${this.code} → ${code}` };
    }
    if (this.lines.length >= MAX_REPLY_LINES) return { type: "error", reason: "reply has too many lines" };
    let text = b.length > 4 ? dec.decode(b.subarray(4)) : "";
    const m = ENHANCED_RE.exec(text);
    // RFC 3463 §3: the class of the enhanced code matches the first digit of the reply
    if (m && Number(m[1]) === Math.floor(code / 100)) {
      if (this.lines.length === 0) this.enhanced = `${m[1]}.${m[2]}.${m[3]}`;
      text = text.slice(m[0].length);
    }
    this.code = code;
    this.lines.push(text);
    if (sep === 45) return undefined; // "-": more lines follow
    const reply: SmtpReply = { code, enhanced: this.enhanced, lines: this.lines };
    this.code = 0;
    this.enhanced = "";
    this.lines = [];
    return { type: "reply", reply };
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** "550 5.1.1 text" — one line for logs and DSNs. */
export function replyText(r: SmtpReply): string {
  const first = r.lines[0] ?? "";
  const rest = r.lines.length > 1 ? " " + r.lines.slice(1).join(" ") : "";
  return r.enhanced ? `${r.code} ${r.enhanced} ${first}${rest}` : `${r.code} ${first}${rest}`;
}
