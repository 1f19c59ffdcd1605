import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DataReceiver } from "../../src/proto/smtp/data-receiver.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** feed `input` split at the given positions; returns body, end offset (global) and flags */
function run(input: string, splits: number[]) {
  const bytes = enc.encode(input);
  const rx = new DataReceiver();
  const parts: Uint8Array[] = [];
  const cuts = [0, ...splits, bytes.length];
  let end = -1;
  for (let k = 0; k < cuts.length - 1 && end === -1; k++) {
    const piece = bytes.slice(cuts[k], cuts[k + 1]);
    const e = rx.feed(piece, (c) => parts.push(c.slice()));
    if (e !== -1) end = cuts[k] + e;
  }
  const body = dec.decode(Buffer.concat(parts));
  return { body, end, bareCr: rx.bareCr, bareLf: rx.bareLf };
}

describe("DataReceiver", () => {
  const msg = "Subject: hi\r\n\r\n..leading dot\r\nline\r\n.\r\nMAIL FROM:<x>\r\n";
  const expectedBody = "Subject: hi\r\n\r\n.leading dot\r\nline\r\n";
  const endAt = msg.indexOf("\r\n.\r\n") + 5;

  it("unstuffs and finds the end at every single split position", () => {
    for (let p = 0; p <= msg.length; p++) {
      const r = run(msg, [p]);
      assert.equal(r.body, expectedBody, `split at ${p}`);
      assert.equal(r.end, endAt, `split at ${p}`);
      assert.equal(r.bareCr || r.bareLf, false);
    }
  });

  it("finds CRLF.CRLF at every pair of split positions", () => {
    const s = "a\r\n.\r\n";
    for (let p = 0; p <= s.length; p++) {
      for (let q = p; q <= s.length; q++) {
        const r = run(s, [p, q]);
        assert.equal(r.body, "a\r\n");
        assert.equal(r.end, s.length);
      }
    }
  });

  it("one byte at a time", () => {
    const splits = Array.from({ length: msg.length - 1 }, (_, i) => i + 1);
    const r = run(msg, splits);
    assert.equal(r.body, expectedBody);
    assert.equal(r.end, endAt);
  });

  it("an empty body ends at the first line", () => {
    assert.deepEqual(run(".\r\n", []), { body: "", end: 3, bareCr: false, bareLf: false });
  });

  it("smuggling: \\n.\\n and \\r.\\r never end the message, and are flagged", () => {
    for (const evil of ["a\n.\nMAIL FROM:<e>\r\n", "a\r.\rMAIL FROM:<e>\r\n", "a\r\n.\nX\r\n", "a\n.\r\nX\r\n"]) {
      const input = evil + "tail\r\n.\r\n";
      for (let p = 0; p <= input.length; p++) {
        const r = run(input, [p]);
        assert.equal(r.end, input.length, `${JSON.stringify(evil)} split ${p}`);
        assert.ok(r.bareCr || r.bareLf, `${JSON.stringify(evil)} flagged`);
      }
    }
  });

  it("bare CR and bare LF flags are precise", () => {
    assert.equal(run("a\rb\r\n.\r\n", []).bareCr, true);
    assert.equal(run("a\rb\r\n.\r\n", []).bareLf, false);
    assert.equal(run("a\nb\r\n.\r\n", []).bareLf, true);
    assert.equal(run("a\nb\r\n.\r\n", []).bareCr, false);
    assert.equal(run("a\r\n.x\r\n.\r\n", []).body, "a\r\nx\r\n");
  });
});
