import assert from "node:assert/strict";
import * as net from "node:net";
import { after, before, describe, it } from "node:test";
import { chunkHeader, parseClamdAddress, parseClamdReply, scanStream } from "../../src/delivery/clamd.ts";
import { type FakeClamd, startFakeClamd } from "../helpers/fake-clamd.ts";
import { type World, world } from "./_helpers.ts";

const EICAR = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
let w: World;
let clamd: FakeClamd;
before(async () => {
  w = await world();
  clamd = await startFakeClamd();
  w.directory.addDomain("example.com");
  await w.directory.addUser("alice@example.com", { password: "a" });
});
after(async () => {
  await clamd.close();
  await w.close();
});

async function* chunks(...parts: string[]): AsyncIterable<Uint8Array> {
  for (const p of parts) yield new TextEncoder().encode(p);
}

describe("clamd INSTREAM", () => {
  it("frames chunks with 4-byte big-endian lengths and parses replies", () => {
    assert.deepEqual([...chunkHeader(0x01020304)], [1, 2, 3, 4]);
    assert.deepEqual(parseClamdReply(new TextEncoder().encode("stream: OK\0")), { status: "clean" });
    assert.deepEqual(parseClamdReply(new TextEncoder().encode("stream: Win.Test.EICAR_HDB-1 FOUND\0")), { status: "infected", virus: "Win.Test.EICAR_HDB-1" });
    assert.equal(parseClamdReply(new TextEncoder().encode("INSTREAM size limit exceeded. ERROR\0")).status, "error");
    assert.deepEqual(parseClamdAddress("127.0.0.1:3310"), { host: "127.0.0.1", port: 3310 });
    assert.deepEqual(parseClamdAddress("/run/clamav/clamd.ctl"), { path: "/run/clamav/clamd.ctl" });
    assert.throws(() => parseClamdAddress("nope"), /filters\.clamd/);
  });

  it("streams the whole body to clamd", async () => {
    const n = clamd.bodies.length;
    const big = "z".repeat(200_000);
    const r = await scanStream({ host: "127.0.0.1", port: clamd.port }, chunks("abc", big, "def"));
    assert.deepEqual(r, { status: "clean" });
    assert.equal(Buffer.from(clamd.bodies[n]!).toString(), "abc" + big + "def");
  });

  it("clean mail is delivered; infected mail fails 5.7.1 and is not stored", async () => {
    const agent = w.agent({ clamd: `127.0.0.1:${clamd.port}` });
    const ok = await w.queue("x@sender.example", ["alice@example.com"], "Subject: clean\r\n\r\nhello\r\n");
    assert.equal((await agent.deliver(ok, ok.envelope.rcptTo))[0]!.outcome.status, "delivered");
    const bad = await w.queue("x@sender.example", ["alice@example.com"], `Subject: virus\r\n\r\n${EICAR}\r\n`);
    const [r] = await agent.deliver(bad, bad.envelope.rcptTo);
    assert.equal(r!.outcome.status, "failed");
    assert.match(r!.outcome.reply!, /^554 5\.7\.1 .*Eicar-Test-Signature/);
    const texts = await w.texts("alice@example.com");
    assert.equal(texts.length, 1);
    assert.match(texts[0]!, /Subject: clean/);
  });

  it("an unreachable clamd defers (4.7.0) instead of delivering unscanned", async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const agent = w.agent({ clamd: `127.0.0.1:${port}` });
    const m = await w.queue("x@sender.example", ["alice@example.com"], "Subject: later\r\n\r\nhello\r\n");
    const [r] = await agent.deliver(m, m.envelope.rcptTo);
    assert.equal(r!.outcome.status, "deferred");
    assert.match(r!.outcome.reply!, /^451 4\.7\.0 virus scan failed/);
  });
});
