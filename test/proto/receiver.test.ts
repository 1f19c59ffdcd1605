import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SmtpReceiver } from "../../src/proto/smtp/receiver.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function make(maxLine = 64) {
  const events: string[] = [];
  const rx: SmtpReceiver = new SmtpReceiver({
    line: (l) => {
      const s = dec.decode(l);
      events.push(`line:${s}`);
      if (s === "DATA") rx.setMode({ kind: "data" });
      const m = /^BDAT (\d+)/.exec(s);
      if (m) rx.setMode({ kind: "bdat", remaining: Number(m[1]) });
    },
    lineTooLong: () => events.push("toolong"),
    body: (c) => events.push(`body:${dec.decode(c)}`),
    dataEnd: () => events.push("end"),
    bdatEnd: () => events.push("bdatend"),
  }, maxLine);
  return { rx, events };
}

function joinBodies(ev: string[]): string[] {
  const out: string[] = [];
  for (const e of ev) {
    if (e.startsWith("body:") && out.length && out[out.length - 1].startsWith("body:")) {
      out[out.length - 1] += e.slice(5);
    } else out.push(e);
  }
  return out;
}

describe("SmtpReceiver", () => {
  const stream = "EHLO x\r\nDATA\r\nhello\r\n..dot\r\n.\r\nBDAT 5\r\nab\r\ncNOOP\r\n";
  const expected = ["line:EHLO x", "line:DATA", "body:hello\r\n.dot\r\n", "end", "line:BDAT 5",
    "body:ab\r\nc", "bdatend", "line:NOOP"];

  it("gives the same events at every split position", () => {
    for (let p = 0; p <= stream.length; p++) {
      const { rx, events } = make();
      const b = enc.encode(stream);
      rx.feed(b.slice(0, p));
      rx.feed(b.slice(p));
      assert.deepEqual(joinBodies(events), expected, `split ${p}`);
    }
  });

  it("splits commands on CRLF only", () => {
    const { rx, events } = make();
    rx.feed(enc.encode("NOOP\nRSET\r\n"));
    assert.deepEqual(events, ["line:NOOP\nRSET"]);
  });

  it("reads an over-long line to its end and stays in sync, at every split", () => {
    const s = "X".repeat(200) + "\r\nNOOP\r\n";
    for (let p = 0; p <= s.length; p++) {
      const { rx, events } = make(64);
      const b = enc.encode(s);
      rx.feed(b.slice(0, p));
      rx.feed(b.slice(p));
      assert.deepEqual(events, ["toolong", "line:NOOP"], `split ${p}`);
    }
  });

  it("holds input while paused and replays it in order", () => {
    const { rx, events } = make();
    const orig = rx.feed.bind(rx);
    rx.feed(enc.encode("NOOP\r\n"));
    rx.pause();
    orig(enc.encode("RSET\r\nQUIT\r\n"));
    assert.deepEqual(events, ["line:NOOP"]);
    rx.resume();
    assert.deepEqual(events, ["line:NOOP", "line:RSET", "line:QUIT"]);
  });
});
