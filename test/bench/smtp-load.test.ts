// The benchmark's own tools: the pipelining load generator against a real Tern, the
// message builder, /proc readers and the median.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { makeMessage, runLoad, type LoadOptions } from "../../bench/smtp-load.ts";
import { processTree, treeCpuSeconds, vmHwmMb } from "../../bench/lib/procstat.ts";
import { median } from "../../bench/lib/stats.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

describe("bench: makeMessage", () => {
  it("ends every size in CRLF without a bare CR or LF", () => {
    for (let size = 256; size < 600; size++) {
      const text = new TextDecoder().decode(makeMessage(size, "rcpt@example.net", "sender@bench.example"));
      assert.equal(text.length, size);
      assert.ok(text.endsWith("\r\n"));
      assert.equal(text.replace(/\r\n/g, "").search(/[\r\n]/), -1, `size ${size}`);
    }
  });
  for (const size of [256, 2048, 51200, 100003]) {
    it(`builds exactly ${size} bytes of CRLF lines, none starting with a dot`, () => {
      const m = makeMessage(size, "rcpt@example.net", "sender@bench.example");
      assert.equal(m.length, size);
      assert.equal(m[size - 2], 0x0d);
      assert.equal(m[size - 1], 0x0a);
      const text = new TextDecoder().decode(m);
      const lines = text.split("\r\n");
      assert.equal(lines.pop(), "");
      for (const l of lines) {
        assert.ok(!l.startsWith("."), "no line may start with a dot");
        assert.ok(!l.includes("\n") && !l.includes("\r"), "no bare CR or LF");
        assert.ok(l.length <= 998, "RFC 5322 §2.1.1 line length");
      }
    });
  }
});

describe("bench: smtp-load against Tern", () => {
  let srv: TestServer;
  const base = (over: Partial<LoadOptions>): LoadOptions => ({
    host: "127.0.0.1", port: srv.smtp, sessions: 3, messages: 20, size: 2048,
    from: "sender@bench.example", to: "alice@tern.test", helo: "bench.local", bdat: false, ...over,
  });
  before(async () => {
    srv = await startTestServer({ listen: { submission: false, submissions: false, pop3: false, pop3s: false, imap: false, imaps: false } });
  });
  after(async () => {
    await srv.stop();
  });

  it("pipelines MAIL/RCPT/DATA and counts every accepted message", async () => {
    const r = await runLoad(base({}));
    assert.deepEqual(r.errors, []);
    assert.equal(r.sent, 20);
    assert.equal(r.accepted, 20);
    assert.equal(r.failed, 0);
    assert.ok(r.msgsPerSec > 0);
    assert.ok(r.latencyMs.p50 <= r.latencyMs.p99 && r.latencyMs.p99 <= r.latencyMs.max);
  });

  it("sends whole transactions in one write with --bdat", async () => {
    const r = await runLoad(base({ bdat: true, sessions: 2, messages: 7 }));
    assert.deepEqual(r.errors, []);
    assert.equal(r.accepted, 7);
  });

  it("counts rejected recipients as failures and keeps the server's reply", async () => {
    const r = await runLoad(base({ to: "nobody@tern.test", sessions: 1, messages: 3 }));
    assert.equal(r.accepted, 0);
    assert.equal(r.failed, 3);
    assert.match(r.errors[0] ?? "", /^transaction: 5\d\d /);
  });

  it("reports a refused connection as failures, without hanging", async () => {
    const { createServer } = await import("node:net");
    const port = await new Promise<number>((res) => {
      const s = createServer();
      s.listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => res(p));
      });
    });
    const r = await runLoad(base({ port, sessions: 2, messages: 4 }));
    assert.equal(r.accepted, 0);
    assert.equal(r.failed, 4);
    assert.ok(r.errors.length > 0);
  });
});

describe("bench: /proc readers and median", () => {
  it("reads this process's CPU time and peak RSS", () => {
    assert.ok(processTree(process.pid).includes(process.pid));
    assert.ok(treeCpuSeconds(process.pid) > 0);
    assert.ok(vmHwmMb(process.pid) > 1);
  });

  it("takes the median of odd and even counts", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
  });
});
