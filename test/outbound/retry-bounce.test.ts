// Outbound relay end to end: a remote 4xx is retried and then delivered (events.log
// has the deferral, then the delivery); a remote 5xx bounces: an RFC 3464 DSN
// (multipart/report) from <> goes back to the local sender — into alice's Maildir when
// the local MDA is wired, else it waits in the spool.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { DeliveryEvent } from "../../src/queue/types.ts";
import type { TestServer } from "../helpers/server.ts";
import { deliverOne } from "../helpers/smtp-client.ts";
import { type SmtpReceiver, startReceiver } from "../helpers/smtp-receiver.ts";
import { readEvents, spooledBody, startRelay, until } from "./_helpers.ts";

let rx: SmtpReceiver;
let t: TestServer;
const events: DeliveryEvent[] = [];
const tempfailed = new Set<string>();

before(async () => {
  rx = await startReceiver({
    rcpt: (a) => {
      if (a.startsWith("nobody@")) return "550 5.1.1 no such user here";
      // the first attempt of each "slow" recipient is told to come back later
      if (a.startsWith("slow") && !tempfailed.has(a)) {
        tempfailed.add(a);
        return "451 4.7.1 greylisted, try again later";
      }
      return undefined;
    },
  });
  t = await startRelay({
    routes: { "example.org": `127.0.0.1:${rx.port}` },
    relay: { trustedNetworks: ["127.0.0.0/8"] },
    queue: { retry: { first: 1, max: 2 } },
  });
  t.server.queue.events.subscribe((e) => events.push(e));
});
after(async () => {
  await t?.stop();
  await rx?.close();
});

const send = (from: string, to: string, body: string): Promise<string> => deliverOne(t.smtp, body, from, to);

describe("outbound e2e: retries and bounces", { timeout: 60_000 }, () => {
  it("4xx first, then accepted: delivered after the retry; events.log has deferred then delivered", { timeout: 60_000 }, async () => {
    const id = await send("alice@tern.test", "slow1@example.org", "Subject: retry\r\n\r\nsecond time lucky\r\n");
    await until(() => t.server.spool.get(id) === undefined, "delivered and removed after the retry");
    const mine = rx.transactions.filter((x) => x.rcptTo.includes("slow1@example.org"));
    assert.equal(mine.length, 1, "the receiver has the message once");
    assert.ok(new TextDecoder().decode(mine[0]!.body).endsWith("\r\n\r\nsecond time lucky\r\n"));
    await until(() => readEvents(t.dir).some((e) => e.id === id && e.type === "delivered"), "the delivery is in events.log");
    const lines = readEvents(t.dir).filter((e) => e.id === id && (e.type === "deferred" || e.type === "delivered"));
    assert.deepEqual(lines.map((e) => e.type), ["deferred", "delivered"]);
    assert.match(lines[0]!.reply ?? "", /^451 4\.7\.1 greylisted/);
    assert.equal(lines[0]!.attempt, 1);
    assert.equal(lines[1]!.attempt, 2);
    assert.ok(lines[1]!.time - lines[0]!.time >= 500, "the retry waited for the backoff");
  });

  it("5xx: bounced, and a multipart/report DSN from <> goes to the local sender", { timeout: 60_000 }, async () => {
    const id = await send("alice@tern.test", "nobody@example.org", "Subject: doomed\r\nMessage-ID: <doomed@tern.test>\r\n\r\nnobody reads this\r\n");
    await until(() => events.some((e) => e.id === id && e.type === "dsn"), "a DSN was spooled");
    const bounced = events.find((e) => e.id === id && e.type === "bounced")!;
    assert.match(bounced.reply ?? "", /^550 5\.1\.1/);
    const dsnId = events.find((e) => e.id === id && e.type === "dsn")!.dsnId!;
    assert.ok(dsnId);
    await until(() => t.server.spool.get(id) === undefined, "the bounced message leaves the spool");
    assert.equal(rx.transactions.filter((x) => x.rcptTo.includes("nobody@example.org")).length, 0);

    let dsn: string;
    const status = () => t.server.spool.get(dsnId)?.state as { rcpts?: { status: string }[] } | undefined;
    await until(() => t.server.spool.get(dsnId) === undefined || status()?.rcpts?.[0]?.status === "deferred", "the DSN was attempted");
    if (t.server.spool.get(dsnId) === undefined) {
      // the local MDA is wired: the DSN is in alice's Maildir
      assert.equal(events.find((e) => e.id === dsnId && e.type === "delivered")?.agent, "local");
      const stored = readdirSync(join(t.dir, "mail"), { recursive: true, withFileTypes: true })
        .filter((d) => d.isFile() && /\/new$/.test(d.parentPath))
        .map((d) => readFileSync(join(d.parentPath, d.name), "utf8"));
      dsn = stored.find((m) => m.includes("doomed@tern.test")) ?? "";
      assert.ok(dsn, "the DSN is in a new/ folder");
      assert.match(dsn, /^Return-Path: <>\r\nDelivered-To: alice@tern\.test\r\n/, "a DSN is sent from <> (RFC 3461 §6.2)");
    } else {
      const q = t.server.spool.get(dsnId)!;
      assert.equal(q.envelope.mailFrom, "", "a DSN is sent from <> (RFC 3461 §6.2)");
      assert.deepEqual(q.envelope.rcptTo.map((r) => r.address), ["alice@tern.test"]);
      dsn = new TextDecoder().decode(await spooledBody(t.server.spool, dsnId));
    }
    assert.match(dsn, /Content-Type: multipart\/report;[^\r]*\r?\n?[^\r]*report-type=delivery-status/i);
    assert.match(dsn, /Content-Type: message\/delivery-status/i);
    assert.match(dsn, /Final-Recipient: rfc822; ?nobody@example\.org/i);
    assert.match(dsn, /Action: failed/i);
    assert.match(dsn, /Status: 5\.1\.1/);
    assert.match(dsn, /Diagnostic-Code: smtp; ?550 5\.1\.1 no such user here/i);
  });
});
