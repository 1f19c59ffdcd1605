// SEARCH on decoded text through an ImapSession over the fake store (no sockets):
// combinations of header and body keys, repeated searches over the cached decoded
// header values, CHARSET strings and BADCHARSET.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ImapHarness, msg } from "./harness.ts";

const enc = new TextEncoder();

const QP_BODY = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n";

async function selected() {
  const h = new ImapHarness();
  await h.login();
  await h.deliver("INBOX", msg("=?UTF-8?B?w5xiZXJ3ZWlzdW5n?= April")); // "Überweisung April"
  await h.deliver("INBOX", msg("=?ISO-8859-1?Q?R=E9sum=E9?=", "der B=C3=A4r und die M=\r\naus\r\n", QP_BODY));
  await h.deliver("INBOX", msg("plain", "Der BÄR schläft\r\n", "Content-Type: text/plain; charset=utf-8\r\n"));
  assert.match(await h.send("s SELECT INBOX\r\n"), /s OK/);
  return h;
}

const first = (r: string) => r.split("\r\n")[0];

describe("IMAP SEARCH on decoded text (session)", () => {
  it("header, body and TEXT keys alone and combined, the same when repeated", async () => {
    const h = await selected();
    const s = async (q: string) => first(await h.send(`s ${q}\r\n`));
    for (let round = 0; round < 2; round++) { // the second round reads the cached decoded values
      assert.equal(await s("SEARCH SUBJECT überweisung"), "* SEARCH 1");
      assert.equal(await s('SEARCH SUBJECT "RÉSUMÉ"'), "* SEARCH 2");
      assert.equal(await s("SEARCH BODY maus SUBJECT résumé"), "* SEARCH 2");
      assert.equal(await s("SEARCH BODY bär"), "* SEARCH 2 3");
      assert.equal(await s("SEARCH OR BODY maus SUBJECT april"), "* SEARCH 1 2");
      assert.equal(await s("SEARCH NOT BODY maus"), "* SEARCH 1 3");
      assert.equal(await s("SEARCH TEXT überweisung"), "* SEARCH 1");
      assert.equal(await s('SEARCH TEXT "subject: résumé"'), "* SEARCH 2");
      assert.equal(await s("SEARCH TEXT SCHLÄFT"), "* SEARCH 3");
      assert.equal(await s('SEARCH HEADER Subject ""'), "* SEARCH 1 2 3");
      assert.equal(await s("SEARCH SUBJECT =?UTF-8?B?"), "* SEARCH"); // the raw form is not matched
    }
  });

  it("CHARSET decodes the search strings; an unknown one is NO [BADCHARSET] and the session goes on", async () => {
    const h = await selected();
    const latin1 = Uint8Array.of(...enc.encode('a SEARCH CHARSET ISO-8859-1 BODY "b'), 0xe4, ...enc.encode('r"\r\n'));
    assert.equal(first(await h.send(latin1)), "* SEARCH 2 3");
    assert.equal(first(await h.send("b SEARCH CHARSET UTF-8 BODY {4+}\r\nbär\r\n")), "* SEARCH 2 3");
    assert.match(await h.send("c UID SEARCH CHARSET X-NOPE BODY x\r\n"), /^c NO \[BADCHARSET \(UTF-8 US-ASCII\)\] /);
    assert.match(await h.send("d SEARCH CHARSET x\r\n"), /^d BAD/);
    assert.equal(first(await h.send("e SEARCH CHARSET us-ascii SUBJECT april\r\n")), "* SEARCH 1");
  });
});
