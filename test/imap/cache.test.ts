// The per-folder IMAP cache (ENVELOPE text, top-level header) on the real Maildir store,
// and the store's whole-message read that FETCH and SEARCH use.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, unlinkSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { envelopeOf, forget, headerOf } from "../../src/imap/cache.ts";
import { envelope } from "../../src/mime/envelope.ts";
import { parseMime } from "../../src/mime/structure.ts";
import { openMailStore, StoreError } from "../../src/store/index.ts";
import type { FolderHandle } from "../../src/store/types.ts";

const dir = mkdtempSync(join(tmpdir(), "tern-imap-cache-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const enc = (s: string) => new TextEncoder().encode(s);
const MSG = 'From: "Bob B" <bob@x.test>\r\nTo: alice@tern.test, carol@y.test\r\nSubject: hello there\r\n' +
  "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <1@x>\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
  "--b\r\nContent-Type: text/plain\r\n\r\nbody text\r\n--b--\r\n";

async function folder(): Promise<FolderHandle> {
  const box = await openMailStore(join(dir, `m${++n}`)).mailbox("alice@tern.test");
  return box.folder("INBOX");
}

async function streamed(f: FolderHandle, uid: number): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const c of f.read(uid)) parts.push(c);
  return Buffer.concat(parts).toString("latin1");
}

describe("IMAP per-folder cache", () => {
  it("ENVELOPE from the header alone equals ENVELOPE from the whole message, and is cached", async () => {
    const f = await folder();
    const uid = await f.append(enc(MSG));
    const full = enc(MSG);
    const want = envelope(full, parseMime(full));
    assert.equal(new TextDecoder().decode(await envelopeOf(f, uid)), want);
    assert.match(want, /"hello there" \(\("Bob B" NIL "bob" "x\.test"\)\)/);
    // cached: answers even when the file is gone
    for (const sub of ["new", "cur"]) for (const e of readdirSync(join(dir, `m${n}`, "tern.test", "alice", sub))) unlinkSync(join(dir, `m${n}`, "tern.test", "alice", sub, e));
    assert.equal(new TextDecoder().decode(await envelopeOf(f, uid)), want);
    forget(f, [uid]);
    await assert.rejects(envelopeOf(f, uid), StoreError);
  });

  it("headerOf keeps only the header block, parsed with the same offsets", async () => {
    const f = await folder();
    const uid = await f.append(enc(MSG));
    const h = await headerOf(f, uid);
    const text = new TextDecoder().decode(h.bytes);
    assert.ok(text.endsWith("boundary=b\r\n\r\n"), text);
    assert.ok(!text.includes("body text"));
    assert.equal(h.mime.fields.length, 6);
    assert.equal(h.mime.type, "multipart");
  });
});

describe("Maildir store readBytes", () => {
  it("returns the same bytes as the streaming read; unknown or removed messages are StoreErrors", async () => {
    const f = await folder();
    const body = "Subject: x\r\n\r\n" + "y".repeat(200_000) + "\x00\xff\r\n";
    const uid = await f.append(Buffer.from(body, "latin1"));
    const bytes = await f.readBytes!(uid);
    assert.equal(Buffer.from(bytes).toString("latin1"), body);
    assert.equal(await streamed(f, uid), body);
    await assert.rejects(f.readBytes!(999), /no message with uid 999/);
    const d = join(dir, `m${n}`, "tern.test", "alice", "new");
    for (const e of readdirSync(d)) unlinkSync(join(d, e));
    await assert.rejects(f.readBytes!(uid), /removed by another program/);
  });

  it("reads messages above the single-read limit through the stream", async () => {
    const f = await folder();
    const body = "Subject: big\r\n\r\n" + "z".repeat(1024 * 1024 + 10) + "\r\n";
    const uid = await f.append(enc(body));
    const bytes = await f.readBytes!(uid);
    assert.equal(bytes.length, body.length);
    assert.equal(Buffer.from(bytes.subarray(bytes.length - 14)).toString("latin1"), "zzzzzzzzzzzz\r\n");
  });
});
