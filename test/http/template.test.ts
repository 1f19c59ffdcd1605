// The compiled message writer (src/http/template.ts, mime-write.ts) against nodemailer's
// MailComposer: the same MIME (structure, transfer encodings, encoded words, folding)
// apart from the random parts (Message-ID, boundaries), Date, header order and the name
// case of custom headers. Plus what it does better: CRLF line ends, boundary safety.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import { composeBatch, composeMessage } from "../../src/http/compose.ts";
import { encodePart } from "../../src/http/body-template.ts";
import { sizeOf } from "../../src/http/template.ts";
import { substitute, Template } from "../../src/http/variables.ts";

const dec = new TextDecoder();
const bytes = (m: { parts: (string | Uint8Array)[]; maxSize: number }) => {
  const b = Buffer.concat(m.parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : p)));
  assert.equal(sizeOf(m.parts), b.length, "sizeOf is the UTF-8 byte count of the parts");
  assert.ok(m.maxSize >= b.length, "maxSize bounds it");
  return b;
};

function build(mail: Record<string, unknown>): Promise<string> {
  const mc = new MailComposer(mail);
  return new Promise((res, rej) => mc.compile().build((e: Error | null, m: Uint8Array) => (e ? rej(e) : res(dec.decode(m)))));
}

/** Top-level header fields as a sorted list (unfolded, names lower-cased), the rest as is; random parts masked. */
function normalise(msg: string): { head: string[]; body: string } {
  const boundaries = [...msg.matchAll(/boundary="([^"]+)"/g)].map((m) => m[1]);
  let s = msg;
  boundaries.forEach((b, i) => (s = s.split(b).join(`BOUNDARY${i + 1}`)));
  s = s.replace(/;\r\n boundary=/g, "; boundary="); // folded or not, depending on the boundary's length
  const end = s.indexOf("\r\n\r\n");
  const head = s.slice(0, end).replace(/\r\n[ \t]+/g, " ").split("\r\n")
    .map((l) => l.replace(/^([^:]+):/, (_, k: string) => `${k.toLowerCase()}:`))
    .map((l) => (/^(message-id|date):/.test(l) ? l.replace(/:.*/, ": X") : l))
    .sort();
  return { head, body: s.slice(end) };
}

async function sameAsMailComposer(m: Record<string, unknown>): Promise<void> {
  const ours = dec.decode(bytes(await composeMessage(m as never)));
  const theirs = await build({ ...m, attachments: (m.attachments as { filename: string; content: string; contentType?: string }[] | undefined)
    ?.map((a) => ({ ...a, content: Buffer.from(a.content, "base64") })) });
  assert.deepEqual(normalise(ours), normalise(theirs));
}

const LONG = "Lorem ipsum dolor sit amet, consectetur adipiscing elit ".repeat(20);

describe("compiled message writer = MailComposer", () => {
  const cases: [string, Record<string, unknown>][] = [
    ["short ASCII text (7bit)", { text: "Hello,\r\n\r\nsee you.\r\n" }],
    ["long lines (quoted-printable)", { text: LONG }],
    ["Latin-1 text (quoted-printable)", { text: "Grüße aus Köln, à bientôt — ça va?\r\n" + LONG }],
    ["mostly non-Latin text (base64)", { text: "Здравствуйте! 你好，世界。ありがとう".repeat(10) }],
    ["trailing whitespace", { text: "line with trailing space \r\nand tab\t" }],
    ["html only", { html: "<p>Hello <b>world</b> — é</p>" }],
    ["text and html (multipart/alternative)", { text: "plain", html: "<p>rich</p>" }],
    ["attachment (multipart/mixed)", { text: "see attached", attachments: [{ filename: "report.pdf", content: Buffer.alloc(300, 7).toString("base64") }] }],
    ["text, html and attachments with odd names", {
      text: "x", html: "<i>x</i>",
      attachments: [
        { filename: "résumé final.txt", content: "aGVsbG8=" },
        { filename: "data.bin", contentType: "application/octet-stream", content: "AAEC" },
      ],
    }],
    ["non-ASCII and long subjects", { subject: "Ünïcödé subject " + "long words ".repeat(12), text: "x" }],
    ["display names, Reply-To, Cc", {
      from: "Jöhn Dœ <john@app.example>", to: ["Ann Example <ann@example.com>", "bob@example.com"],
      cc: ["\"Doe, Carl\" <carl@example.com>"], replyTo: "Support Team <help@app.example>", text: "x",
    }],
    ["custom headers", { headers: { "x-campaign-id": "42", "List-Unsubscribe": "<mailto:u@app.example>", "X-Note": "naïve" }, text: "x" }],
  ];
  for (const [name, extra] of cases) {
    it(name, async () => {
      await sameAsMailComposer({ from: "news@app.example", to: ["user@example.com"], subject: "Hi", ...extra });
    });
  }
});

describe("compiled message writer", () => {
  it("renders every batch recipient as MailComposer renders the substituted message", async () => {
    const batch = {
      from: "News <news@app.example>", subject: "Hello {{name}}", text: "Dear {{ name }},\r\ncode {{code}}.\r\n" + LONG,
      html: "<p>Hi {{name}}</p>", headers: { "X-Campaign": "spring" },
      recipients: [
        { to: "a@example.com", substitutions: { name: "Ann", code: 1 } },
        { to: "Bé <b@example.com>", substitutions: { name: "Bé <&>", code: 2 } },
        { to: "c@example.com" },
      ],
    };
    const out = await composeBatch(batch);
    assert.equal(out.length, 3);
    for (const [i, r] of batch.recipients.entries()) {
      const vars = r.substitutions ?? {};
      const theirs = await build({
        from: batch.from, to: [r.to], headers: batch.headers,
        subject: substitute(batch.subject, vars, false), text: substitute(batch.text, vars, false), html: substitute(batch.html, vars, true),
      });
      assert.deepEqual(normalise(dec.decode(bytes(out[i]))), normalise(theirs), `recipient ${i}`);
      assert.deepEqual(out[i].rcptTo, [["a@example.com", "b@example.com", "c@example.com"][i]]);
    }
  });

  it("encodes line by line exactly as the whole substituted text (QP soft breaks, trailing whitespace, odd values)", async () => {
    const text = [
      "Hi {{name}} ", `${"x".repeat(70)} {{name}} ${"y".repeat(100)}`, LONG, "tail {{name}}", "{{\r\nname}} spans", "a".repeat(75) + " {{v}}", "end {{name}}",
    ].join("\r\n");
    const values = ["Ann", "Bé ", "", "x y\r\nz ", "😀 中文 ".repeat(30), "=?x?=", "a".repeat(200), "Ω"];
    const batch = { from: "n@app.example", text, html: `<p>${text}</p>`, recipients: values.map((v, i) => ({ to: `u${i}@example.com`, substitutions: { name: v, v } })) };
    const out = await composeBatch(batch);
    for (const [i, v] of values.entries()) {
      const theirs = await build({ from: batch.from, to: [`u${i}@example.com`], text: substitute(text, { name: v, v }, false), html: substitute(batch.html, { name: v, v }, true) });
      assert.deepEqual(normalise(dec.decode(bytes(out[i]))), normalise(theirs), `value ${JSON.stringify(v)}`);
    }
  });

  it("gives every message its own Message-ID", async () => {
    const out = await composeBatch({ from: "n@app.example", text: "x", recipients: [{ to: "a@example.com" }, { to: "b@example.com" }] });
    const ids = out.map((m) => /Message-ID: (<[^>]+>)/.exec(dec.decode(bytes(m)))![1]);
    assert.notEqual(ids[0], ids[1]);
    assert.match(ids[0], /@app\.example>$/);
  });

  it("writes CRLF line ends, also for bare LF/CR in the template and in values", async () => {
    const [m] = await composeBatch({ from: "n@app.example", text: "a\nb\rc {{v}}", recipients: [{ to: "a@example.com", substitutions: { v: "x\ny" } }] });
    const s = dec.decode(bytes(m));
    assert.ok(s.endsWith("\r\n\r\na\r\nb\r\nc x\r\ny\r\n"), JSON.stringify(s.slice(-30)));
    assert.doesNotMatch(s, /[^\r]\n|\r[^\n]/);
  });

  it("keeps {{…}} literally in a single message", async () => {
    const m = await composeMessage({ from: "n@app.example", to: ["a@example.com"], subject: "{{x}}", text: "{{x}}" });
    const s = dec.decode(bytes(m));
    assert.match(s, /Subject: \{\{x\}\}\r\n/);
    assert.ok(s.endsWith("\r\n\r\n{{x}}\r\n"));
  });

  it("never leaves a boundary delimiter in a 7bit part", () => {
    const tag = "=_tern_0123456789abcdef";
    const p = encodePart("text/plain", `a line\r\n--${tag}_1\r\n`, tag);
    assert.match(p.head, /quoted-printable/);
    assert.ok(!p.body.includes(tag));
    assert.match(encodePart("text/plain", "plain", tag).head, /7bit/);
  });

  it("parses templates once: unknown names render empty, values HTML-escaped in HTML", () => {
    const t = new Template("<p>{{a}} and {{ b }} and {{missing}}</p>", true);
    assert.deepEqual(t.names, ["a", "b", "missing"]);
    assert.equal(t.render({ a: "<x>", b: 3 }), "<p>&lt;x&gt; and 3 and </p>");
    assert.equal(substitute("{{a}}{{a}}", { a: "'\"" }, false), "'\"'\"");
  });

  it("falls back to MailComposer for a body-less message or own structural headers", async () => {
    const m = await composeMessage({ from: "n@app.example", to: ["a@example.com"], subject: "only a subject" });
    assert.match(dec.decode(bytes(m)), /Subject: only a subject/);
    const [b] = await composeBatch({ from: "n@app.example", text: "x", headers: { "Message-ID": "<mine@app.example>" }, recipients: [{ to: "a@example.com" }] });
    assert.match(dec.decode(bytes(b)), /Message-ID: <mine@app\.example>/);
  });
});

describe("qpLine's shortcut for plain lines", () => {
  it("gives nodemailer's encoding for every kind of line", async () => {
    const { qpLine } = await import("../../src/http/body-template.ts");
    const qp = await import("nodemailer/lib/qp/index.js");
    const lines = [
      "", "a", "Hello Ada,", "x".repeat(74), "x".repeat(75), "x".repeat(76), "x".repeat(77), "x".repeat(200),
      "trailing space ", "trailing tab\t", " leading space", "a=b", "=", "caf\u00e9", "tab\tinside", ".dot first",
      "ends with =", "y".repeat(73) + " z", "{{not a var}}", "~!@#$%^&*()_+`-[]\\{}|;':\",./<>?",
    ];
    for (const line of lines) {
      for (const last of [false, true]) {
        const want = qp.wrap(qp.encode(last ? line : line + "\r\n"), 76);
        assert.equal(qpLine(line, last), want, JSON.stringify(line) + (last ? " (last)" : ""));
      }
    }
  });
});
