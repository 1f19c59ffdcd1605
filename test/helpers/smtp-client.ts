// A raw SMTP client for robustness tests: write any bytes (pipelined, garbage,
// partial), read replies as they come. node:net / node:tls, so it runs under Bun
// and Deno against a server in this process or in a child process.
import * as net from "node:net";
import * as tls from "node:tls";

/**
 * The default recipient: a remote address, relayed for loopback clients (the test
 * configs trust 127.0.0.0/8). Test servers resolve only through a loopback name server
 * that never answers, so its delivery defers and an accepted message stays in the
 * spool for the whole test (local mail may be delivered and leave the spool at once).
 */
export const HELD_RCPT = "rcpt@example.net";

export interface Reply {
  code: number;
  /** text of every line after "NNN-" / "NNN " */
  lines: string[];
  /** the last line, whole ("250 2.0.0 queued as ...") */
  last: string;
}

export interface ConnectOptions {
  host?: string;
  /** implicit TLS (certificate not verified) */
  tls?: boolean;
  /** local address to bind (plain TCP only), e.g. 127.0.0.2 for a second client IP */
  localAddress?: string;
}

export class RawClient {
  private sock!: net.Socket;
  private text = ""; // received, not yet parsed into replies (latin1)
  private cur: string[] = [];
  private readonly queue: Reply[] = [];
  private head = 0;
  private waiters: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  private ended = false;
  /** resolves when the connection is closed (by either side) */
  readonly closed: Promise<void>;
  private markClosed!: () => void;
  /** total reply lines received */
  lineCount = 0;
  private skipping = 0;
  private skipCode = 0;
  private skipBad = 0;
  private skipDone: ((bad: number) => void) | undefined;

  private constructor() {
    this.closed = new Promise((r) => (this.markClosed = r));
  }

  static connect(port: number, opts: ConnectOptions = {}): Promise<RawClient> {
    const c = new RawClient();
    const host = opts.host ?? "127.0.0.1";
    return new Promise((resolve, reject) => {
      const sock = opts.tls
        ? tls.connect({ host, port, rejectUnauthorized: false }, () => resolve(c))
        : net.connect({ host, port, localAddress: opts.localAddress }, () => resolve(c));
      sock.once("error", reject);
      c.attach(sock);
    });
  }

  get isClosed(): boolean {
    return this.ended;
  }

  private attach(sock: net.Socket): void {
    this.sock = sock;
    sock.on("data", this.onData);
    sock.on("error", () => {}); // resets from the server end the connection: see `closed`
    sock.on("close", this.onClose);
  }

  private readonly onData = (d: Uint8Array): void => {
    this.text += Buffer.from(d.buffer, d.byteOffset, d.length).toString("latin1");
    let start = 0;
    for (;;) {
      const nl = this.text.indexOf("\r\n", start);
      if (nl === -1) break;
      this.onLine(this.text.slice(start, nl));
      start = nl + 2;
    }
    if (start > 0) this.text = this.text.slice(start);
  };

  private readonly onClose = (): void => {
    this.ended = true;
    const w = this.waiters;
    this.waiters = [];
    for (const x of w) x.reject(new Error(`connection closed (partial: ${JSON.stringify(this.text.slice(0, 200))})`));
    this.markClosed();
  };

  private onLine(line: string): void {
    this.lineCount++;
    this.cur.push(line.slice(4));
    if (line[3] === "-") return;
    const r: Reply = { code: Number(line.slice(0, 3)), lines: this.cur, last: line };
    this.cur = [];
    if (this.skipping > 0) {
      if (r.code !== this.skipCode) this.skipBad++;
      if (--this.skipping === 0) this.skipDone?.(this.skipBad);
      return;
    }
    const w = this.waiters.shift();
    if (w) w.resolve(r);
    else this.queue.push(r);
  }

  /** the next complete reply; rejects when the connection closes first */
  reply(): Promise<Reply> {
    if (this.head < this.queue.length) {
      const r = this.queue[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      return Promise.resolve(r);
    }
    if (this.ended) return Promise.reject(new Error("connection closed"));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  async replies(n: number): Promise<Reply[]> {
    const out: Reply[] = [];
    for (let i = 0; i < n; i++) out.push(await this.reply());
    return out;
  }

  /**
   * Drop the next `n` replies without keeping them (floods); resolves with how many
   * of them did not have `code`. Call before the replies arrive.
   */
  skipReplies(n: number, code: number): Promise<number> {
    this.skipping = n;
    this.skipCode = code;
    this.skipBad = 0;
    return new Promise((resolve, reject) => {
      this.skipDone = resolve;
      this.closed.then(() => reject(new Error(`connection closed with ${this.skipping} replies to go`)));
    });
  }

  /** stop reading from the socket (a slow client); the kernel buffers fill up */
  pauseReading(): void {
    this.sock.pause();
  }

  resumeReading(): void {
    this.sock.resume();
  }

  /** bytes accepted by send()/write() but not yet handed to the kernel */
  get unsent(): number {
    return this.sock.writableLength;
  }

  /** expect the next reply to start with `prefix` (e.g. "250 2.0.0"); returns it */
  async expect(prefix: string): Promise<Reply> {
    const r = await this.reply();
    if (!r.last.startsWith(prefix)) throw new Error(`expected "${prefix}...", got ${JSON.stringify(r.last)}`);
    return r;
  }

  /** write bytes; resolves when handed to the kernel (waits for drain on backpressure) */
  write(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? Buffer.from(data, "latin1") : data;
    return new Promise((resolve, reject) => {
      if (this.ended || this.sock.destroyed) return reject(new Error("connection closed"));
      this.sock.write(bytes, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** write without waiting */
  send(data: string | Uint8Array): void {
    if (this.ended || this.sock.destroyed) return;
    this.sock.write(typeof data === "string" ? Buffer.from(data, "latin1") : data);
  }

  /** greeting + EHLO; returns the EHLO reply */
  async hello(name = "client.test"): Promise<Reply> {
    await this.expect("220 ");
    this.send(`EHLO ${name}\r\n`);
    return this.expect("250");
  }

  /** half-close and wait for the server to close */
  async quit(): Promise<void> {
    if (!this.ended) {
      this.send("QUIT\r\n");
      await this.expect("221 ").catch(() => {});
    }
    this.sock.end();
    await this.closed;
  }

  /** vanish: RST-like close without QUIT */
  destroy(): void {
    this.sock.destroy();
  }

  async destroyAndWait(): Promise<void> {
    this.sock.destroy();
    await this.closed;
  }
}

/** A full DATA transaction pipelined in one write; resolves with the final reply. */
export async function sendData(c: RawClient, body: string | Uint8Array, from = "sender@example.org", to = HELD_RCPT): Promise<Reply> {
  c.send(`MAIL FROM:<${from}>\r\nRCPT TO:<${to}>\r\nDATA\r\n`);
  await c.expect("250 ");
  await c.expect("250 ");
  await c.expect("354 ");
  c.send(body);
  c.send(".\r\n");
  return c.reply();
}

/** A full BDAT LAST transaction pipelined in one write; resolves with the final reply. */
export async function sendBdat(c: RawClient, body: Uint8Array, from = "sender@example.org", to = HELD_RCPT): Promise<Reply> {
  c.send(`MAIL FROM:<${from}>\r\nRCPT TO:<${to}>\r\nBDAT ${body.length} LAST\r\n`);
  c.send(body);
  await c.expect("250 ");
  await c.expect("250 ");
  return c.reply();
}

export function queueId(r: Reply): string {
  const m = /queued as ([A-Za-z0-9]+)/.exec(r.last);
  if (!m) throw new Error(`no queue id in ${JSON.stringify(r.last)}`);
  return m[1]!;
}

/** connect, EHLO, send one message, QUIT; returns its queue id (a refusal throws with the reply) */
export async function deliverOne(port: number, body = "Subject: ok\r\n\r\nstill working\r\n", from?: string, to?: string): Promise<string> {
  const c = await RawClient.connect(port);
  try {
    await c.hello();
    const r = await sendData(c, body, from, to);
    if (r.code !== 250) throw new Error(`message refused: ${r.last}`);
    return queueId(r);
  } finally {
    await c.quit();
  }
}
