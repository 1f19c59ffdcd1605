// Disk full / write errors at the integration level: a real server whose spool file
// system fails on demand. The client gets 452 4.3.1, the session goes on, the next
// message succeeds once the failure clears, and a reopened spool holds nothing
// half-committed.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateConfig } from "../../src/config/load.ts";
import { createLogger } from "../../src/core/log.ts";
import { nodeSpoolFs, type SpoolFs } from "../../src/runtime/fs.ts";
import { type RunningServer, startServer } from "../../src/server.ts";
import { certFiles } from "../helpers/child.ts";
import { queueId, RawClient, sendBdat, sendData } from "../helpers/smtp-client.ts";
import { assertStored, readBody, withSpool } from "../helpers/spool-check.ts";

/** node:fs, except that writes fail with ENOSPC while `full`, and the next `failSyncs` fdatasyncs fail with EIO */
function flakyFs() {
  const ctl = { full: false, failSyncs: 0, failedWrites: 0 };
  const err = (code: string, what: string) => Object.assign(new Error(`${code}: injected ${what} failure`), { code });
  const fs: SpoolFs = {
    ...nodeSpoolFs,
    write(fd, buf, off, len, pos) {
      if (ctl.full) {
        ctl.failedWrites++;
        throw err("ENOSPC", "write");
      }
      return nodeSpoolFs.write(fd, buf, off, len, pos);
    },
    datasync(fd) {
      if (ctl.failSyncs > 0) {
        ctl.failSyncs--;
        return Promise.reject(err("EIO", "fdatasync"));
      }
      return nodeSpoolFs.datasync(fd);
    },
  };
  return { fs, ctl };
}

const SLOW = { timeout: 60_000 };
const enc = (s: string) => Buffer.from(s, "latin1");

describe("robustness: disk full and write errors", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "tern-disk-"));
  const { fs, ctl } = flakyFs();
  let server: RunningServer;
  let port = 0;
  /** id → body as sent, for every message that got 250 */
  const accepted = new Map<string, string>();

  let ready: Promise<void> | undefined;
  /** started by the first test (Bun ignores node:test hook timeouts) */
  const up = () =>
    ready ??= (async () => {
      const off = Object.fromEntries(["submission", "submissions", "pop3", "pop3s", "imap", "imaps", "http"].map((k) => [k, false]));
      const config = validateConfig({
        hostname: "mx.tern.test",
        dataDir,
        listen: { smtp: "127.0.0.1:0", ...off },
        tls: await certFiles(dataDir),
        domains: ["tern.test"],
        users: [{ address: "alice@tern.test", password: "s3cret-pass" }],
        relay: { trustedNetworks: ["127.0.0.0/8"] },
        // never the machine's resolver: nothing answers on port 9, remote mail stays queued
        dns: { servers: ["127.0.0.1:9"], timeoutMs: 300 },
      });
      server = await startServer(config, { logger: createLogger("error"), spoolFs: fs });
      port = server.ports.smtp!;
    })();
  after(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function ok(c: RawClient, body: string, bdat = false): Promise<void> {
    const r = bdat ? await sendBdat(c, enc(body)) : await sendData(c, body);
    assert.equal(r.code, 250, r.last);
    accepted.set(queueId(r), body);
  }

  it("disk full during DATA: 452 4.3.1, the session goes on, then 250 once space is back", SLOW, async () => {
    await up();
    const c = await RawClient.connect(port);
    await c.hello();
    await ok(c, "Subject: before\r\n\r\nfine\r\n");
    ctl.full = true;
    const big = "Subject: doomed\r\n\r\n" + "z".repeat(998).concat("\r\n").repeat(3000); // ~3 MB: hits the disk mid-body
    let r = await sendData(c, big);
    assert.equal(r.last.slice(0, 9), "452 4.3.1", r.last);
    r = await sendBdat(c, enc("Subject: doomed too\r\n\r\nsmall\r\n"));
    assert.equal(r.last.slice(0, 9), "452 4.3.1", r.last);
    assert.ok(ctl.failedWrites > 0);
    c.send("NOOP\r\n");
    await c.expect("250 2.0.0");
    ctl.full = false;
    await ok(c, "Subject: after\r\n\r\nspace is back\r\n");
    await ok(c, big.replace("doomed", "big, after"));
    await ok(c, "Subject: bdat after\r\n\r\nchunked\r\n", true);
    await c.quit();
  });

  it("fdatasync failure: 452 4.3.1 for the commit that needed it, the next one is fine", SLOW, async () => {
    await up();
    const c = await RawClient.connect(port);
    await c.hello();
    ctl.failSyncs = 1;
    const r = await sendData(c, "Subject: unsynced\r\n\r\nnot durable\r\n");
    assert.equal(r.last.slice(0, 9), "452 4.3.1", r.last);
    await ok(c, "Subject: synced\r\n\r\ndurable\r\n");
    await c.quit();
  });

  it("several sessions hit a full disk at once: each gets 452 4.3.1, then 250 once space is back", SLOW, async () => {
    await up();
    const clients = await Promise.all([1, 2, 3, 4].map(() => RawClient.connect(port)));
    for (const c of clients) await c.hello();
    ctl.full = true;
    const rs = await Promise.all(clients.map((c, i) => sendData(c, `Subject: full ${i}\r\n\r\n${"w".repeat(200_000)}\r\n`)));
    for (const r of rs) assert.equal(r.last.slice(0, 9), "452 4.3.1", r.last);
    ctl.full = false;
    for (const [i, c] of clients.entries()) await ok(c, `Subject: recovered ${i}\r\n\r\nok\r\n`);
    for (const c of clients) await c.quit();
  });

  it("the spool holds exactly the acknowledged messages, byte-exact, after reopening", SLOW, async () => {
    await up();
    assert.deepEqual(server.spool.list().map((m) => m.id).sort(), [...accepted.keys()].sort());
    await server.close();
    await withSpool(dataDir, async (spool, list) => {
      assert.deepEqual(list.map((m) => m.id).sort(), [...accepted.keys()].sort());
      for (const m of list) assertStored(await readBody(spool, m.id), enc(accepted.get(m.id)!), m.id);
    });
  });
});
