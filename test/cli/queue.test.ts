// The operator commands: `tern queue ls` (table and --json), `tern check-config` on a
// bad config, `tern --version`, `tern --help`. Each runs as a child process (async spawn).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { newQueueId, openSpool } from "../../src/spool/index.ts";
import { BATCH_KIND, packBatch, spoolRenderers } from "../../src/http/batch-render.ts";
import { newMessageIds } from "../../src/http/template.ts";
import type { Envelope, QueuedMessage } from "../../src/spool/types.ts";
import { runTern, tmpDir, writeConfig } from "../helpers/child.ts";

const SLOW = { timeout: 30_000 };
const dir = tmpDir("tern-cli-queue-");
const dataDir = join(dir, "data");
const pkg = JSON.parse(readFileSync(fileURLToPath(new URL("../../package.json", import.meta.url).href), "utf8"));
let config = "";
const committed: QueuedMessage[] = [];

function envelope(from: string, to: string[]): Envelope {
  return {
    mailFrom: from,
    rcptTo: to.map((address) => ({ address })),
    client: { address: "127.0.0.1", port: 40000, helo: "client.test", listener: "smtp" },
    receivedAt: Date.now(),
  };
}

before(async () => {
  config = writeConfig(dir, dataDir);
  const spool = await openSpool(dataDir);
  const add = async (env: Envelope, size: number) => {
    const w = spool.begin();
    w.write(new Uint8Array(size).fill(0x61));
    committed.push(await w.commit(env));
  };
  await add(envelope("alice@example.org", ["bob@example.net"]), 300);
  await add(envelope("", ["postmaster@tern.test"]), 2048); // a bounce: null sender
  await add(envelope("carol@example.org", ["d1@example.net", "d2@example.net", "d3@example.com"]), 3 * 1024 * 1024);
  await spool.close();
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe("tern queue ls", () => {
  it("--json: id, envelope, size and commit time of every queued message", SLOW, async () => {
    const r = await runTern(["queue", "ls", "--json", "--config", config]);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as QueuedMessage[];
    assert.deepEqual(list.map((m) => m.id).sort(), committed.map((m) => m.id).sort());
    for (const m of committed) {
      const got = list.find((x) => x.id === m.id)!;
      assert.equal(got.size, m.size);
      assert.equal(got.committedAt, m.committedAt);
      assert.equal(got.envelope.mailFrom, m.envelope.mailFrom);
      assert.deepEqual(got.envelope.rcptTo, m.envelope.rcptTo);
    }
  });

  it("table: ID SENDER RECIPIENTS SIZE AGE, <> for the null sender, a count", SLOW, async () => {
    const r = await runTern(["queue", "ls", "--config", config]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.match(lines[0]!, /^ID +SENDER +RECIPIENTS +SIZE +AGE$/);
    assert.equal(lines.at(-1), "3 message(s)");
    const row = (id: string) => lines.find((l) => l.startsWith(id + " "))?.split(/ +/);
    assert.deepEqual(row(committed[0]!.id)?.slice(1, 4), ["alice@example.org", "bob@example.net", "300B"]);
    assert.deepEqual(row(committed[1]!.id)?.slice(1, 4), ["<>", "postmaster@tern.test", "2.0K"]);
    assert.deepEqual(row(committed[2]!.id)?.slice(1, 4), ["carol@example.org", "d1@example.net,d2@example.net,d3@example.com", "3.0M"]);
    for (const m of committed) assert.match(row(m.id)!.at(-1)!, /^\d+[smhd]/); // age
  });

  it("an empty or missing spool: 'queue is empty' / []", SLOW, async () => {
    const empty = writeConfig(dir, join(dir, "nothing-here"));
    let r = await runTern(["queue", "ls", "--config", empty]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "queue is empty\n");
    r = await runTern(["queue", "ls", "--json", "--config", empty]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), []);
  });

  it("TERN_DATA_DIR overrides the config's dataDir", SLOW, async () => {
    const empty = writeConfig(dir, join(dir, "elsewhere"));
    const r = await runTern(["queue", "ls", "--json", "--config", empty], { TERN_DATA_DIR: dataDir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as unknown[]).length, 3);
  });
});

describe("tern queue ls: messages of HTTP batches", () => {
  it("lists them with the size of the rendered message", SLOW, async () => {
    const data = join(dir, "batch-data");
    const spool = await openSpool(data, { renderers: spoolRenderers });
    const body = new TextEncoder().encode(JSON.stringify({ from: "news@app.test", subject: "Hi {{n}}", text: "n = {{n}}", recipients: [{ to: "a@example.net", substitutions: { n: 1 } }, { to: "b@example.net", substitutions: { n: 22 } }] }));
    const payload = packBatch({ format: "json", body, mailFrom: "news@app.test", now: Date.now(), ...newMessageIds(), hostname: "h.test", clientAddress: "127.0.0.1", keyId: "k" });
    const msgs = ["a@example.net", "b@example.net"].map((address) => ({ id: newQueueId(), rcptTo: [{ address }] }));
    const done = await spool.commitRendered({ mailFrom: "news@app.test", client: envelope("", []).client, receivedAt: Date.now() }, BATCH_KIND, payload, msgs);
    const sizes = done.map((m) => m.size);
    await spool.close();
    const r = await runTern(["queue", "ls", "--json", "--config", writeConfig(dir, data)]);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as QueuedMessage[];
    assert.deepEqual(list.map((m) => [m.id, m.size]), done.map((m, i) => [m.id, sizes[i]]));
    assert.equal(sizes[1]! - sizes[0]!, 2, "22 vs 1, in the subject and in the text");
  });
});

describe("tern check-config, --version, --help", () => {
  it("check-config: a bad config exits 1 naming each bad key", SLOW, async () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ limits: { maxConnections: -1 }, timeouts: { command: "soon" }, listen: { smtp: "nowhere" } }));
    const r = await runTern(["check-config", "--config", bad]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /limits\.maxConnections: expected a positive integer/);
    assert.match(r.stderr, /timeouts\.command: expected a positive number of seconds/);
    assert.match(r.stderr, /listen\.smtp: expected "host:port" or false/);
  });

  it("check-config: invalid JSON and a missing file exit 1 with the path", SLOW, async () => {
    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{ not json");
    let r = await runTern(["check-config", "--config", broken]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /broken\.json: invalid JSON/);
    r = await runTern(["check-config", "--config", join(dir, "missing.json")]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /missing\.json/);
  });

  it("check-config: a good config exits 0 with a summary", SLOW, async () => {
    const r = await runTern(["check-config", "--config", config]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^config OK\n/);
    assert.ok(r.stdout.includes(dataDir));
  });

  it("--version and --help", SLOW, async () => {
    const v = await runTern(["--version"]);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout, `tern ${pkg.version}\n`);
    const h = await runTern(["--help"]);
    assert.equal(h.code, 0, h.stderr);
    for (const cmd of ["serve", "check-config", "queue ls", "--config", "--json"]) assert.ok(h.stdout.includes(cmd), cmd);
  });
});
