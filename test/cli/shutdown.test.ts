// Graceful shutdown of `tern serve` (a child process) on SIGTERM: a client mid-DATA
// may finish and gets its 250 (or 421 once timeouts.shutdown has passed), idle clients
// get 421 4.3.2 at once, the process exits 0, and every 250 is in the spool after.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { certFiles, runTern, startChild, tmpDir, writeConfig } from "../helpers/child.ts";
import { queueId, RawClient, sendData } from "../helpers/smtp-client.ts";

const dir = tmpDir("tern-shutdown-");
after(() => rmSync(dir, { recursive: true, force: true }));

async function queued(config: string): Promise<string[]> {
  const r = await runTern(["queue", "ls", "--json", "--config", config]);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { id: string }[]).map((m) => m.id).sort();
}

/** a client that is inside DATA with half a body sent */
async function midData(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  await c.hello();
  c.send("MAIL FROM:<mid@example.org>\r\nRCPT TO:<rcpt@example.net>\r\nDATA\r\n");
  await c.expect("250 ");
  await c.expect("250 ");
  await c.expect("354 ");
  await c.write("Subject: in flight at SIGTERM\r\n\r\nfirst half\r\n");
  return c;
}

const SLOW = { timeout: 30_000 }; // child processes start in about half a second each

describe("tern serve: SIGTERM", () => {
  it("mid-DATA client finishes with 250, idle client gets 421 4.3.2, exit 0, message kept", SLOW, async () => {
    const config = writeConfig(dir, join(dir, "data1"), { tls: await certFiles(dir) });
    const srv = await startChild(config);
    const port = srv.ports.smtp!;
    const early = await RawClient.connect(port);
    await early.hello();
    const first = queueId(await sendData(early, "Subject: before\r\n\r\nbefore the signal\r\n"));
    const busy = await midData(port);
    const idle = await RawClient.connect(port);
    await idle.hello();

    srv.kill("SIGTERM");
    // idle sessions (also the one between transactions) are told at once
    await idle.expect("421 4.3.2");
    await idle.closed;
    await early.expect("421 4.3.2");
    await early.closed;
    // the one in a transaction may finish it, then is told
    busy.send("second half\r\n.\r\n");
    const done = await busy.expect("250 2.0.0 queued as");
    await busy.expect("421 4.3.2");
    await busy.closed;

    assert.deepEqual(await srv.exited, { code: 0, signal: null }, srv.stderr());
    assert.match(srv.stderr(), /"msg":"stopped"/);
    assert.deepEqual(await queued(config), [first, queueId(done)].sort());
  });

  it("a client that does not finish gets 421 after timeouts.shutdown; exit 0; no partial message", SLOW, async () => {
    const config = writeConfig(dir, join(dir, "data2"), { timeouts: { shutdown: 1 }, tls: await certFiles(dir) });
    const srv = await startChild(config);
    const port = srv.ports.smtp!;
    const early = await RawClient.connect(port);
    await early.hello();
    const first = queueId(await sendData(early, "Subject: before\r\n\r\nbefore the signal\r\n"));
    const busy = await midData(port);

    srv.kill("SIGTERM");
    await early.expect("421 4.3.2");
    // busy says nothing more; the grace period ends
    await busy.expect("421 4.3.2");
    await busy.closed;
    assert.deepEqual(await srv.exited, { code: 0, signal: null }, srv.stderr());
    assert.deepEqual(await queued(config), [first]);

    // and the spool opens cleanly for the next start
    const again = await startChild(config);
    const c = await RawClient.connect(again.ports.smtp!);
    await c.hello();
    const next = queueId(await sendData(c, "Subject: after restart\r\n\r\nok\r\n"));
    await c.quit();
    again.kill("SIGTERM");
    assert.deepEqual(await again.exited, { code: 0, signal: null }, again.stderr());
    assert.deepEqual(await queued(config), [first, next].sort());
  });
});
