// One conformance suite for every Transport usable on this runtime (and the Dialer).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import * as tls from "node:tls";
import { allDialers, allTransports } from "../../src/runtime/index.ts";
import type { Conn, ConnHandler, Listener, Transport } from "../../src/runtime/types.ts";
import { testCert } from "../helpers/cert.ts";

const HOST = "127.0.0.1";
const enc = new TextEncoder();
const dec = new TextDecoder();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function deferred<T = void>() {
  let resolve!: (v: T) => void, reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => [resolve, reject] = [a, b]);
  return { promise, resolve, reject };
}

/** Collects bytes; `until(s)` waits for the text so far to contain s. */
class Inbox {
  chunks: Uint8Array[] = [];
  text = "";
  private waiters: { s: string; d: ReturnType<typeof deferred<string>> }[] = [];
  push(c: Uint8Array) {
    this.chunks.push(new Uint8Array(c));
    this.text += dec.decode(c);
    this.waiters = this.waiters.filter((w) => !(this.text.includes(w.s) && (w.d.resolve(this.text), true)));
  }
  until(s: string): Promise<string> {
    if (this.text.includes(s)) return Promise.resolve(this.text);
    const d = deferred<string>();
    this.waiters.push({ s, d });
    return d.promise;
  }
  bytes = (): Uint8Array => concat(this.chunks);
  reset = () => void (this.chunks = [], this.text = "");
}

function concat(cs: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(cs.reduce((n, c) => n + c.byteLength, 0));
  let o = 0;
  for (const c of cs) out.set(c, (o += c.byteLength) - c.byteLength);
  return out;
}

/** A handler that records everything; override pieces per test. */
function recorder(over: Partial<ConnHandler> = {}) {
  const r = {
    conns: [] as Conn[],
    opened: deferred<Conn>(),
    inbox: new Map<Conn, Inbox>(),
    closes: new Map<Conn, number>(),
    allClosed: deferred<void>(),
    expectCloses: 1,
    totalCloses: 0,
    drains: 0,
    handler: undefined as unknown as ConnHandler,
  };
  r.handler = {
    open(c) {
      r.conns.push(c);
      r.inbox.set(c, new Inbox());
      r.opened.resolve(c);
      over.open?.(c);
    },
    data(c, chunk) {
      assert.ok(chunk instanceof Uint8Array);
      r.inbox.get(c)!.push(chunk);
      over.data?.(c, chunk);
    },
    drain: (c) => void (r.drains++, over.drain?.(c)),
    close(c, e) {
      r.closes.set(c, (r.closes.get(c) ?? 0) + 1);
      if (++r.totalCloses === r.expectCloses) r.allClosed.resolve();
      over.close?.(c, e);
    },
  };
  return r;
}

const dial = (port: number) =>
  new Promise<net.Socket>((ok, no) => net.connect(port, HOST, function (this: net.Socket) { ok(this); }).once("error", no));

function sockInbox(s: net.Socket): Inbox {
  const ib = new Inbox();
  s.on("data", (c: Uint8Array) => ib.push(c));
  return ib;
}

const closedP = (s: net.Socket) => new Promise<void>((r) => s.destroyed ? r() : s.once("close", () => r()));

async function withListener(
  t: Transport,
  h: ConnHandler,
  fn: (l: Listener) => Promise<void>,
  withTls = false,
) {
  const l = await t.listen({ host: HOST, port: 0, tls: withTls ? await testCert() : undefined }, h);
  await fn(l).finally(() => l.close());
}

/** Server side of a STARTTLS exchange: "220 hi", then STARTTLS -> "220 go" -> startTls. */
function starttlsServer(cert: { cert: string; key: string }) {
  const tlsDone = deferred<void>();
  const tlsFailed = deferred<Error>();
  let plainSeen = "";
  const r = recorder({
    open(c) {
      c.write(enc.encode("220 hi\r\n"));
    },
    data(c, chunk) {
      if (!c.secure) {
        plainSeen += dec.decode(chunk);
        if (plainSeen.endsWith("STARTTLS\r\n")) {
          c.write(enc.encode("220 go\r\n"));
          assert.equal(c.secure, false);
          assert.equal(c.tlsInfo(), undefined);
          r.inbox.get(c)!.reset();
          c.startTls(cert).then(() => tlsDone.resolve(), (e) => tlsFailed.resolve(e));
          c.write(enc.encode("EARLY\r\n")); // written during the handshake: must go out encrypted
        }
      } else c.write(enc.encode("250 " + dec.decode(chunk)));
    },
  });
  return { r, tlsDone, tlsFailed };
}

for (const transport of allTransports()) {
  describe(`transport ${transport.name}`, () => {
    it("echo round trip, addresses", async () => {
      const r = recorder({ data: (c, chunk) => c.write(chunk) });
      await withListener(transport, r.handler, async (l) => {
        assert.ok(l.port > 0);
        const s = await dial(l.port);
        const ib = sockInbox(s);
        const msg = "hello ".repeat(1000) + "END\r\n";
        s.write(msg);
        await ib.until("END\r\n");
        assert.equal(ib.text, msg);
        const c = r.conns[0];
        assert.equal(c.remoteAddress, HOST);
        assert.equal(c.remotePort, s.localPort);
        assert.equal(c.localPort, l.port);
        assert.equal(c.secure, false);
        s.end();
        await r.allClosed.promise;
        await closedP(s);
      });
    });

    it("large write to a slow reader arrives complete and in order", async () => {
      const total = 32 * 1024 * 1024, piece = 1024 * 1024;
      const big = new Uint8Array(total);
      for (let i = 0; i < total; i++) big[i] = (i * 31 + (i >>> 16)) & 255;
      let off = 0, falses = 0;
      const pump = (c: Conn) => {
        while (off < total) {
          const ok = c.write(big.subarray(off, (off += piece)));
          if (!ok) {
            falses++;
            assert.ok(c.buffered > 0);
            return;
          }
        }
        c.end();
      };
      const r = recorder({ open: pump, drain: pump });
      await withListener(transport, r.handler, async (l) => {
        const s = await dial(l.port);
        s.pause();
        await sleep(100); // let the server fill every buffer before we read
        let got = 0, bad = -1;
        const done = deferred<void>();
        s.on("data", (c: Uint8Array) => {
          for (let i = 0; i < c.length && bad < 0; i++) if (c[i] !== big[got + i]) bad = got + i;
          got += c.length;
        });
        s.on("end", () => done.resolve());
        s.resume();
        await done.promise;
        assert.equal(bad, -1, `first wrong byte at ${bad}`);
        assert.equal(got, total);
        assert.ok(falses > 0, "write() returned false at least once");
        assert.ok(r.drains > 0, "drain fired");
        s.end();
        await r.allClosed.promise;
        assert.equal(r.closes.get(r.conns[0]), 1);
        await closedP(s);
      });
    });

    it("pause() stops data, resume() restarts it", async () => {
      const r = recorder({
        data(c) {
          if (r.inbox.get(c)!.text === "A") {
            c.pause();
            c.write(enc.encode("P"));
          }
        },
      });
      await withListener(transport, r.handler, async (l) => {
        const s = await dial(l.port);
        const ib = sockInbox(s);
        s.write("A");
        await ib.until("P");
        s.write("B");
        await sleep(100);
        const c = r.conns[0];
        assert.equal(r.inbox.get(c)!.text, "A", "no data while paused");
        c.resume();
        await r.inbox.get(c)!.until("B");
        assert.equal(r.inbox.get(c)!.text, "AB");
        s.destroy();
        await r.allClosed.promise;
      });
    });

    for (const how of ["peer close", "end()", "destroy()"] as const) {
      it(`close is called exactly once on ${how}`, async () => {
        const r = recorder({
          open(c) {
            if (how === "end()") {
              c.write(enc.encode("bye\r\n"));
              c.end();
              c.end();
            }
            if (how === "destroy()") {
              c.destroy();
              c.destroy();
              c.end();
              assert.equal(c.write(enc.encode("x")), false);
            }
          },
        });
        await withListener(transport, r.handler, async (l) => {
          const s = await dial(l.port);
          const ib = sockInbox(s);
          s.on("end", () => s.end());
          s.on("error", () => {});
          if (how === "peer close") {
            await r.opened.promise;
            s.end();
          }
          await r.allClosed.promise;
          await closedP(s);
          await sleep(30);
          const c = r.conns[0];
          assert.equal(r.closes.get(c), 1);
          if (how === "end()") assert.equal(ib.text, "bye\r\n");
          c.destroy();
          c.end();
          assert.equal(r.closes.get(c), 1);
        });
      });
    }

    it("server STARTTLS: no ciphertext in data, secure and tlsInfo set", async () => {
      const cert = await testCert();
      const { r, tlsDone } = starttlsServer(cert);
      await withListener(transport, r.handler, async (l) => {
        const s = await dial(l.port);
        const ib = sockInbox(s);
        await ib.until("220 hi\r\n");
        s.write("STARTTLS\r\n");
        await ib.until("220 go\r\n");
        assert.equal(ib.text, "220 hi\r\n220 go\r\n");
        s.removeAllListeners("data");
        const ts = tls.connect({ socket: s, rejectUnauthorized: false });
        const tib = new Inbox();
        ts.on("data", (c: Uint8Array) => tib.push(c));
        await new Promise<void>((res) => ts.once("secureConnect", () => res()));
        await tlsDone.promise;
        ts.write("EHLO secret\r\n");
        await tib.until("250 EHLO secret\r\n");
        assert.equal(tib.text, "EARLY\r\n250 EHLO secret\r\n");
        const c = r.conns[0];
        assert.deepEqual(r.inbox.get(c)!.bytes(), enc.encode("EHLO secret\r\n"));
        assert.equal(c.secure, true);
        const info = c.tlsInfo();
        assert.match(info?.protocol ?? "", /^TLSv1\.[23]$/);
        assert.ok((info?.cipher ?? "").length > 0);
        ts.end();
        await r.allClosed.promise;
        await closedP(ts);
        assert.equal(r.closes.get(c), 1);
      });
    });

    it("implicit TLS listener", async () => {
      const r = recorder({ data: (c, chunk) => c.write(chunk) });
      await withListener(transport, r.handler, async (l) => {
        const ts = tls.connect({ host: HOST, port: l.port, rejectUnauthorized: false });
        const ib = new Inbox();
        ts.on("data", (c: Uint8Array) => ib.push(c));
        ts.write("over tls\r\n");
        await ib.until("over tls\r\n");
        assert.equal(ib.text, "over tls\r\n");
        const c = r.conns[0];
        assert.equal(c.secure, true);
        assert.match(c.tlsInfo()?.protocol ?? "", /^TLSv1\.[23]$/);
        ts.end();
        await r.allClosed.promise;
        await closedP(ts);
      }, true);
    });

    it("STARTTLS failure (garbage instead of ClientHello) rejects and closes", async () => {
      const cert = await testCert();
      const { r, tlsFailed } = starttlsServer(cert);
      await withListener(transport, r.handler, async (l) => {
        const s = await dial(l.port);
        s.on("error", () => {});
        const ib = sockInbox(s);
        s.write("STARTTLS\r\n");
        await ib.until("220 go\r\n");
        s.write("GARBAGE GARBAGE GARBAGE\r\n".repeat(20));
        const e = await tlsFailed.promise;
        assert.ok(e instanceof Error);
        await r.allClosed.promise;
        await closedP(s);
        const c = r.conns[0];
        assert.equal(r.closes.get(c), 1);
        assert.equal(r.inbox.get(c)!.text, "", "garbage never reaches data");
        assert.equal(c.secure, false);
      });
    });

    it("200 concurrent connections", async () => {
      const n = 200;
      const r = recorder({ data: (c, chunk) => c.write(chunk) });
      r.expectCloses = n;
      await withListener(transport, r.handler, async (l) => {
        const socks = await Promise.all(Array.from({ length: n }, () => dial(l.port)));
        await Promise.all(socks.map(async (s, i) => {
          const ib = sockInbox(s);
          s.write(`hello ${i}\r\n`);
          assert.equal(await ib.until("\r\n"), `hello ${i}\r\n`);
        }));
        for (const s of socks) s.end();
        await r.allClosed.promise;
        await Promise.all(socks.map(closedP));
        assert.equal(r.conns.length, n);
        for (const c of r.conns) assert.equal(r.closes.get(c), 1);
      });
    });

    for (const [dn, dialer] of allDialers().map((d, i) => [i === 0 && allDialers().length > 1 ? "bunDialer" : "nodeDialer", d] as const)) {
      it(`Dialer (${dn}): plain connect, echo`, async () => {
        const srv = recorder({ data: (c, chunk) => c.write(chunk) });
        await withListener(transport, srv.handler, async (l) => {
          const cli = recorder();
          const conn = await dialer.connect({ host: HOST, port: l.port, timeoutMs: 5000 }, cli.handler);
          assert.equal(await cli.opened.promise, conn);
          assert.equal(conn.remotePort, l.port);
          conn.write(enc.encode("ping\r\n"));
          assert.equal(await cli.inbox.get(conn)!.until("\r\n"), "ping\r\n");
          conn.end();
          await cli.allClosed.promise;
          await srv.allClosed.promise;
        });
      });

      it(`Dialer (${dn}): write's released callback: the buffer may be reused once it fires`, async () => {
        const srv = recorder();
        await withListener(transport, srv.handler, async (l) => {
          const conn = await dialer.connect({ host: HOST, port: l.port, timeoutMs: 5000 }, recorder().handler);
          const buf = new Uint8Array(64 * 1024);
          let released = 0;
          for (let i = 0; i < 20; i++) {
            buf.fill(0x41 + i); // "A", "B", … one letter per write
            let done = false;
            conn.write(buf, () => {
              released++;
              done = true;
              buf.fill(0x5a); // reused at once: the peer must never see this "Z"
            });
            while (!done) await new Promise((r) => setTimeout(r, 10)); // not released yet: wait before reusing
          }
          conn.write(enc.encode("END\r\n"));
          await srv.opened.promise;
          const ib = srv.inbox.get(srv.conns[0]!)!;
          await ib.until("END\r\n");
          const got = ib.bytes();
          assert.equal(got.length, 20 * 64 * 1024 + 5);
          for (let i = 0; i < 20; i++) {
            const part = got.subarray(i * 64 * 1024, (i + 1) * 64 * 1024);
            assert.ok(part.every((b) => b === 0x41 + i), `write ${i} arrived as written`);
          }
          assert.equal(released, 20, "released once per write");
          conn.end();
          await srv.allClosed.promise;
        });
      });

      it(`Dialer (${dn}): client STARTTLS against server STARTTLS`, async () => {
        const cert = await testCert();
        const { r: srv, tlsDone } = starttlsServer(cert);
        await withListener(transport, srv.handler, async (l) => {
          const cli = recorder();
          const d = dialer;
          const conn = await d.connect({ host: HOST, port: l.port }, cli.handler);
          const ib = cli.inbox.get(conn)!;
          await ib.until("220 hi\r\n");
          conn.write(enc.encode("STARTTLS\r\n"));
          await ib.until("220 go\r\n");
          ib.reset();
          await d.startTlsClient(conn, { servername: "localhost" });
          await tlsDone.promise;
          assert.equal(conn.secure, true);
          assert.match(conn.tlsInfo()?.protocol ?? "", /^TLSv1\.[23]$/);
          conn.write(enc.encode("EHLO dialer\r\n"));
          await ib.until("250 EHLO dialer\r\n");
          assert.equal(ib.text, "EARLY\r\n250 EHLO dialer\r\n");
          assert.equal(srv.inbox.get(srv.conns[0])!.text, "EHLO dialer\r\n");
          conn.end();
          await cli.allClosed.promise;
          await srv.allClosed.promise;
          assert.equal(cli.closes.get(conn), 1);
        });
      });

      it(`Dialer (${dn}): implicit TLS connect; refused port rejects`, async () => {
        const srv = recorder({ data: (c, chunk) => c.write(chunk) });
        await withListener(transport, srv.handler, async (l) => {
          const cli = recorder();
          const conn = await dialer.connect({ host: HOST, port: l.port, tls: {} }, cli.handler);
          assert.equal(conn.secure, true);
          conn.write(enc.encode("hi tls\r\n"));
          assert.equal(await cli.inbox.get(conn)!.until("\r\n"), "hi tls\r\n");
          conn.destroy();
          await cli.allClosed.promise;
          await srv.allClosed.promise;
        }, true);
        const free = await transport.listen({ host: HOST, port: 0 }, recorder().handler);
        await free.close();
        await assert.rejects(dialer.connect({ host: HOST, port: free.port }, recorder().handler));
      });
    }
  });
}
