// FETCH of whole messages written straight from the files into a reused output buffer
// (src/imap/fetch-direct.ts), on the real Maildir store: byte-exact responses across
// buffer flushes, with and without buffer reuse, and the general path taking over for a
// file that changed size or vanished under the index.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readdirSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Ctx, type Done } from "../../src/imap/context.ts";
import { fetch } from "../../src/imap/fetch.ts";
import { MailboxView } from "../../src/imap/view.ts";
import type { Out } from "../../src/proto/imap/response.ts";
import { openMailStore } from "../../src/store/index.ts";
import type { FolderHandle } from "../../src/store/types.ts";

const dir = mkdtempSync(join(tmpdir(), "tern-fetchdirect-"));
const enc = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** a session stand-in: collects what is sent; `idle` says whether the connection kept it */
function ctxOf(folder: FolderHandle, idle: boolean): { ctx: Ctx; output: () => string; sends: number } {
  const sent: Uint8Array[] = [];
  let queue: (string | Uint8Array)[] = [];
  const flush = () => {
    for (const p of queue) sent.push(typeof p === "string" ? enc.encode(p) : p.slice()); // a copy: the buffer may be reused
    queue = [];
  };
  const box = { sends: 0 };
  const ctx: Ctx = {
    mailbox: undefined as never,
    view: new MailboxView(folder, "INBOX", true),
    condstore: false,
    untagged: (l) => queue.push(l + "\r\n"),
    emit: (o: Out) => queue.push(...o.pieces),
    drained: () => {
      flush();
      return Promise.resolve();
    },
    send: (bytes: Uint8Array, released: () => void) => {
      flush();
      queue.push(bytes);
      flush();
      box.sends++;
      if (idle) released(); // the connection holds nothing of it: the buffer may be reused
    },
    now: () => Date.now(),
  };
  return {
    ctx,
    output: () => {
      flush();
      return sent.map((b) => latin1.decode(b)).join("");
    },
    get sends() {
      return box.sends;
    },
  };
}

const message = (i: number) => `Subject: m${i}\r\n\r\n${String(i).repeat(1 + (i * 7919) % 9000)}\r\n`;
const body = { kind: "body", peek: true, section: { part: [], text: { kind: "all" } } } as const;

async function run(ctx: Ctx): Promise<Done> {
  return await fetch(ctx, { uid: false, set: [[1, Number.MAX_SAFE_INTEGER]], items: [{ kind: "uid" }, body as never] });
}

describe("IMAP FETCH BODY[] written straight from the files", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("is byte-exact over several buffers, reusing them or not; a changed or vanished file takes the general path", async () => {
    const folder = await (await openMailStore(dir).mailbox("alice@example.com")).folder("INBOX");
    const N = 300; // about 1.4 MB: several 512 KB buffers
    for (let i = 0; i < N; i++) await folder.append(enc.encode(message(i)));
    const expect = (skip: Set<number>, changed: Map<number, string>) =>
      Array.from({ length: N }, (_, i) => i)
        .filter((i) => !skip.has(i))
        .map((i) => {
          const m = changed.get(i) ?? message(i);
          return `* ${i + 1} FETCH (UID ${i + 1} BODY[] {${m.length}}\r\n${m})\r\n`;
        })
        .join("");
    for (const idle of [true, false]) {
      const c = ctxOf(folder, idle);
      assert.deepEqual(await run(c.ctx), { status: "OK", text: "FETCH completed" });
      assert.equal(c.output(), expect(new Set(), new Map()), `idle ${idle}`);
      assert.ok(c.sends >= 2, "more than one buffer");
    }
    // another program changes message 10's file and removes message 20's
    const cur = (name: string) => join(dir, "example.com", "alice", name);
    const files = [...readdirSync(cur("new")).map((f) => `new/${f}`), ...readdirSync(cur("cur")).map((f) => `cur/${f}`)];
    const fileOf = (uid: number) => files.find((f) => folder.list().find((m) => m.uid === uid)!.key === f.slice(4).split(":")[0])!;
    appendFileSync(cur(fileOf(11)), "more\r\n");
    unlinkSync(cur(fileOf(21)));
    const c = ctxOf(folder, true);
    await run(c.ctx);
    assert.equal(c.output(), expect(new Set([20]), new Map([[10, message(10) + "more\r\n"]])));
  });
});
