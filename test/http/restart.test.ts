// A batch stored as it came survives a restart: accepted while its domains are held,
// the server restarted, then each message rendered from the stored request and
// delivered — into a local Maildir, to a remote receiver, and bounced with a DSN that
// carries the rendered message's header.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startReceiver, type SmtpReceiver } from "../helpers/smtp-receiver.ts";
import { ALICE, BOB, type E2e, folderOf, SLOW, startE2e, storedBodies, until } from "../e2e/_helpers.ts";

let e: E2e;
let rx: SmtpReceiver;
let token = "";
const api = (path: string, init: RequestInit = {}) =>
  fetch(`http://127.0.0.1:${e.t.server.ports.http}${path}`, {
    ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers },
  });

before(async () => {
  rx = await startReceiver({ rcpt: (a) => (a.startsWith("bad@") ? "550 5.1.1 no such user" : undefined) });
  e = await startE2e({ listen: { http: "127.0.0.1:0" }, routes: { "example.net": `127.0.0.1:${rx.port}` } });
  token = e.t.server.directory.createApiKey("restart").token;
});
after(async () => {
  await e?.stop();
  await rx?.close();
});

describe("HTTP batches across a restart", () => {
  it("accepted, restarted, rendered and delivered: local, remote, bounced with a DSN", SLOW, async () => {
    for (const d of ["tern.test", "example.net"]) assert.equal((await api(`/v1/queue/${d}/suspend`, { method: "POST" })).status, 200);
    const names = { [BOB]: "Bob", "ok@example.net": "Ok", "bad@example.net": "Bäd" };
    const res = await api("/v1/messages/batch", {
      method: "POST",
      body: JSON.stringify({
        from: `Alice <${ALICE}>`, subject: "Hello {{name}}", text: "Dear {{name}},\nyour number is {{n}}.\n", html: "<p>{{name}} &amp; {{n}}</p>",
        recipients: Object.entries(names).map(([to, name], n) => ({ to, substitutions: { name, n } })),
      }),
    });
    assert.equal(res.status, 202, await res.clone().text());
    const ids = (await res.json()).ids as { id: string; to: string }[];
    const status = await (await api(`/v1/messages/${ids[0]!.id}`)).json();
    assert.equal(status.queued, true);
    assert.ok(status.size > 500, `size ${status.size}`);

    await e.restart(); // the hold is gone with the old process: everything is due
    await until(() => ids.every(({ id }) => e.t.server.spool.get(id) === undefined), "the batch to leave the queue", 4000);

    const [bob] = await storedBodies(await folderOf(e, BOB));
    assert.match(bob!, new RegExp(`\\r\\nReceived: from api \\(\\[127\\.0\\.0\\.1\\]\\)\\r\\n\\tby mx\\.tern\\.test \\(Tern\\) with HTTP id ${ids[0]!.id}`));
    assert.match(bob!, /\r\nSubject: Hello Bob\r\n/);
    assert.match(bob!, /Dear Bob,\r\nyour number is 0\./);
    const remote = rx.transactions.find((t) => t.rcptTo[0] === "ok@example.net");
    assert.ok(remote, "delivered to the remote receiver");
    assert.match(Buffer.from(remote.body).toString(), /Dear Ok,\r\nyour number is 1\./);
    // the DSN is a message of its own, queued when the bounce was recorded
    let dsn: string | undefined;
    await until(async () => (dsn = (await storedBodies(await folderOf(e, ALICE))).find((x) => x.includes("multipart/report"))) !== undefined, "a DSN to the sender", 4000);
    assert.ok(dsn);
    assert.match(dsn, /Final-Recipient: rfc822; ?bad@example\.net/i);
    assert.match(dsn, /\r\nSubject: =\?UTF-8\?Q\?Hello_B=C3=A4d\?=\r\n/, "the rendered header in the DSN");
  });
});
