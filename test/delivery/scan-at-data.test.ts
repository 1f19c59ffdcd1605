// filters.clamd at SMTP time: an infected message is refused with 554 5.7.1 at the end
// of DATA and is not in the spool; a clean one gets its 250; clamd down → 451 4.7.0.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startFakeClamd, type FakeClamd } from "../helpers/fake-clamd.ts";
import { RawClient, sendData } from "../helpers/smtp-client.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

let clamd: FakeClamd;
let t: TestServer;

async function send(port: number, body: string): Promise<string> {
  const c = await RawClient.connect(port);
  try {
    await c.hello("scan.test");
    const r = await sendData(c, body + "\r\n", "a@example.org", "alice@tern.test");
    return r.last;
  } finally {
    c.destroy();
  }
}

describe("virus scan at the end of DATA", () => {
  before(async () => {
    clamd = await startFakeClamd();
    t = await startTestServer({ filters: { clamd: `127.0.0.1:${clamd.port}`, clamdTimeout: 5 } });
  });
  after(async () => {
    await t.stop();
    await clamd.close();
  });

  it("infected → 554 5.7.1, nothing queued; clean → 250 and scanned", { timeout: 60_000 }, async () => {
    const bad = await send(t.smtp, "Subject: x\r\n\r\nX5O!P%@AP EICAR test");
    assert.match(bad, /^554 5\.7\.1 message refused: virus Eicar-Test-Signature found/);
    assert.equal(t.server.spool.list().length, 0);
    const good = await send(t.smtp, "Subject: y\r\n\r\nhello");
    assert.match(good, /^250 2\.0\.0 queued as/);
    assert.equal(t.server.spool.list().length, 1);
    assert.ok(clamd.bodies.length >= 2, "both were streamed to clamd");
  });

  it("clamd unreachable → 451 4.7.0, nothing queued", { timeout: 60_000 }, async () => {
    await clamd.close();
    const r = await send(t.smtp, "Subject: z\r\n\r\nhello");
    assert.match(r, /^451 4\.7\.0 /);
    assert.equal(t.server.spool.list().length, 1, "only the earlier clean message");
  });
});
