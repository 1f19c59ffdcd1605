import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ImapReceiver, type TooLong } from "../../src/proto/imap/receiver.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function collect(limits = { maxLine: 200, maxLiteral: 1000 }) {
  const events: string[] = [];
  const rx = new ImapReceiver({
    command: (b) => events.push("cmd:" + dec.decode(b)),
    continuation: () => events.push("+"),
    tooLong: (k: TooLong, head) => events.push(`toolong:${k}:${dec.decode(head).split(" ")[0]}`),
  }, limits);
  return { rx, events };
}

const STREAM = "a1 NOOP\r\n" +
  "a2 LOGIN {5}\r\nalice {3+}\r\npw!\r\n" +
  "a3 APPEND INBOX {12}\r\nline1\r\nline2\r\n" +
  "a4 SELECT {0}\r\n\r\n" +
  "a5 FETCH 1:* (FLAGS)\n";

const EXPECTED = [
  "cmd:a1 NOOP",
  "+",
  "cmd:a2 LOGIN {5}\r\nalice {3+}\r\npw!",
  "+",
  "cmd:a3 APPEND INBOX {12}\r\nline1\r\nline2",
  "+",
  "cmd:a4 SELECT {0}\r\n",
  "cmd:a5 FETCH 1:* (FLAGS)",
];

describe("IMAP receiver", () => {
  it("assembles commands and literals whole", () => {
    const { rx, events } = collect();
    rx.feed(enc.encode(STREAM));
    assert.deepEqual(events, EXPECTED);
  });

  it("gives the same commands at every split position", () => {
    const bytes = enc.encode(STREAM);
    for (let i = 0; i <= bytes.length; i++) {
      const { rx, events } = collect();
      rx.feed(bytes.subarray(0, i));
      rx.feed(bytes.subarray(i));
      assert.deepEqual(events, EXPECTED, `split at ${i}`);
    }
  });

  it("gives the same commands fed one byte at a time and at every pair of splits", () => {
    const bytes = enc.encode(STREAM);
    const one = collect();
    for (const b of bytes) one.rx.feed(Uint8Array.of(b));
    assert.deepEqual(one.events, EXPECTED);
    for (let i = 0; i < bytes.length; i += 3) {
      for (let j = i; j <= bytes.length; j += 5) {
        const { rx, events } = collect();
        rx.feed(bytes.subarray(0, i));
        rx.feed(bytes.subarray(i, j));
        rx.feed(bytes.subarray(j));
        assert.deepEqual(events, EXPECTED, `split at ${i},${j}`);
      }
    }
  });

  it("refuses an over-long line without storing it, then goes on", () => {
    const { rx, events } = collect({ maxLine: 50, maxLiteral: 100 });
    rx.feed(enc.encode("t1 " + "X".repeat(30)));
    rx.feed(enc.encode("Y".repeat(100_000)));
    rx.feed(enc.encode("Z\r\nt2 NOOP\r\n"));
    assert.deepEqual(events, ["toolong:line:t1", "cmd:t2 NOOP"]);
  });

  it("refuses a synchronizing literal over the limit without a continuation", () => {
    const { rx, events } = collect({ maxLine: 50, maxLiteral: 100 });
    rx.feed(enc.encode("t1 APPEND INBOX {101}\r\nt2 NOOP\r\n"));
    assert.deepEqual(events, ["toolong:literal:t1", "cmd:t2 NOOP"]);
  });

  it("reports a non-synchronizing literal over the limit", () => {
    const { rx, events } = collect({ maxLine: 50, maxLiteral: 100 });
    rx.feed(enc.encode("t1 APPEND INBOX {99999999+}\r\n"));
    assert.deepEqual(events, ["toolong:literal-nonsync:t1"]);
  });

  it("holds input while paused and replays it on resume", () => {
    const events: string[] = [];
    const rx: ImapReceiver = new ImapReceiver({
      command: (b) => {
        events.push(dec.decode(b));
        rx.pause();
      },
      continuation: () => events.push("+"),
      tooLong: () => events.push("toolong"),
    }, { maxLine: 100, maxLiteral: 100 });
    rx.feed(enc.encode("a NOOP\r\nb NOOP\r\nc {2}\r\nhi\r\n"));
    assert.deepEqual(events, ["a NOOP"]);
    rx.resume();
    assert.deepEqual(events, ["a NOOP", "b NOOP"]);
    rx.resume();
    assert.deepEqual(events, ["a NOOP", "b NOOP", "+", "c {2}\r\nhi"]);
  });

  it("keeps the order when chunks keep arriving while paused (every chunk size)", () => {
    for (let size = 1; size <= STREAM.length; size++) {
      const events: string[] = [];
      let paused = false;
      const rx: ImapReceiver = new ImapReceiver({
        command: (b) => {
          events.push("cmd:" + dec.decode(b));
          rx.pause(); // like a session running the command
          paused = true;
        },
        continuation: () => events.push("+"),
        tooLong: () => events.push("toolong"),
      }, { maxLine: 200, maxLiteral: 1000 });
      const bytes = enc.encode(STREAM);
      // the network delivers a chunk; then the session may finish one command (resume)
      for (let i = 0; i < bytes.length; i += size) {
        rx.feed(bytes.subarray(i, i + size));
        if (paused && i % (3 * size) === 0) {
          paused = false;
          rx.resume();
        }
      }
      for (let n = 0; n < 10 && paused; n++) {
        paused = false;
        rx.resume();
      }
      assert.deepEqual(events, EXPECTED, `chunk size ${size}`);
    }
  });

  it("drops everything buffered on discardBuffered (STARTTLS)", () => {
    const events: string[] = [];
    const rx: ImapReceiver = new ImapReceiver({
      command: (b) => {
        events.push(dec.decode(b));
        rx.discardBuffered();
      },
      continuation: () => {},
      tooLong: () => {},
    }, { maxLine: 100, maxLiteral: 100 });
    rx.feed(enc.encode("a STARTTLS\r\nb LOGIN x y\r\n"));
    assert.deepEqual(events, ["a STARTTLS"]);
  });
});
