// End to end: a real server in this process (SMTP in → spool → scheduler → fake
// agents), <dataDir>/events.log, and `tern queue stats|flush|retry|delete|suspend|
// resume` as child processes talking to it over <dataDir>/control.sock.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { validateConfig } from "../../src/config/load.ts";
import { createLogger } from "../../src/core/log.ts";
import type { DeliveryEvent, MessageState } from "../../src/queue/types.ts";
import { type RunningServer, startServer } from "../../src/server.ts";
import { runTern, writeConfig } from "../helpers/child.ts";
import { queueId, RawClient, sendData } from "../helpers/smtp-client.ts";
import { FakeAgent, rmDir, tmpDir } from "./_helpers.ts";

const SLOW = { timeout: 60_000 };
const dir = tmpDir("tern-qcli-");
const dataDir = join(dir, "data");
let server: RunningServer;
let config = "";
let port = 0;
const local = new FakeAgent("local");
const remote = new FakeAgent("remote", () => ({ status: "deferred", reply: "451 4.4.1 no answer from mx.example.net", host: "mx.example.net" }));
const events: DeliveryEvent[] = [];

async function send(to: string): Promise<string> {
  const c = await RawClient.connect(port);
  try {
    await c.hello();
    const r = await sendData(c, "Subject: q\r\n\r\nbody\r\n", "sender@example.org", to);
    assert.equal(r.code, 250, r.last);
    return queueId(r);
  } finally {
    await c.quit();
  }
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), what);
}

before(async () => {
  config = writeConfig(dir, dataDir);
  const cfg = validateConfig(JSON.parse(readFileSync(config, "utf8")));
  server = await startServer(cfg, { logger: createLogger("error"), agents: { local, remote } });
  server.queue.events.subscribe((e) => events.push(e));
  port = server.ports.smtp!;
});

after(async () => {
  await server?.close();
  rmDir(dir);
});

describe("queue in the server, and the tern queue CLI", () => {
  it("a message for a local user is handed to the local agent and leaves the spool", SLOW, async () => {
    const id = await send("alice@tern.test");
    await until(() => server.spool.get(id) === undefined, "delivered and removed");
    assert.deepEqual(local.calls.find((c) => c.id === id)?.rcpts, ["alice@tern.test"]);
    await until(() => readFileSync(join(dataDir, "events.log"), "utf8").includes(`"id":"${id}"`), "events.log written");
    const lines = readFileSync(join(dataDir, "events.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as DeliveryEvent);
    const mine = lines.filter((e) => e.id === id).map((e) => e.type);
    assert.deepEqual(mine, ["queued", "delivered"]);
    assert.ok(events.some((e) => e.id === id && e.type === "delivered"), "published on the bus too");
  });

  it("stats: counts, oldest age and deferred per domain (text and --json)", SLOW, async () => {
    const id = await send("bob@example.net");
    await until(() => (server.spool.get(id)?.state as unknown as MessageState | undefined)?.rcpts[0]?.status === "deferred", "deferred");
    const r = await runTern(["queue", "stats", "--config", config]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /messages: +1 /);
    assert.match(r.stdout, /1 deferred/);
    assert.match(r.stdout, /1 +example\.net/);
    const j = await runTern(["queue", "stats", "--json", "--config", config]);
    assert.equal(j.code, 0, j.stderr);
    const s = JSON.parse(j.stdout);
    assert.equal(s.messages, 1);
    assert.deepEqual(s.deferredByDomain, { "example.net": 1 });
  });

  it("retry ID and flush: the deferred message is attempted again at once", SLOW, async () => {
    const before = remote.calls.length;
    const id = server.spool.list()[0]!.id;
    const r = await runTern(["queue", "retry", id, "--config", config]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /scheduled for delivery now/);
    await until(() => remote.calls.length === before + 1, "retried");
    const f = await runTern(["queue", "flush", "--config", config]);
    assert.equal(f.code, 0, f.stderr);
    assert.match(f.stdout, /^1 message\(s\) scheduled/);
    await until(() => remote.calls.length === before + 2, "flushed");
    const st = server.spool.get(id)!.state as unknown as MessageState;
    assert.equal(st.attempts, 3);
  });

  it("suspend/resume a domain", SLOW, async () => {
    const s = await runTern(["queue", "suspend", "example.net", "--config", config]);
    assert.equal(s.code, 0, s.stderr);
    assert.deepEqual(server.queue.scheduler.stats().suspended, ["example.net"]);
    const r = await runTern(["queue", "resume", "example.net", "--config", config]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /resumed; 1 message/);
  });

  it("delete ID: gone from the spool, no bounce; errors name the problem", SLOW, async () => {
    const id = server.spool.list()[0]!.id;
    const bad = await runTern(["queue", "delete", "NOSUCHID", "--config", config]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /no message NOSUCHID in the queue/);
    const usage = await runTern(["queue", "retry", "--config", config]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /expected one queue id/);
    const r = await runTern(["queue", "delete", id, "--config", config]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(server.spool.get(id), undefined);
    assert.equal(server.spool.list().length, 0, "no DSN spooled");
    assert.ok(events.some((e) => e.id === id && e.type === "deleted"));
  });

  it("without a running server: a clear message and exit 1", SLOW, async () => {
    const other = writeConfig(dir, join(dir, "nothing-here"));
    const r = await runTern(["queue", "flush", "--config", other]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /queue flush: the server is not running \(no control socket at .*control\.sock\)/);
    assert.ok(existsSync(join(dataDir, "control.sock")));
  });
});
