// SEARCH on decoded text (RFC 3501 §6.4.4) with python3 imaplib against a real Tern
// server: RFC 2047 subjects and names, base64 and quoted-printable bodies, CHARSET.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { python } from "../helpers/run.ts";
import { startTestServer, TEST_PASSWORD, type TestServer } from "../helpers/server.ts";

const SCRIPT = String.raw`
import imaplib, ssl, sys, json, base64
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
M = imaplib.IMAP4_SSL('127.0.0.1', int(sys.argv[1]), ssl_context=ctx)
M.login('alice@tern.test', sys.argv[2])
H = b'To: alice@tern.test\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\nMIME-Version: 1.0\r\n'
msgs = [
  # 1: UTF-8 B subject
  H + b'From: bob@x.test\r\nSubject: =?UTF-8?B?' + base64.b64encode('Rechnung für März'.encode()) + b'?=\r\n\r\nhello\r\n',
  # 2: ISO-8859-1 Q subject, encoded display name in From
  H + b'From: =?UTF-8?Q?Zo=C3=AB_M=C3=BCller?= <zoe@y.test>\r\nSubject: =?ISO-8859-1?Q?Caf=E9_cr=E8me?=\r\n =?ISO-8859-1?Q?_offer?=\r\n\r\nhello\r\n',
  # 3: base64 text part (the word is not in the raw bytes)
  H + b'From: bob@x.test\r\nSubject: b64\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n'
    + base64.encodebytes('a hidden unicornfish swims here, grüße\r\n'.encode() * 3).replace(b'\n', b'\r\n'),
  # 4: quoted-printable part with a soft line break in the middle of the word
  H + b'From: bob@x.test\r\nSubject: qp\r\nContent-Type: multipart/alternative; boundary=zz\r\n\r\n--zz\r\n'
    + b'Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
    + b'the narwh=\r\nalbird sings, caf=E9\r\n--zz--\r\n',
  # 5: the word only inside a base64 application/octet-stream attachment
  H + b'From: bob@x.test\r\nSubject: att\r\nContent-Type: multipart/mixed; boundary=yy\r\n\r\n--yy\r\n'
    + b'Content-Type: text/plain\r\n\r\nsee attachment\r\n--yy\r\nContent-Type: application/octet-stream\r\n'
    + b'Content-Transfer-Encoding: base64\r\n\r\n' + base64.b64encode(b'secretword in a binary blob') + b'\r\n--yy--\r\n',
]
for m in msgs:
    assert M.append('INBOX', None, None, m)[0] == 'OK'
M.select('INBOX')
out = {}
def s(*crit, charset=None, literal=None):
    if literal is not None:
        M.literal = literal
    typ, data = M.search(charset, *crit)
    return typ + ' ' + (data[0] or b'').decode('utf-8', 'replace')
out['subj_utf8_b'] = s('SUBJECT', literal='märz'.encode(), charset='UTF-8')
out['subj_utf8_b_ascii'] = s('SUBJECT', '"rechnung f"')
out['subj_latin1_q'] = s('SUBJECT', literal='CRÈME'.encode(), charset='UTF-8')
out['subj_adjacent'] = s('SUBJECT', literal='crème offer'.encode(), charset='UTF-8')
out['subj_charset_latin1'] = s('SUBJECT', literal=b'caf\xe9', charset='ISO-8859-1')
out['from_name'] = s('FROM', literal='müller'.encode(), charset='UTF-8')
out['from_addr'] = s('FROM', 'zoe@y.test')
out['header_any'] = s('HEADER', 'Subject', literal='für'.encode(), charset='UTF-8')
out['body_b64'] = s('BODY', 'UNICORNFISH')
out['body_b64_utf8'] = s('BODY', literal='GRÜßE'.encode(), charset='UTF-8')
out['body_qp'] = s('BODY', 'narwhalbird')
out['body_qp_latin1'] = s('BODY', literal='café'.encode(), charset='UTF-8')
out['text_qp'] = s('TEXT', 'narwhalbird')
out['text_header'] = s('TEXT', literal='zoë'.encode(), charset='UTF-8')
out['body_attachment'] = s('BODY', 'secretword')
out['body_not_header'] = s('BODY', 'rechnung')
out['usascii'] = s('BODY', 'sings', charset='US-ASCII')
out['badcharset'] = s('TEXT', 'x', charset='X-UNKNOWN')
M.logout()
print(json.dumps(out))
`;

describe("IMAP SEARCH on decoded text (python imaplib)", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    await t.stop();
  });

  it("matches RFC 2047 headers, base64/QP bodies, CHARSET strings; NO [BADCHARSET] for an unknown charset", { timeout: 60_000 }, async () => {
    const r = await python(SCRIPT, [String(t.imaps), TEST_PASSWORD]);
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.equal(o.subj_utf8_b, "OK 1");
    assert.equal(o.subj_utf8_b_ascii, "OK 1");
    assert.equal(o.subj_latin1_q, "OK 2");
    assert.equal(o.subj_adjacent, "OK 2"); // RFC 2047 §6.2: the folding between the two words is dropped
    assert.equal(o.subj_charset_latin1, "OK 2");
    assert.equal(o.from_name, "OK 2");
    assert.equal(o.from_addr, "OK 2");
    assert.equal(o.header_any, "OK 1");
    assert.equal(o.body_b64, "OK 3");
    assert.equal(o.body_b64_utf8, "OK 3");
    assert.equal(o.body_qp, "OK 4");
    assert.equal(o.body_qp_latin1, "OK 4");
    assert.equal(o.text_qp, "OK 4");
    assert.equal(o.text_header, "OK 2");
    assert.equal(o.body_attachment, "OK "); // attachments are not text: not searched (as Dovecot without FTS)
    assert.equal(o.body_not_header, "OK ");
    assert.equal(o.usascii, "OK 4");
    assert.match(o.badcharset, /^NO \[BADCHARSET \(UTF-8 US-ASCII\)\]/);
  });
});
