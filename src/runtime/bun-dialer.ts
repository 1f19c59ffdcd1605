// Outbound connections on Bun.connect, with the BunConn of bun-net.ts (its partial-write
// queue and TLS stages). Importable anywhere: `Bun` is only touched when connect() is called.
import type { ClientTlsOptions, Conn, ConnHandler, Dialer, DialOptions } from "./types.ts";
import { BunConn, type BunSocket, clientTls, type Handlers, TLS, UPGRADING } from "./bun-net.ts";
import { nodeDialer } from "./node-net.ts";

/**
 * Outbound connections on Bun.connect (Bun's own sockets: writes go straight to the
 * kernel, no node:net stream in between). Binding a local address is left to
 * nodeDialer (Bun.connect has no such option).
 */
export const bunDialer: Dialer = {
  connect(o: DialOptions, h: ConnHandler): Promise<Conn> {
    // deno-lint-ignore no-explicit-any
    const B = (globalThis as any).Bun;
    if (!B) return Promise.reject(new Error("bunDialer needs the Bun runtime"));
    if (o.localAddress) return nodeDialer.connect(o, h);
    return new Promise<Conn>((resolve, reject) => {
      let settled = false;
      let sock: BunSocket | undefined;
      const timer = o.timeoutMs
        ? setTimeout(() => fail(new Error(`connect to ${o.host}:${o.port} timed out after ${o.timeoutMs} ms`)), o.timeoutMs)
        : undefined;
      function fail(e: Error): void {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        sock?.terminate();
        reject(e);
      }
      function ready(c: BunConn): void {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        h.open(c);
        resolve(c);
      }
      const handlers: Handlers = {
        open(s) {
          sock = s;
          const c = new BunConn(s, h, false);
          c.dialHost = o.host;
          s.data = c;
          s.setNoDelay?.(true);
          if (o.tls) c.stage = UPGRADING; // implicit TLS: wait for the handshake
          else ready(c);
        },
        handshake(s, ok, err) {
          const c = s.data;
          if (!o.tls || !c) return;
          if (!ok || (o.tls.verify && err)) return fail(err ?? new Error("TLS handshake failed"));
          c.stage = TLS;
          ready(c);
        },
        data(s, chunk) {
          const c = s.data;
          if (c && settled && c.stage !== UPGRADING && !c.viaUpgrade && !c.closed) h.data(c, chunk);
        },
        drain(s) {
          const c = s.data;
          if (c && !c.viaUpgrade) c.onDrain();
        },
        error(s, e) {
          const c = s.data;
          if (c && !c.err) c.err = e;
          if (!settled) fail(e);
        },
        close(s, e) {
          const c = s.data;
          if (!settled) return fail(e ?? new Error(`connection to ${o.host}:${o.port} closed`));
          if (c && !c.viaUpgrade) c.finish(e);
        },
        connectError(_s, e) {
          fail(e);
        },
      };
      try {
        B.connect({
          hostname: o.host,
          port: o.port,
          tls: o.tls ? clientTls(o.tls, o.host) : undefined,
          socket: handlers,
        }).catch((e: Error) => fail(e));
      } catch (e) {
        fail(e as Error);
      }
    });
  },
  startTlsClient(conn: Conn, o: ClientTlsOptions): Promise<void> {
    if (!(conn instanceof BunConn)) return nodeDialer.startTlsClient(conn, o);
    return conn.startTlsClient(o, conn.dialHost);
  },
};
