// The HTTP benchmark's pieces: request bodies of the load generator, the composed size
// the SMTP load copies, and the RESULTS.md section (its own markers only, notes kept).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unpack } from "msgpackr";
import { buildRequests, type HttpLoadOptions } from "../../bench/http-load.ts";
import { composedSize } from "../../bench/http.ts";
import { renderHttpSection, type HttpDoc, type HttpRun } from "../../bench/http-report.ts";

const opts = (o: Partial<HttpLoadOptions>): HttpLoadOptions => ({
  host: "127.0.0.1", port: 1, token: "t", mode: "batch-json", messages: 2500, concurrency: 4, batch: 1000, domain: "d.example", filler: 20, ...o,
});

describe("HTTP bench: load generator", () => {
  it("splits the messages into batches with distinct recipients and substitutions", () => {
    const reqs = buildRequests(opts({}));
    assert.deepEqual(reqs.map((r) => r.messages), [1000, 1000, 500]);
    const b = JSON.parse(reqs[2].body as string);
    assert.equal(b.recipients[0].to, "user2000@d.example");
    assert.equal(b.recipients[0].substitutions.name, "User 2000");
    assert.match(b.text, /\{\{name\}\}/);
  });

  it("sends the same batch as msgpack", () => {
    const [j] = buildRequests(opts({ messages: 10 }));
    const [m] = buildRequests(opts({ messages: 10, mode: "batch-msgpack" }));
    assert.equal(m.type, "application/msgpack");
    assert.deepEqual(unpack(m.body as Uint8Array), JSON.parse(j.body as string));
  });

  it("fills the variables in on the client for single messages", () => {
    const reqs = buildRequests(opts({ mode: "single", messages: 3 }));
    assert.equal(reqs.length, 3);
    const b = JSON.parse(reqs[1].body as string);
    assert.deepEqual(b.to, ["user1@d.example"]);
    assert.equal(b.subject, "Your weekly digest, User 1");
    assert.doesNotMatch(b.text, /\{\{/);
  });

  it("knows the composed message size (about 2 KB)", async () => {
    const size = await composedSize();
    assert.ok(size > 1800 && size < 2400, String(size));
  });
});

describe("HTTP bench: report", () => {
  const run = (load: HttpRun["load"], rate: number): HttpRun => ({
    runtime: "bun", load, sent: 100, accepted: 100, stored: 100, seconds: 100 / rate, msgsPerSec: rate, cpu: 0.01, rssMb: 100, loadavg: 1, errors: [], command: `bun ${load}`,
  });
  const doc: HttpDoc = {
    started: "2026-01-01T00:00:00Z", minutes: 1, argv: [], machine: { nproc: "2", cpu: "x", memory: "1 GiB", kernel: "k", os: "o", disk: "d", bun: "1", deno: "2" },
    spec: { runs: 1, messages: 100, size: 2000, smtpSessions: 50, singleClients: 50, batch: 1000, batchClients: 4 },
    results: [run("smtp", 1000), run("single", 500), run("batch-json", 6000), run("batch-msgpack", 4000)],
  };

  it("writes only between its markers, keeps hand-written notes, gives the target verdicts", () => {
    const dir = mkdtempSync(join(tmpdir(), "tern-http-report-"));
    try {
      const path = join(dir, "RESULTS.md");
      writeFileSync(path, "<!-- ingest:begin -->\ningest\n<!-- ingest:end -->\n");
      renderHttpSection(doc, path);
      let text = readFileSync(path, "utf8");
      assert.match(text, /^<!-- ingest:begin -->\ningest\n<!-- ingest:end -->\n\n<!-- http:begin -->/);
      assert.match(text, /6\.00× — \*\*met\*\*/);
      assert.match(text, /4\.00× — \*\*not met\*\*/);
      text = text.replace("(none yet)", "my notes");
      writeFileSync(path, text + "after\n");
      renderHttpSection(doc, path);
      text = readFileSync(path, "utf8");
      assert.match(text, /my notes/);
      assert.match(text, /<!-- http:end -->\nafter\n$/);
      assert.equal(text.split("<!-- http:begin -->").length, 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
