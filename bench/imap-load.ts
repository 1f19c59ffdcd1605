// A small IMAP load client for the benchmark: login, SELECT, pipelined commands, and a
// response reader that follows literals ({n} / {n+}) byte-exactly and counts what came
// back (FETCH responses, literal bytes, SEARCH hits) so a run proves the server did the
// work. Plain TCP on loopback (both servers allow plaintext LOGIN there).
//
//   bun bench/imap-load.ts --port 2143 --user u@x --pass pw [--op fetch-envelope|fetch-body|search|append]
//        [--count 10000] [--append 1000] [--chunk 1000]   (search: SUBJECT invoice only)

import { connect, type Socket } from "node:net";
import { parseArgs } from "node:util";

const LF = 0x0a;

/** One complete response: its text with literal contents left out, and the literal byte count. */
export interface Response {
  text: string;
  literalBytes: number;
}

/**
 * Incremental reader of IMAP server output. Feed it socket chunks; it calls `onResponse`
 * for every complete response (a line, plus any literals and continuation lines).
 */
export class ResponseReader {
  private head: Uint8Array[] = []; // bytes of the current line segment not yet ended
  private text = "";
  private literal = 0; // literal bytes still to skip
  private literalBytes = 0;

  constructor(private readonly onResponse: (r: Response) => void) {}

  push(chunk: Uint8Array): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.literal > 0) {
        const n = Math.min(this.literal, chunk.length - pos);
        this.literal -= n;
        pos += n;
        continue;
      }
      const nl = chunk.indexOf(LF, pos);
      if (nl < 0) {
        this.head.push(chunk.subarray(pos));
        return;
      }
      this.head.push(chunk.subarray(pos, nl + 1));
      pos = nl + 1;
      this.endLine();
    }
  }

  private endLine(): void {
    const line = decodeLatin1(this.head);
    this.head = [];
    const m = /\{(\d+)\+?\}\r?\n$/.exec(line);
    if (m) {
      // RFC 3501 §4.3: a literal follows this line; the response continues after it
      this.text += line.slice(0, m.index) + "{}";
      this.literal = Number(m[1]);
      this.literalBytes += this.literal;
      return;
    }
    this.text += line.replace(/\r?\n$/, "");
    const r: Response = { text: this.text, literalBytes: this.literalBytes };
    this.text = "";
    this.literalBytes = 0;
    this.onResponse(r);
  }
}

function decodeLatin1(parts: Uint8Array[]): string {
  let s = "";
  for (const p of parts) s += Buffer.from(p.buffer, p.byteOffset, p.length).toString("latin1");
  return s;
}

export interface Completion {
  tag: string;
  status: string;
  text: string;
}

/** what the untagged responses of a run added up to */
export interface Tally {
  fetches: number;
  envelopes: number;
  literalBytes: number;
  /** the numbers of the last "* SEARCH" response */
  searchHits: number[];
  responseBytes: number;
}

export const newTally = (): Tally => ({ fetches: 0, envelopes: 0, literalBytes: 0, searchHits: [], responseBytes: 0 });

export class ImapClient {
  private reader: ResponseReader;
  private waiting = new Map<string, (c: Completion) => void>();
  private n = 0;
  private greeting: Promise<void>;
  private closed: Promise<void>;
  tally: Tally = newTally();
  /** from the last "* n EXISTS" */
  lastExists = -1;
  /** MESSAGES of the last "* STATUS" */
  lastStatusMessages = -1;

  private constructor(private readonly sock: Socket) {
    let greeted!: () => void;
    this.greeting = new Promise((r) => (greeted = r));
    this.reader = new ResponseReader((r) => {
      if (r.text.startsWith("* ")) {
        if (r.text.startsWith("* OK") && this.n === 0) greeted();
        this.count(r);
        return;
      }
      if (r.text.startsWith("+")) return; // continuation: we only send LITERAL+ literals
      const sp = r.text.indexOf(" ");
      const tag = r.text.slice(0, sp);
      const rest = r.text.slice(sp + 1);
      const sp2 = rest.indexOf(" ");
      const done = this.waiting.get(tag);
      if (!done) throw new Error(`unexpected tagged response: ${r.text.slice(0, 200)}`);
      this.waiting.delete(tag);
      done({ tag, status: sp2 < 0 ? rest : rest.slice(0, sp2), text: sp2 < 0 ? "" : rest.slice(sp2 + 1) });
    });
    sock.on("data", (b: Uint8Array) => {
      this.tally.responseBytes += b.length;
      this.reader.push(b);
    });
    this.closed = new Promise((r) => sock.once("close", () => r()));
    sock.on("error", () => undefined);
  }

  static async open(port: number, host = "127.0.0.1"): Promise<ImapClient> {
    const sock = connect({ port, host, noDelay: true });
    await new Promise<void>((res, rej) => {
      sock.once("connect", res);
      sock.once("error", rej);
    });
    const c = new ImapClient(sock);
    await c.greeting;
    return c;
  }

  private count(r: Response): void {
    const t = this.tally;
    t.literalBytes += r.literalBytes;
    if (/^\* \d+ FETCH /.test(r.text)) {
      t.fetches++;
      if (r.text.includes("ENVELOPE (")) t.envelopes++;
    } else if (r.text.startsWith("* SEARCH")) {
      t.searchHits = r.text.slice(8).trim().split(" ").filter((x) => x !== "").map(Number);
    } else if (/^\* \d+ EXISTS$/.test(r.text)) {
      this.lastExists = Number(r.text.split(" ")[1]);
    } else if (r.text.startsWith("* STATUS ")) {
      const m = /MESSAGES (\d+)/.exec(r.text);
      if (m) this.lastStatusMessages = Number(m[1]);
    }
  }

  /** send one command (with optional LITERAL+ literal bytes); resolves at its tagged completion */
  command(line: string, literal?: Uint8Array): Promise<Completion> {
    const tag = `t${++this.n}`;
    const p = new Promise<Completion>((r) => this.waiting.set(tag, r));
    if (literal) {
      this.sock.write(`${tag} ${line} {${literal.length}+}\r\n`);
      this.sock.write(literal);
      this.sock.write("\r\n");
    } else {
      this.sock.write(`${tag} ${line}\r\n`);
    }
    return p;
  }

  /** the command must complete OK */
  async ok(line: string, literal?: Uint8Array): Promise<Completion> {
    const c = await this.command(line, literal);
    if (c.status !== "OK") throw new Error(`${line.slice(0, 80)} → ${c.status} ${c.text}`);
    return c;
  }

  async login(user: string, pass: string): Promise<void> {
    await this.ok(`LOGIN ${quote(user)} ${quote(pass)}`);
  }

  async logout(): Promise<void> {
    await this.command("LOGOUT").catch(() => undefined);
    this.sock.end();
    await this.closed;
  }
}

export function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => "\\" + c)}"`;
}

/** "1:1000", "1001:2000", … covering 1..count */
export function ranges(count: number, chunk: number): string[] {
  const out: string[] = [];
  for (let a = 1; a <= count; a += chunk) out.push(`${a}:${Math.min(count, a + chunk - 1)}`);
  return out;
}

/** pipelined: every command is written at once, then all completions awaited */
export async function pipelined(c: ImapClient, lines: string[]): Promise<void> {
  const done = await Promise.all(lines.map((l) => c.command(l)));
  const bad = done.find((d) => d.status !== "OK");
  if (bad) throw new Error(`${bad.tag} ${bad.status} ${bad.text}`);
}

/** APPEND with LITERAL+ literals, at most `window` outstanding */
export async function appendMany(c: ImapClient, folder: string, msgs: Iterable<{ bytes: Uint8Array; flags: string[] }>, window = 32): Promise<number> {
  const inflight = new Set<Promise<unknown>>();
  let n = 0;
  let failed: Completion | undefined;
  for (const m of msgs) {
    const p = c.command(`APPEND ${quote(folder)} (${m.flags.join(" ")})`, m.bytes).then((d) => {
      if (d.status !== "OK") failed ??= d;
      inflight.delete(p);
    });
    inflight.add(p);
    n++;
    if (inflight.size >= window) await Promise.race(inflight);
    if (failed) break;
  }
  await Promise.all(inflight);
  if (failed) throw new Error(`APPEND ${failed.tag} ${failed.status} ${failed.text}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string" }, user: { type: "string" }, pass: { type: "string" }, host: { type: "string", default: "127.0.0.1" },
      op: { type: "string", default: "fetch-envelope" }, chunk: { type: "string", default: "1000" },
      append: { type: "string", default: "1000" }, count: { type: "string", default: "10000" }, seed: { type: "string", default: "42" }, folder: { type: "string", default: "INBOX" },
    },
  });
  if (!values.port || !values.user || !values.pass) throw new Error("usage: imap-load.ts --port P --user U --pass W [--op …]");
  const c = await ImapClient.open(Number(values.port), values.host);
  await c.login(values.user, values.pass);
  const t0 = performance.now();
  let what = "";
  if (values.op === "append") {
    const { corpus } = await import("./imap-corpus.ts");
    await c.command(`CREATE ${quote(values.folder)}`);
    what = `${await appendMany(c, values.folder, corpus(Number(values.seed) + 1, Number(values.append)))} appended`;
  } else {
    await c.ok(`SELECT ${quote(values.folder)}`);
    const count = Math.min(Number(values.count), c.lastExists);
    switch (values.op) {
      case "fetch-envelope":
        await pipelined(c, ranges(count, Number(values.chunk)).map((r) => `FETCH ${r} (ENVELOPE FLAGS)`));
        break;
      case "fetch-body":
        await pipelined(c, ranges(count, Number(values.chunk)).map((r) => `FETCH ${r} BODY.PEEK[]`));
        break;
      case "search":
        await c.ok("SEARCH SUBJECT invoice");
        break;
      default:
        throw new Error(`unknown --op ${values.op}`);
    }
    what = JSON.stringify(c.tally);
  }
  const ms = performance.now() - t0;
  await c.logout();
  console.log(`${values.op}: ${ms.toFixed(0)} ms ${what}`);
}

if (import.meta.main) {
  main().catch((e) => {
    console.error(String(e));
    process.exit(1);
  });
}
