// The IMAP benchmark's pieces: the literal-exact response reader, ranges, the seeded
// corpus, and the RESULTS.md section writer (only our markers are touched).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { BODY_TERM, generateMessage, summarise } from "../../bench/imap-corpus.ts";
import { ranges, type Response, ResponseReader } from "../../bench/imap-load.ts";
import { BEGIN, END, writeImapSection } from "../../bench/imap-report.ts";

const dir = mkdtempSync(join(tmpdir(), "tern-imapbench-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const enc = (s: string) => new TextEncoder().encode(s);

describe("IMAP bench: response reader", () => {
  it("follows literals byte-exactly, in any chunking", () => {
    const body = "line one\r\n* 9 FETCH (fake)\r\n{5}\r\n";
    const stream = `* 1 FETCH (BODY[] {${body.length}}\r\n${body} FLAGS (\\Seen))\r\n* SEARCH 2 4 6\r\nt1 OK done\r\n`;
    const bytes = enc(stream);
    for (const size of [1, 2, 7, bytes.length]) {
      const got: Response[] = [];
      const r = new ResponseReader((x) => got.push(x));
      for (let i = 0; i < bytes.length; i += size) r.push(bytes.subarray(i, i + size));
      assert.deepEqual(got.map((g) => g.text), ["* 1 FETCH (BODY[] {} FLAGS (\\Seen))", "* SEARCH 2 4 6", "t1 OK done"], `chunk ${size}`);
      assert.equal(got[0]!.literalBytes, body.length);
    }
  });

  it("splits 1..n into pipelined ranges", () => {
    assert.deepEqual(ranges(2500, 1000), ["1:1000", "1001:2000", "2001:2500"]);
    assert.deepEqual(ranges(3, 10), ["1:3"]);
  });
});

describe("IMAP bench: corpus", () => {
  it("is deterministic per seed and CRLF-only with the body term only where counted", () => {
    const a = generateMessage(7, 123);
    const b = generateMessage(7, 123);
    assert.deepEqual(a, b);
    assert.notDeepEqual(generateMessage(8, 123).bytes, a.bytes);
    let hits = 0;
    for (let i = 0; i < 300; i++) {
      const m = generateMessage(7, i);
      const s = Buffer.from(m.bytes).toString("latin1");
      assert.ok(!/[^\r]\n/.test(s), `bare LF in message ${i}`);
      if (s.toLowerCase().includes(BODY_TERM)) hits++;
      assert.equal(s.includes(BODY_TERM), m.bodyHit);
    }
    assert.equal(summarise(7, 300).bodyHits, hits);
  });
});

describe("IMAP bench: RESULTS.md section", () => {
  it("appends once, then replaces only what is between the markers", () => {
    const p = join(dir, "RESULTS.md");
    writeFileSync(p, "# Results\n\ningest table\n");
    writeImapSection(p, `${BEGIN}\nfirst\n${END}`);
    writeImapSection(p, `${BEGIN}\nsecond\n${END}`);
    const text = readFileSync(p, "utf8");
    assert.equal(text, `# Results\n\ningest table\n\n${BEGIN}\nsecond\n${END}\n`);
  });
});
