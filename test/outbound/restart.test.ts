// Outbound relay end to end across a crash: a `tern serve` child relays 60 acknowledged
// messages to a loopback receiver; after 20 are delivered the receiver stops answering
// the final dot (several transactions are in flight, the rest still queued) and the
// child is killed with SIGKILL. A new child on the same dataDir delivers the rest:
// nothing is lost and every recipient gets its message exactly once.
//
// The one window where a duplicate is allowed (README): the receiver answered 250 to our
// final dot but the "delivered" state was not yet durable when we died. This test kills
// only after every 250 the receiver sent is recorded in events.log (which is written
// after the state is durable), so here no duplicate is acceptable.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { type ChildServer, startChild, tmpDir, writeConfig } from "../helpers/child.ts";
import { RawClient, sendData } from "../helpers/smtp-client.ts";
import { type SmtpReceiver, startReceiver } from "../helpers/smtp-receiver.ts";
import { readEvents, until } from "./_helpers.ts";

const N = 60;
const BEFORE_CRASH = 20;

let rx: SmtpReceiver;
let dir: string;
let child: ChildServer | undefined;
let restarted = false;

before(async () => {
  rx = await startReceiver({
    // after the BEFORE_CRASH-th accepted transaction, stop answering the final dot
    dataReply: () => {
      if (!restarted && rx.transactions.length + 1 >= BEFORE_CRASH) rx.opts.stallAt = "dataEnd";
      return undefined;
    },
  });
  dir = tmpDir("tern-outbound-restart-");
});
after(async () => {
  child?.kill("SIGKILL");
  await child?.exited;
  await rx?.close();
  rmSync(dir, { recursive: true, force: true });
});

const delivered = (dataDir: string) => readEvents(dataDir).filter((e) => e.type === "delivered").length;
const received = () => rx.transactions.flatMap((t) => t.rcptTo);

describe("outbound e2e: SIGKILL in the middle of a busy queue", { timeout: 120_000 }, () => {
  it(`loses nothing and delivers each of ${N} messages once after a restart`, { timeout: 120_000 }, async () => {
    const dataDir = `${dir}/data`;
    const config = writeConfig(dir, dataDir, {
      routes: { "example.org": `127.0.0.1:${rx.port}` },
      queue: { retry: { first: 1, max: 1 } },
      outbound: { maxConnectionsPerDestination: 4, maxMessagesPerConnection: 1000 },
    });
    child = await startChild(config);
    const c = await RawClient.connect(child.ports.smtp!);
    await c.hello();
    for (let i = 0; i < N; i++) {
      const r = await sendData(c, `Subject: crash ${i}\r\n\r\nmessage ${i}\r\n`, "alice@tern.test", `r${i}@example.org`);
      assert.equal(r.code, 250, r.last); // acknowledged: must survive the crash
    }
    await c.quit();

    await until(() => rx.opts.stallAt === "dataEnd", "the receiver stalls after the 20th message");
    await until(() => received().length === BEFORE_CRASH, "the first messages were accepted");
    await until(() => delivered(dataDir) === received().length, "every 250 the receiver sent is durable in events.log");
    const inFlight = rx.sessions.filter((s) => !s.closed && s.commands.includes("DATA")).length;
    assert.ok(inFlight >= 1, "transactions are in flight at the crash");

    child.kill("SIGKILL");
    assert.equal((await child.exited).signal, "SIGKILL");
    child = undefined;
    restarted = true;
    rx.opts.stallAt = undefined;
    const beforeRestart = received().length;

    child = await startChild(config);
    await until(() => received().length >= N, `all ${N} recipients reached the receiver`, 60_000);
    await until(() => delivered(dataDir) === N, "events.log has a delivery for each message", 30_000);
    const rcpts = received().sort();
    assert.equal(new Set(rcpts).size, N, "nothing lost");
    assert.equal(rcpts.length, N, `no duplicates (before the crash: ${beforeRestart})`);

    child.kill("SIGTERM");
    await child.exited;
    child = undefined;
  });
});
