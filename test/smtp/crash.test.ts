// Crash safety of the SMTP ingest: `tern serve` in a child process, several pipelining
// clients, SIGKILL mid-flight, restart on the same dataDir. Every 250 must survive
// byte-exact; nothing partial may appear. A message whose final "." (or BDAT LAST
// chunk) was written but whose 250 never arrived may be present — then complete.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { certFiles, runTern, startChild, tmpDir, writeConfig } from "../helpers/child.ts";
import { deliverOne, queueId, RawClient } from "../helpers/smtp-client.ts";
import { assertStored, readBody, withSpool } from "../helpers/spool-check.ts";

const CLIENTS = 6;
const WINDOW = 4; // transactions in flight per client
const KILL_AFTER = 150; // acknowledged messages before the SIGKILL

interface Tx {
  tag: string;
  bdat: boolean;
  /** what the spool must hold after the Received header */
  original: Uint8Array;
  /** the bytes on the wire: commands + (stuffed) body + terminator */
  wire: Uint8Array[];
  /** the final "." / BDAT LAST bytes were handed to the socket */
  finalWritten: boolean;
  id?: string;
}

const enc = (s: string) => Buffer.from(s, "latin1");

function bodyFor(tag: string, n: number): string {
  const big = n % 7 === 3; // some messages span many reads and segment rotations
  const lines = [`Subject: ${tag}`, `X-Tag: ${tag}`, ""];
  const count = big ? 4000 : 10 + (n % 13) * 7;
  for (let i = 0; i < count; i++) {
    // every 10th line starts with a dot: exercises stuffing/unstuffing
    lines.push(`${i % 10 === 0 ? "." : ""}${tag} line ${i} ${"abcdefghij".repeat(6)}`);
  }
  return lines.join("\r\n") + "\r\n";
}

function makeTx(client: number, n: number): Tx {
  const tag = `c${client}-m${n}`;
  const body = bodyFor(tag, n);
  const bdat = n % 2 === 1;
  const env = `MAIL FROM:<${tag}@example.org>\r\nRCPT TO:<rcpt@example.net>\r\n`;
  let wire: Uint8Array[];
  if (bdat) {
    const b = enc(body);
    const cut = b.length >> 1;
    wire = [enc(`${env}BDAT ${cut}\r\n`), b.subarray(0, cut), enc(`BDAT ${b.length - cut} LAST\r\n`), b.subarray(cut)];
  } else {
    const stuffed = body.replace(/^\./gm, "..");
    wire = [enc(`${env}DATA\r\n`), enc(stuffed), enc(".\r\n")];
  }
  return { tag, bdat, original: enc(body), wire, finalWritten: false };
}

async function readTx(c: RawClient, tx: Tx): Promise<void> {
  await c.expect("250 2.1.0");
  await c.expect("250 2.1.5");
  await c.expect(tx.bdat ? "250 2.0.0" : "354 "); // first BDAT chunk / DATA go-ahead
  const r = await c.expect("250 2.0.0 queued as");
  tx.id = queueId(r);
}

describe("crash: SIGKILL mid-flight, restart, nothing acknowledged is lost", () => {
  const dir = tmpDir("tern-crash-");
  const dataDir = join(dir, "data");
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("every 250 survives byte-exact, nothing partial appears", { timeout: 60_000 }, async () => {
    // small segments: the crash lands with several segment files in play
    const config = writeConfig(dir, dataDir, { spool: { segmentSize: 512 * 1024 }, tls: await certFiles(dir) });
    const first = await startChild(config);
    const all: Tx[] = [];
    let acked = 0;
    let stop = false;

    const client = async (k: number) => {
      const c = await RawClient.connect(first.ports.smtp!);
      const inflight: Tx[] = [];
      let n = 0;
      try {
        await c.hello(`client${k}.test`);
        while (!stop) {
          while (inflight.length < WINDOW) {
            const tx = makeTx(k, n++);
            all.push(tx);
            inflight.push(tx);
            const last = tx.wire.length - 1;
            tx.wire.forEach((w, i) => (i === last ? c.write(w).catch(() => {}) : c.send(w)));
            tx.finalWritten = true; // handed to the socket: may reach the server
          }
          await readTx(c, inflight.shift()!);
          if (++acked === KILL_AFTER) {
            stop = true;
            first.kill("SIGKILL");
          }
        }
      } catch {
        // the server died under us
      } finally {
        c.destroy();
      }
    };
    // clients that are mid-body at the kill: their bytes reach the spool files, no commit
    const unfinished = await Promise.all(["DATA", "BDAT"].map(async (kind) => {
      const c = await RawClient.connect(first.ports.smtp!);
      await c.hello(`partial-${kind}.test`);
      const body = enc(bodyFor(`partial-${kind}`, 3));
      c.send(`MAIL FROM:<partial-${kind}@example.org>\r\nRCPT TO:<rcpt@example.net>\r\n`);
      c.send(kind === "DATA" ? "DATA\r\n" : `BDAT ${body.length + 10} LAST\r\n`);
      await c.write(body); // no terminator; 10 bytes short of the BDAT chunk
      await c.expect("250 2.1.0");
      await c.expect("250 2.1.5");
      if (kind === "DATA") await c.expect("354 ");
      return c;
    }));
    await Promise.all(Array.from({ length: CLIENTS }, (_, k) => client(k)));
    for (const c of unfinished) c.destroy();
    const exit = await first.exited;
    assert.equal(exit.signal, "SIGKILL", `server exited by itself: ${first.stderr()}`);

    const ackedTx = all.filter((t) => t.id !== undefined);
    assert.ok(ackedTx.length >= KILL_AFTER);
    assert.ok(all.length > ackedTx.length, "some transactions were in flight at the kill");

    // restart on the same dataDir: recovery, then it takes mail again
    const second = await startChild(config);
    const fresh = await deliverOne(second.ports.smtp!);
    const ls = await runTern(["queue", "ls", "--json", "--config", config]);
    assert.equal(ls.code, 0, ls.stderr);
    const listed = new Set((JSON.parse(ls.stdout) as { id: string }[]).map((m) => m.id));
    for (const t of ackedTx) assert.ok(listed.has(t.id!), `${t.tag} (${t.id}) got 250 but is not in queue ls`);
    assert.ok(listed.has(fresh));
    second.kill("SIGTERM");
    assert.deepEqual(await second.exited, { code: 0, signal: null }, second.stderr());

    const byTag = new Map(all.map((t) => [t.tag, t]));
    const extras = await withSpool(dataDir, async (spool, list) => {
      const ids = new Set(list.map((m) => m.id));
      for (const t of ackedTx) assert.ok(ids.has(t.id!), `${t.tag} (${t.id}) lost`);
      let extra = 0;
      for (const m of list) {
        if (m.id === fresh) continue;
        const tag = m.envelope.mailFrom.replace(/@.*/, "");
        assert.ok(!tag.startsWith("partial-"), `the unfinished ${tag} was stored`);
        const t = byTag.get(tag);
        assert.ok(t, `unknown message ${m.id} from ${m.envelope.mailFrom}`);
        assertStored(await readBody(spool, m.id), t.original, `${t.tag} (${m.id})`);
        assert.equal(m.size, (await readBody(spool, m.id)).length);
        if (t.id === undefined) {
          // committed, reply lost in the kill: legitimate only once the end was sent
          assert.ok(t.finalWritten, `${t.tag}: stored although its end was never sent`);
          extra++;
        } else assert.equal(t.id, m.id);
      }
      assert.equal(list.length, ackedTx.length + extra + 1);
      return extra;
    });
    assert.ok(extras <= CLIENTS * WINDOW);
  });
});
