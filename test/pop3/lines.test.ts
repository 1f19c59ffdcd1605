import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { LineReader } from "../../src/proto/pop3/lines.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function collect(chunks: Uint8Array[], max = 20): string[] {
  const out: string[] = [];
  const r = new LineReader({ line: (l) => out.push(dec.decode(l)), tooLong: () => out.push("<too long>") }, max);
  for (const c of chunks) r.feed(c);
  if (r.pending) out.push(`<pending ${r.pending}>`);
  return out;
}

/** every way of cutting `s` into two pieces, plus byte by byte */
function eachSplit(s: string, fn: (chunks: Uint8Array[], label: string) => void): void {
  const b = enc.encode(s);
  for (let i = 0; i <= b.length; i++) fn([b.subarray(0, i), b.subarray(i)], `split at ${i}`);
  for (let i = 1; i < b.length; i++) {
    for (let j = i + 1; j < b.length; j++) fn([b.subarray(0, i), b.subarray(i, j), b.subarray(j)], `splits at ${i},${j}`);
  }
  fn([...b].map((x) => new Uint8Array([x])), "byte by byte");
}

describe("POP3 line reader", () => {
  it("splits on CRLF at every chunk boundary", () => {
    const input = "USER a@b\r\nPASS x y\r\n\r\nQUIT\r\n";
    eachSplit(input, (chunks, label) => {
      assert.deepEqual(collect(chunks), ["USER a@b", "PASS x y", "", "QUIT"], label);
    });
  });

  it("keeps a bare LF or CR inside the line (CRLF only ends a line)", () => {
    eachSplit("A\nB\rC\r\nD\r\r\n", (chunks, label) => {
      assert.deepEqual(collect(chunks), ["A\nB\rC", "D\r"], label);
    });
  });

  it("holds an incomplete line until its CRLF", () => {
    eachSplit("STAT\r\nLIS", (chunks, label) => {
      assert.deepEqual(collect(chunks), ["STAT", "<pending 3>"], label);
    });
  });

  it("reports an over-long line once, drops it, and goes on", () => {
    const long = "X".repeat(25);
    eachSplit(`NOOP\r\n${long}\r\nSTAT\r\n`, (chunks, label) => {
      assert.deepEqual(collect(chunks), ["NOOP", "<too long>", "STAT"], label);
    });
  });

  it("accepts a line of exactly the cap; one more byte is too long", () => {
    eachSplit(`${"a".repeat(20)}\r\n${"b".repeat(21)}\r\nok\r\n`, (chunks, label) => {
      assert.deepEqual(collect(chunks), ["a".repeat(20), "<too long>", "ok"], label);
    });
  });

  it("an over-long line ending in CR then LF in the next chunk ends there", () => {
    const long = "Y".repeat(30);
    eachSplit(`${long}\r\nQUIT\r\n`, (chunks, label) => {
      assert.deepEqual(collect(chunks), ["<too long>", "QUIT"], label);
    });
  });

  it("never buffers more than the cap for an endless line", () => {
    const r = new LineReader({ line: () => {}, tooLong: () => {} }, 100);
    for (let i = 0; i < 1000; i++) r.feed(enc.encode("Z".repeat(1000)));
    assert.ok(r.pending <= 101);
  });

  it("reset() drops the partial line and the rest of the chunk", () => {
    const out: string[] = [];
    const r = new LineReader({
      line: (l) => {
        out.push(dec.decode(l));
        if (dec.decode(l) === "STLS") r.reset();
      },
      tooLong: () => out.push("<too long>"),
    });
    r.feed(enc.encode("STLS\r\nUSER evil\r\nPA"));
    r.feed(enc.encode("SS x\r\n"));
    r.feed(enc.encode("CAPA\r\n"));
    assert.deepEqual(out, ["STLS", "SS x", "CAPA"]);
  });
});
