// End to end while things happen at once: 50 messages over 10 concurrent SMTP sessions
// into one mailbox (50 distinct UIDs, every body intact over IMAP), and an IMAP IDLE
// session woken by an SMTP delivery.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as tls from "node:tls";
import { after, before, describe, it } from "node:test";
import { python } from "../helpers/run.ts";
import { TEST_PASSWORD } from "../helpers/server.ts";
import { ALICE, delivered, type E2e, folderOf, PY_TLS, SLOW, smtpSend, startE2e, storedBodies } from "./_helpers.ts";

let e: E2e;
before(async () => {
  e = await startE2e();
});
after(async () => {
  await e?.stop();
});

async function emptyInbox(): Promise<void> {
  const f = await folderOf(e, ALICE);
  const uids = f.list().map((m) => m.uid);
  if (uids.length) await f.expunge(uids);
}

/** a distinct body of a few KiB whose last line is the SHA-256 of the lines before it */
function body(session: number, n: number): string {
  const lines = [`Subject: s${session} m${n}`, "", `session ${session} message ${n}`];
  for (let i = 0; i < 40 + n * 7; i++) lines.push(`${session}.${n}.${i} ${"abcdefghij".repeat(6)}`);
  lines.push(".dot-stuffed line");
  const text = lines.join("\r\n") + "\r\n";
  return text + `sha256 ${createHash("sha256").update(text).digest("hex")}\r\n`;
}

const FETCH_ALL = PY_TLS + `
import imaplib, re
M = imaplib.IMAP4_SSL("127.0.0.1", int(sys.argv[1]), ssl_context=ctx)
M.login(sys.argv[2], sys.argv[3])
M.select("INBOX", readonly=True)
typ, data = M.uid("FETCH", "1:*", "(BODY.PEEK[])")
out = []
for x in data:
    if isinstance(x, tuple):
        out.append([int(re.search(rb"UID (\\d+)", x[0]).group(1)), base64.b64encode(x[1]).decode()])
M.logout()
print(json.dumps(out))
`;

describe("concurrent deliveries", () => {
  it("50 messages over 10 SMTP sessions into one mailbox: 50 distinct UIDs, every body intact (store and IMAP)", SLOW, async () => {
    await emptyInbox();
    const sent = new Map<string, string>(); // subject → body
    const sessions = Array.from({ length: 10 }, (_, s) => {
      const msgs = Array.from({ length: 5 }, (_, n) => {
        const b = body(s, n);
        sent.set(`s${s} m${n}`, b);
        return { to: [ALICE], body: b };
      });
      return smtpSend(e.t.smtp, msgs);
    });
    const ids = (await Promise.all(sessions)).flat();
    assert.equal(new Set(ids).size, 50);
    await delivered(e, ids);
    const inbox = await folderOf(e, ALICE);
    const uids = inbox.list().map((m) => m.uid);
    assert.equal(uids.length, 50);
    assert.equal(new Set(uids).size, 50, "distinct UIDs");
    const check = (stored: string) => {
      const subject = /^Subject: (.*)\r$/m.exec(stored)?.[1];
      const original = sent.get(subject ?? "");
      assert.ok(original, `unknown message ${subject}`);
      // Return-Path, Delivered-To and our Received, then the message as sent
      assert.ok(stored.endsWith("\r\n" + original), `${subject} intact`);
      assert.match(stored, /^Return-Path: <sender@example\.org>\r\nDelivered-To: alice@tern\.test\r\nReceived: from client\.example /);
      const [text, hash] = original.split(/(?=sha256 )/);
      assert.equal(hash, `sha256 ${createHash("sha256").update(text!).digest("hex")}\r\n`);
      return subject!;
    };
    const fromStore = (await storedBodies(inbox)).map(check);
    assert.equal(new Set(fromStore).size, 50, "each sent message exactly once");
    // the same bytes over IMAP, under the same UIDs
    const r = await python(FETCH_ALL, [String(e.t.imaps), ALICE, TEST_PASSWORD]);
    assert.equal(r.code, 0, r.stderr);
    const viaImap = JSON.parse(r.stdout) as [number, string][];
    assert.deepEqual(viaImap.map(([uid]) => uid), uids);
    assert.deepEqual(viaImap.map(([, b]) => check(Buffer.from(b, "base64").toString("latin1"))), fromStore);
  });
});

/** a raw IMAPS client: write lines, wait for a line matching a pattern */
class RawImap {
  private buf = "";
  private waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  readonly lines: string[] = [];
  private constructor(private readonly sock: tls.TLSSocket) {
    sock.on("data", (d: Uint8Array) => this.onData(Buffer.from(d).toString("latin1")));
    sock.on("error", () => {});
  }

  static connect(port: number): Promise<RawImap> {
    return new Promise((resolve, reject) => {
      const sock = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => resolve(c));
      const c = new RawImap(sock);
      sock.once("error", reject);
    });
  }

  private onData(s: string): void {
    this.buf += s;
    let nl: number;
    while ((nl = this.buf.indexOf("\r\n")) !== -1) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 2);
      this.lines.push(line);
      this.waiters = this.waiters.filter((w) => (w.re.test(line) ? (w.resolve(line), false) : true));
    }
  }

  /** the next line (from now on, or already received after `from`) matching re */
  wait(re: RegExp, from = this.lines.length): Promise<string> {
    const seen = this.lines.slice(from).find((l) => re.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ re, resolve }));
  }

  send(line: string): void {
    this.sock.write(line + "\r\n");
  }

  close(): Promise<void> {
    return new Promise((r) => {
      this.sock.once("close", () => r());
      this.sock.end();
    });
  }
}

/** reject after ms (a hung IDLE fails the test instead of the runner's timeout) */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

describe("IMAP IDLE", () => {
  it("an IDLE session on INBOX sees * N EXISTS after an SMTP delivery", SLOW, async () => {
    await emptyInbox();
    await delivered(e, await smtpSend(e.t.smtp, [{ to: [ALICE], body: "Subject: before\r\n\r\nalready here\r\n" }]));
    const c = await RawImap.connect(e.t.imaps);
    try {
      await c.wait(/^\* OK/, 0);
      c.send(`a LOGIN ${ALICE} ${TEST_PASSWORD}`);
      await within(c.wait(/^a OK/, 0), 15_000, "LOGIN");
      c.send("b SELECT INBOX");
      await within(c.wait(/^b OK/), 15_000, "SELECT");
      assert.ok(c.lines.includes("* 1 EXISTS"), c.lines.join("\n"));
      const mark = c.lines.length;
      c.send("c IDLE");
      await within(c.wait(/^\+ /, mark), 15_000, "IDLE continuation");
      await smtpSend(e.t.smtp, [{ to: [ALICE], body: "Subject: wake up\r\n\r\nnew mail\r\n" }]);
      await within(c.wait(/^\* 2 EXISTS$/, mark), 10_000, "* 2 EXISTS during IDLE");
      c.send("DONE");
      await within(c.wait(/^c OK/, mark), 15_000, "IDLE end");
      c.send("d UID FETCH 2:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
      await within(c.wait(/^d OK/, mark), 15_000, "FETCH");
      assert.ok(c.lines.slice(mark).includes("Subject: wake up"), c.lines.slice(mark).join("\n"));
      c.send("z LOGOUT");
      await within(c.wait(/^z OK/, mark), 15_000, "LOGOUT");
    } finally {
      await c.close();
    }
  });
});
