// Outbound relay end to end with a real peer: Tern relays to Postfix's smtp-sink
// (Debian package postfix, /usr/sbin/smtp-sink) on a free loopback port. smtp-sink
// counts what it accepted (-c) and dumps each message to a file (-d), so the test reads
// back what a real, independent SMTP server received. Skipped, saying why, when
// smtp-sink is not installed.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { freePort } from "../../bench/lib/servers.ts";
import type { TestServer } from "../helpers/server.ts";
import { RawClient, sendData } from "../helpers/smtp-client.ts";
import { readEvents, startRelay, until } from "./_helpers.ts";

const SINK = ["/usr/sbin/smtp-sink", "/usr/bin/smtp-sink"].find((p) => existsSync(p));
const DOMAINS = ["one.example", "two.example", "three.example"];
const N = 30;

let sink: ChildProcess | undefined;
let sinkOut = "";
let dumpDir: string;
let t: TestServer | undefined;

/** smtp-sink -c prints "sess=S quit=Q mesg=M" after each session/QUIT/"."; the last one counts */
function counters(): { sess: number; quit: number; mesg: number } {
  const all = [...sinkOut.matchAll(/sess=(\d+) quit=(\d+) mesg=(\d+)/g)];
  const m = all[all.length - 1];
  return { sess: Number(m?.[1] ?? 0), quit: Number(m?.[2] ?? 0), mesg: Number(m?.[3] ?? 0) };
}

before(async () => {
  if (!SINK) return;
  dumpDir = mkdtempSync(join(tmpdir(), "tern-sink-"));
  chmodSync(dumpDir, 0o777); // smtp-sink drops to "nobody" before it writes
  const port = await freePort();
  const root = process.getuid?.() === 0;
  sink = spawn(SINK, [...(root ? ["-u", "nobody"] : []), "-c", "-d", `${dumpDir}/%H%M%S.`, `127.0.0.1:${port}`, "100"], { stdio: ["ignore", "pipe", "pipe"] });
  sink.stdout!.on("data", (d: Uint8Array) => (sinkOut += Buffer.from(d).toString("latin1")));
  sink.stderr!.on("data", (d: Uint8Array) => (sinkOut += Buffer.from(d).toString("latin1")));
  t = await startRelay({
    routes: Object.fromEntries(DOMAINS.map((d) => [d, `127.0.0.1:${port}`])),
    relay: { trustedNetworks: ["127.0.0.0/8"] },
  });
});
after(async () => {
  await t?.stop();
  if (sink && sink.exitCode === null) {
    const gone = new Promise((r) => sink!.once("exit", r));
    sink.kill("SIGTERM");
    await gone;
  }
  if (dumpDir) rmSync(dumpDir, { recursive: true, force: true });
});

describe("outbound e2e: Postfix smtp-sink as the receiving peer", { timeout: 60_000 }, () => {
  it(`relays ${N} messages to ${DOMAINS.length} domains routed to smtp-sink; it accepts each once`, { timeout: 60_000, skip: SINK ? false : "smtp-sink is not installed (Debian package postfix; .ci/run installs it)" }, async () => {
    const c = await RawClient.connect(t!.smtp);
    await c.hello();
    for (let i = 0; i < N; i++) {
      const r = await sendData(c, `Subject: sink ${i}\r\n\r\nline ${i} for the sink\r\n`, "alice@tern.test", `user${i}@${DOMAINS[i % DOMAINS.length]}`);
      assert.equal(r.code, 250, r.last);
    }
    await c.quit();
    await until(() => counters().mesg >= N, `smtp-sink counted ${N} messages (output: ${sinkOut.slice(-200)})`);
    await until(() => t!.server.spool.list().length === 0, "the spool is empty");
    await until(() => readEvents(t!.dir).filter((e) => e.type === "delivered").length === N, "events.log has every delivery");
    assert.equal(counters().mesg, N, "smtp-sink accepted each message once");

    await until(() => readdirSync(dumpDir).length >= N, "smtp-sink dumped every message");
    const dumps = readdirSync(dumpDir).map((f) => readFileSync(join(dumpDir, f), "latin1"));
    assert.equal(dumps.length, N);
    const rcpts = dumps.map((d) => /^X-Rcpt-Args: <([^>]+)>/m.exec(d)?.[1]).sort();
    assert.deepEqual(rcpts, Array.from({ length: N }, (_, i) => `user${i}@${DOMAINS[i % DOMAINS.length]}`).sort());
    for (const d of dumps) {
      assert.match(d, /^X-Helo-Args: mx\.tern\.test$/m, "our EHLO name");
      assert.match(d, /^X-Mail-Args: <alice@tern\.test>/m);
      const i = /^Subject: sink (\d+)$/m.exec(d)?.[1];
      assert.ok(i !== undefined, "the message's own header arrived");
      assert.ok(d.includes(`\nline ${i} for the sink\n`), "and its body");
      assert.match(d, /^Received: from .*\n\tby mx\.tern\.test/m, "with our Received header");
    }
  });
});
