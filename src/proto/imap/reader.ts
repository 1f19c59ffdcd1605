// A cursor over one assembled IMAP command (RFC 3501 §9 formal syntax): atoms,
// quoted strings, literals (embedded as `{n}\r\n<bytes>` by the receiver), lists.
// Every method throws ImapSyntaxError with a message naming what was expected.

export class ImapSyntaxError extends Error {}

const SP = 0x20;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const dec = new TextDecoder("utf-8");
const latin1 = new TextDecoder("latin1");

/** RFC 3501 §9 atom-specials: ( ) { SP CTL % * " \ ] */
function isAtomChar(b: number): boolean {
  if (b <= 0x1f || b === 0x7f || b === SP) return false;
  return b !== 0x28 && b !== 0x29 && b !== LBRACE && b !== 0x25 && b !== 0x2a && b !== DQUOTE && b !== BACKSLASH &&
    b !== 0x5d;
}

export class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  get atEnd(): boolean {
    return this.pos >= this.buf.length;
  }

  peek(): number {
    return this.pos < this.buf.length ? this.buf[this.pos]! : -1;
  }

  fail(what: string): never {
    throw new ImapSyntaxError(`expected ${what} at position ${this.pos}`);
  }

  /** exactly one space */
  sp(): void {
    if (this.peek() !== SP) this.fail("a space");
    this.pos++;
  }

  /** consume `c` if it is next */
  take(c: number): boolean {
    if (this.peek() !== c) return false;
    this.pos++;
    return true;
  }

  expect(c: number, what: string): void {
    if (!this.take(c)) this.fail(what);
  }

  end(): void {
    if (!this.atEnd) this.fail("the end of the command");
  }

  /** atom; `extra` lets callers accept more characters (e.g. "]" in ASTRING-CHAR, "*" in list-wildcards) */
  atom(extra = ""): string {
    const start = this.pos;
    while (this.pos < this.buf.length) {
      const b = this.buf[this.pos]!;
      if (!isAtomChar(b) && !(b < 0x80 && extra.includes(String.fromCharCode(b)) && b !== SP)) break;
      this.pos++;
    }
    if (this.pos === start) this.fail("an atom");
    return latin1.decode(this.buf.subarray(start, this.pos));
  }

  /** a keyword: letters, digits, ".", "-", "_" (command names, FETCH/STATUS/SEARCH items) */
  word(): string {
    const start = this.pos;
    for (;;) {
      const b = this.peek();
      const ok = (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || b === 0x2e ||
        b === 0x2d || b === 0x5f;
      if (!ok) break;
      this.pos++;
    }
    if (this.pos === start) this.fail("a keyword");
    return latin1.decode(this.buf.subarray(start, this.pos)).toUpperCase();
  }

  /** a bare number (RFC 3501 §9 number / nz-number) */
  number(nonZero = false): number {
    const start = this.pos;
    while (this.peek() >= 0x30 && this.peek() <= 0x39) this.pos++;
    if (this.pos === start || this.pos - start > 20) this.fail("a number");
    const n = Number(latin1.decode(this.buf.subarray(start, this.pos)));
    if (!Number.isSafeInteger(n) || (nonZero && n === 0)) this.fail("a non-zero number");
    return n;
  }

  /** quoted or literal, as bytes */
  stringBytes(): Uint8Array {
    const c = this.peek();
    if (c === DQUOTE) return this.quoted();
    if (c === LBRACE) return this.literal();
    return this.fail("a string");
  }

  string(): string {
    return dec.decode(this.stringBytes());
  }

  /** astring = 1*ASTRING-CHAR / string */
  astring(): string {
    const c = this.peek();
    if (c === DQUOTE || c === LBRACE) return this.string();
    return this.atom("]");
  }

  /** nstring = string / NIL */
  nstring(): string | null {
    const c = this.peek();
    if (c === DQUOTE || c === LBRACE) return this.string();
    const a = this.atom();
    if (a.toUpperCase() !== "NIL") this.fail("a string or NIL");
    return null;
  }

  /** list-mailbox: atom with list-wildcards, or a string */
  listMailbox(): string {
    const c = this.peek();
    if (c === DQUOTE || c === LBRACE) return this.string();
    return this.atom("%*]");
  }

  private quoted(): Uint8Array {
    this.pos++;
    const out: number[] = [];
    for (;;) {
      if (this.pos >= this.buf.length) this.fail("a closing quote");
      const b = this.buf[this.pos++]!;
      if (b === DQUOTE) break;
      if (b === 13 || b === 10) this.fail("no CR or LF in a quoted string");
      if (b === BACKSLASH) {
        const n = this.buf[this.pos++];
        if (n !== DQUOTE && n !== BACKSLASH) this.fail('\\" or \\\\ in a quoted string');
        out.push(n);
      } else out.push(b);
    }
    return Uint8Array.from(out);
  }

  private literal(): Uint8Array {
    this.pos++; // {
    const size = this.number();
    this.take(0x2b); // + (RFC 7888)
    this.expect(0x7d, "}");
    this.expect(13, "CRLF after a literal size");
    this.expect(10, "CRLF after a literal size");
    if (this.pos + size > this.buf.length) this.fail(`${size} literal bytes`);
    const out = this.buf.subarray(this.pos, this.pos + size);
    this.pos += size;
    return out;
  }

  /** "(" item *(SP item) ")"; an empty list allowed when `allowEmpty` */
  list<T>(item: () => T, allowEmpty = true): T[] {
    this.expect(0x28, "(");
    const out: T[] = [];
    if (this.take(0x29)) {
      if (!allowEmpty) this.fail("a non-empty list");
      return out;
    }
    for (;;) {
      out.push(item());
      if (this.take(0x29)) return out;
      this.sp();
    }
  }

  /** flag = "\" atom / atom (RFC 3501 §9) */
  flag(): string {
    if (this.take(BACKSLASH)) {
      if (this.take(0x2a)) return "\\*";
      return "\\" + this.atom();
    }
    return this.atom();
  }

  /** sequence-set chars: digits, ":", ",", "*", or "$" (RFC 5182) */
  seqSetText(): string {
    const start = this.pos;
    while (this.pos < this.buf.length) {
      const b = this.buf[this.pos]!;
      if ((b >= 0x30 && b <= 0x39) || b === 0x3a || b === 0x2c || b === 0x2a || b === 0x24) this.pos++;
      else break;
    }
    if (this.pos === start) this.fail("a sequence set");
    return latin1.decode(this.buf.subarray(start, this.pos));
  }
}
