import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseCommand } from "../../src/proto/pop3/command.ts";

describe("POP3 command parser", () => {
  it("parses every command, keywords case-insensitive", () => {
    assert.deepEqual(parseCommand("user alice@tern.test"), { verb: "USER", name: "alice@tern.test" });
    assert.deepEqual(parseCommand("PASS pass with spaces "), { verb: "PASS", password: "pass with spaces " });
    assert.deepEqual(parseCommand("Stat"), { verb: "STAT" });
    assert.deepEqual(parseCommand("LIST"), { verb: "LIST" });
    assert.deepEqual(parseCommand("LIST 3"), { verb: "LIST", msg: 3 });
    assert.deepEqual(parseCommand("uidl 12"), { verb: "UIDL", msg: 12 });
    assert.deepEqual(parseCommand("RETR 1"), { verb: "RETR", msg: 1 });
    assert.deepEqual(parseCommand("DELE 2"), { verb: "DELE", msg: 2 });
    assert.deepEqual(parseCommand("TOP 1 0"), { verb: "TOP", msg: 1, lines: 0 });
    assert.deepEqual(parseCommand("NOOP"), { verb: "NOOP" });
    assert.deepEqual(parseCommand("RSET"), { verb: "RSET" });
    assert.deepEqual(parseCommand("QUIT"), { verb: "QUIT" });
    assert.deepEqual(parseCommand("CAPA"), { verb: "CAPA" });
    assert.deepEqual(parseCommand("STLS"), { verb: "STLS" });
    assert.deepEqual(parseCommand("AUTH"), { verb: "AUTH", mechanism: undefined, initial: undefined });
    assert.deepEqual(parseCommand("AUTH plain"), { verb: "AUTH", mechanism: "PLAIN", initial: undefined });
    const ir = "AGFsaWNlQHRlcm4udGVzdABzM2NyZXQtcGFzcw==";
    assert.deepEqual(parseCommand(`AUTH PLAIN ${ir}`), { verb: "AUTH", mechanism: "PLAIN", initial: ir });
    assert.deepEqual(parseCommand("APOP a b"), { verb: "APOP" });
  });

  it("rejects bad arguments with a reason", () => {
    const bad = [
      "RETR", "RETR 0", "RETR -1", "RETR x", "RETR 1 2", "DELE", "LIST 0", "LIST 1 2", "TOP 1", "TOP 1 x",
      "TOP 0 1", "STAT 1", "QUIT now", "USER", "USER a b", "PASS", "RETR  1", "RETR 99999999999", "RETR 1\x00",
      `USER ${"a".repeat(41)}`, "AUTH PLAIN a b",
    ];
    for (const line of bad) {
      const c = parseCommand(line);
      assert.equal(c.verb, "invalid", line);
      if (c.verb === "invalid") assert.ok(c.reason.length > 0);
    }
  });

  it("reports unknown keywords, printable", () => {
    assert.deepEqual(parseCommand("HELO x"), { verb: "unknown", keyword: "HELO" });
    assert.deepEqual(parseCommand("XX"), { verb: "unknown", keyword: "XX" });
    assert.deepEqual(parseCommand(""), { verb: "unknown", keyword: "" });
    assert.deepEqual(parseCommand("GET / HTTP/1.1"), { verb: "unknown", keyword: "GET" });
    const c = parseCommand("\x1b[31mred");
    assert.equal(c.verb, "unknown");
    if (c.verb === "unknown") assert.match(c.keyword, /^[\x21-\x7e]*$/);
  });
});
