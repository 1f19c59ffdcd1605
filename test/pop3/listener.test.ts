// Pop3Service on each runtime transport, over loopback with a raw client: STLS,
// a large streamed RETR, connection limits, the idle timeout.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import tls from "node:tls";
import { Pop3Service } from "../../src/pop3/listener.ts";
import type { Pop3Policy } from "../../src/pop3/types.ts";
import { allTransports } from "../../src/runtime/index.ts";
import type { Transport } from "../../src/runtime/types.ts";
import { testCert } from "../helpers/cert.ts";
import { FakeStore } from "../helpers/fake-store.ts";
import { ALICE, PASSWORD, testPolicy } from "./harness.ts";
import { python } from "../helpers/run.ts";

/** a line-oriented client over a plain or TLS socket */
class Client {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  ended = false;

  constructor(public sock: net.Socket | tls.TLSSocket) {
    this.attach();
  }

  private attach(): void {
    this.sock.on("data", (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    this.sock.on("close", () => {
      this.ended = true;
      this.wake();
    });
    this.sock.on("error", () => {});
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** wait until the buffer holds `end` (or the socket closed); take everything up to it */
  async until(end: string): Promise<string> {
    for (;;) {
      const i = this.buf.indexOf(end);
      if (i >= 0) {
        const s = this.buf.subarray(0, i + end.length).toString("latin1");
        this.buf = this.buf.subarray(i + end.length);
        return s;
      }
      if (this.ended) return `<closed>${this.buf.toString("latin1")}`;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  async cmd(line: string, end = "\r\n"): Promise<string> {
    this.sock.write(line + "\r\n");
    return this.until(end);
  }

  async startTls(): Promise<void> {
    this.sock.removeAllListeners("data");
    this.sock.removeAllListeners("close");
    const t = tls.connect({ socket: this.sock, rejectUnauthorized: false });
    await new Promise<void>((r, j) => {
      t.once("secureConnect", () => r());
      t.once("error", j);
    });
    this.sock = t;
    this.attach();
  }

  close(): void {
    this.sock.destroy();
  }
}

async function connect(port: number): Promise<Client> {
  const s = net.connect(port, "127.0.0.1");
  await new Promise<void>((r, j) => {
    s.once("connect", () => r());
    s.once("error", j);
  });
  const c = new Client(s);
  await c.until("\r\n");
  return c;
}

async function withService(
  transport: Transport,
  over: Partial<ConstructorParameters<typeof Pop3Service>[0]>,
  fn: (svc: Pop3Service, store: FakeStore) => Promise<void>,
  policyOver: Partial<Pop3Policy> = {},
): Promise<void> {
  const store = new FakeStore();
  const svc = new Pop3Service({
    transport, host: "127.0.0.1", port: 0, implicitTls: false, tls: await testCert(),
    policy: testPolicy(store, { authFailureDelayMs: () => 0, ...policyOver }),
    limits: { maxConnections: 10, maxConnectionsPerIp: 5 },
    idleMs: 600_000,
    ...over,
  });
  await svc.start();
  try {
    await fn(svc, store);
  } finally {
    await svc.stopListening();
    svc.drain(true);
    for (let i = 0; i < 100 && svc.connections > 0; i++) await new Promise((r) => setTimeout(r, 10));
  }
}

/** a message of about `size` bytes with many lines that start with "." */
function bigMessage(size: number): string {
  const parts = ["Subject: big\r\n\r\n"];
  let n = parts[0]!.length;
  for (let i = 0; n < size; i++) {
    const line = (i % 3 === 0 ? "." : "") + `line ${i} ${"x".repeat(60)}\r\n`;
    parts.push(line);
    n += line.length;
  }
  return parts.join("");
}

for (const transport of allTransports()) {
  describe(`POP3 listener on ${transport.name}`, () => {
    it("STLS then login, then a 3 MB RETR streamed byte-exact and dot-stuffed", { timeout: 60_000 }, async () => {
      await withService(transport, {}, async (_svc, store) => {
        const big = bigMessage(3 * 1024 * 1024);
        store.box(ALICE).inbox.chunkSize = 64 * 1024;
        await store.box(ALICE).inbox.add(big);
        const c = await connect(_svc.port);
        assert.match(await c.cmd("USER x"), /^-ERR .*STLS/);
        assert.equal(await c.cmd("STLS"), "+OK begin TLS negotiation\r\n");
        await c.startTls();
        assert.match(await c.cmd("CAPA", "\r\n.\r\n"), /\r\nUSER\r\n/);
        assert.equal(await c.cmd(`USER ${ALICE}`), "+OK send PASS\r\n");
        assert.match(await c.cmd(`PASS ${PASSWORD}`), /^\+OK alice@tern\.test has 1 messages/);
        const got = await c.cmd("RETR 1", "\r\n.\r\n");
        assert.equal(got, `+OK ${big.length} octets\r\n${big.replace(/\r\n\./g, "\r\n..")}.\r\n`);
        assert.match(await c.cmd("QUIT"), /^\+OK .*signing off/);
        c.close();
      });
    });

    it("a client that vanishes mid-RETR: the store's reader is closed, the lock freed, nothing deleted", { timeout: 60_000 }, async () => {
      let locks: Pop3Policy["locks"] | undefined;
      await withService(transport, {}, async (svc, store) => {
        const inbox = store.box(ALICE).inbox;
        inbox.chunkSize = 64 * 1024;
        await inbox.add("Subject: small\r\n\r\nx\r\n");
        await inbox.add(bigMessage(6 * 1024 * 1024));
        // a client with a tiny receive window that reads a little, stalls, then vanishes
        const client = python(`
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1]))); f = s.makefile("rb")
f.readline()
s.sendall(b"USER ${ALICE}\\r\\nPASS ${PASSWORD}\\r\\nDELE 1\\r\\nRETR 2\\r\\n")
for i in range(4): print(f.readline().decode().strip())
sys.stdout.flush(); time.sleep(float(sys.argv[2])); s.close()
`, [String(svc.port), "1"]);
        let done = false;
        client.finally(() => (done = true));
        let streaming = false;
        while (!done && !(streaming = inbox.openReaders === 1)) await new Promise((r) => setTimeout(r, 5));
        assert.ok(streaming, "RETR was streaming while the client stalled");
        const r = await client;
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^\+OK send PASS\n\+OK alice.*\n\+OK message 1 deleted\n\+OK \d+ octets\n$/);
        for (let i = 0; i < 300 && (svc.connections > 0 || inbox.openReaders > 0); i++) await new Promise((r) => setTimeout(r, 10));
        assert.equal(svc.connections, 0);
        assert.equal(inbox.openReaders, 0, "the reader was closed");
        assert.equal(inbox.entries.length, 2, "nothing deleted");
        locks = (svc as unknown as { opts: { policy: Pop3Policy } }).opts.policy.locks;
        assert.equal(locks.size, 0);
      }, { allowInsecureAuth: true });
    });

    it("connections beyond the per-IP limit get -ERR [SYS/TEMP]", async () => {
      await withService(transport, { limits: { maxConnections: 10, maxConnectionsPerIp: 1 } }, async (svc) => {
        const a = await connect(svc.port);
        const s = net.connect(svc.port, "127.0.0.1");
        const b = new Client(s);
        assert.match(await b.until("\r\n"), /^-ERR \[SYS\/TEMP\] too many connections/);
        a.close();
        b.close();
      });
    });

    it("an idle session is logged out without a response and without UPDATE", async () => {
      await withService(transport, { idleMs: 150, sweepMs: 25, implicitTls: true }, async (svc, store) => {
        await store.box(ALICE).inbox.add("Subject: a\r\n\r\nb\r\n");
        const s = tls.connect({ port: svc.port, host: "127.0.0.1", rejectUnauthorized: false });
        const c = new Client(s);
        await c.until("\r\n");
        await c.cmd(`USER ${ALICE}`);
        assert.match(await c.cmd(`PASS ${PASSWORD}`), /^\+OK/);
        assert.equal(await c.cmd("DELE 1"), "+OK message 1 deleted\r\n");
        assert.equal(await c.until("\r\n"), "<closed>");
        assert.equal(store.box(ALICE).inbox.entries.length, 1);
        for (let i = 0; i < 100 && svc.connections > 0; i++) await new Promise((r) => setTimeout(r, 10));
        const again = tls.connect({ port: svc.port, host: "127.0.0.1", rejectUnauthorized: false });
        const d = new Client(again);
        await d.until("\r\n");
        await d.cmd(`USER ${ALICE}`);
        assert.match(await d.cmd(`PASS ${PASSWORD}`), /^\+OK alice@tern\.test has 1 messages/, "the lock was released");
        d.close();
      });
    });
  });
}
