// Shared pieces of the end-to-end tests: a delivering test server (SMTP → queue →
// local MDA → Maildir, POP3 and IMAP on loopback), sending over SMTP, waiting for the
// queue, reading a mailbox through the store.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConfigInput } from "../../src/config/schema.ts";
import type { DeliveryEvent } from "../../src/queue/types.ts";
import type { FolderHandle } from "../../src/store/types.ts";
import { certFiles } from "../helpers/child.ts";
import { queueId, RawClient } from "../helpers/smtp-client.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

export const ALICE = "alice@tern.test";
export const BOB = "bob@tern.test";
/** real clients start processes and hash passwords: give them time */
export const SLOW = { timeout: 60_000 };

export interface E2e {
  t: TestServer;
  /** every delivery event since start (of this server instance) */
  events: DeliveryEvent[];
  /** the data directory (kept across restart(); removed by stop()) */
  dataDir: string;
  /** close the server and start a new one on the same dataDir */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A delivering server on a temp dataDir with a pre-made certificate (no key generation
 * per start); users alice and bob of tern.test unless `over.users` says otherwise.
 */
export async function startE2e(over: ConfigInput = {}): Promise<E2e> {
  const root = mkdtempSync(join(tmpdir(), "tern-e2e-"));
  const dataDir = join(root, "data");
  const tls = await certFiles(root);
  const config: ConfigInput = {
    tls,
    users: [{ address: ALICE, password: "s3cret-pass" }, { address: BOB, password: "s3cret-pass" }],
    ...over,
  };
  const events: DeliveryEvent[] = [];
  const start = async () => {
    const t = await startTestServer(config, undefined, dataDir, { deliver: true });
    t.server.queue.events.subscribe((e) => events.push(e));
    return t;
  };
  const e: E2e = {
    t: await start(),
    events,
    dataDir,
    async restart() {
      await e.t.stop();
      events.length = 0;
      e.t = await start();
    },
    async stop() {
      await e.t.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
  return e;
}

/** poll `cond` every 10 ms (up to ~20 s) */
export async function until(cond: () => boolean | Promise<boolean>, what: string, tries = 2000): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting: ${what}`);
}

/** dot-stuff a CRLF body for DATA (RFC 5321 §4.5.2) */
export function dotStuff(body: string): string {
  return body.replace(/^\./gm, "..");
}

/**
 * Send messages over one SMTP session on the MX port (pipelined MAIL/RCPT/DATA per
 * message); returns the queue ids in order.
 */
export async function smtpSend(port: number, msgs: { from?: string; to: string[]; body: string }[]): Promise<string[]> {
  const c = await RawClient.connect(port);
  const ids: string[] = [];
  try {
    await c.hello("client.example");
    for (const m of msgs) {
      c.send(`MAIL FROM:<${m.from ?? "sender@example.org"}>\r\n${m.to.map((a) => `RCPT TO:<${a}>\r\n`).join("")}DATA\r\n`);
      await c.expect("250 ");
      for (const _ of m.to) await c.expect("250 ");
      await c.expect("354 ");
      c.send(dotStuff(m.body) + ".\r\n");
      const r = await c.expect("250 ");
      ids.push(queueId(r));
    }
  } finally {
    await c.quit();
  }
  return ids;
}

/** wait until the queue has no message with one of these ids (delivered, or gone) */
export function delivered(e: E2e, ids: string[]): Promise<void> {
  return until(() => ids.every((id) => e.t.server.spool.get(id) === undefined), `messages ${ids.join(",")} left the spool`);
}

export async function folderOf(e: E2e, user: string, name = "INBOX"): Promise<FolderHandle> {
  const f = await (await e.t.server.store.mailbox(user)).folder(name);
  await f.refresh();
  return f;
}

/** a stored message as text (latin1: every byte one char) */
export async function readStored(f: FolderHandle, uid: number): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const c of f.read(uid)) parts.push(c);
  return Buffer.concat(parts).toString("latin1");
}

/** stored bodies of a folder, oldest first */
export async function storedBodies(f: FolderHandle): Promise<string[]> {
  await f.refresh();
  const out: string[] = [];
  for (const m of f.list()) out.push(await readStored(f, m.uid));
  return out;
}

/** python prelude: TLS context that accepts the test certificate */
export const PY_TLS = `
import ssl, sys, json, base64
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
`;
