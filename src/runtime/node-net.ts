// Transport and Dialer on node:net + node:tls. Works on Deno (its default transport),
// on Bun and on Node. Server STARTTLS wraps the paused plain socket in a
// `new tls.TLSSocket(sock, { isServer: true })`, which is what works on Deno.
import * as net from "node:net";
import * as tls from "node:tls";
import type {
  ClientTlsOptions,
  Conn,
  ConnHandler,
  Dialer,
  DialOptions,
  Listener,
  ListenOptions,
  TlsInfo,
  TlsOptions,
  Transport,
} from "./types.ts";

const K = Symbol("tern.conn");
type Sock = net.Socket & { [K]?: NodeConn };
const EMPTY = new Uint8Array(0);
const noop = () => {};

/** One SecureContext per TlsOptions object (creating one per STARTTLS is costly). */
const contexts = new WeakMap<TlsOptions, tls.SecureContext>();
export function secureContextFor(o: TlsOptions): tls.SecureContext {
  let c = contexts.get(o);
  if (!c) {
    c = tls.createSecureContext({ cert: o.cert, key: o.key });
    contexts.set(o, c);
  }
  return c;
}

// Shared listeners (`this` is the socket): no closures per connection.
function onData(this: Sock, chunk: Uint8Array): void {
  const c = this[K]!;
  if (!c.upgrading) c.h.data(c, chunk);
}
function onDrain(this: Sock): void {
  const c = this[K]!;
  c.h.drain(c);
}
function onError(this: Sock, e: Error): void {
  const c = this[K];
  if (c && !c.err) c.err = e;
}
function onClose(this: Sock): void {
  this[K]?.finish();
}

export class NodeConn implements Conn {
  sock: Sock;
  readonly h: ConnHandler;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  secure: boolean;
  closed = false;
  upgrading = false;
  err: Error | undefined;
  /** host name dialled (client side), for SNI */
  readonly dialHost: string | undefined;
  private info: TlsInfo | undefined;
  private later: Uint8Array[] | undefined;
  private laterBytes = 0;
  private endAfter = false;

  constructor(sock: net.Socket, h: ConnHandler, secure: boolean, dialHost?: string) {
    this.h = h;
    this.secure = secure;
    this.dialHost = dialHost;
    this.remoteAddress = sock.remoteAddress ?? "";
    this.remotePort = sock.remotePort ?? 0;
    this.localAddress = sock.localAddress ?? "";
    this.localPort = sock.localPort ?? 0;
    this.sock = sock;
    this.attach(sock);
  }

  private attach(sock: Sock): void {
    this.sock = sock;
    sock[K] = this;
    sock.setNoDelay(true);
    sock.on("data", onData);
    sock.on("drain", onDrain);
    sock.on("error", onError);
    sock.on("close", onClose);
  }

  private detach(sock: Sock): void {
    sock.off("data", onData);
    sock.off("drain", onDrain);
    sock.off("close", onClose);
    // keep onError (it only records) so a late raw-socket error never goes unhandled
  }

  /** Fire handler.close exactly once. */
  finish(e?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.h.close(this, e ?? this.err);
  }

  tlsInfo(): TlsInfo | undefined {
    if (!this.secure) return undefined;
    if (!this.info) {
      const t = this.sock as unknown as tls.TLSSocket;
      const c = t.getCipher?.();
      this.info = {
        protocol: t.getProtocol?.() ?? c?.version ?? "",
        cipher: c?.standardName ?? c?.name ?? "",
      };
    }
    return this.info;
  }

  write(data: Uint8Array, released?: () => void): boolean {
    if (this.closed) return false;
    if (this.upgrading) {
      // written after startTls(): must go out encrypted, once the handshake is done
      (this.later ??= []).push(data);
      this.laterBytes += data.byteLength;
      return false;
    }
    if (!released) return this.sock.write(data);
    let done = false;
    const release = () => {
      if (done) return;
      done = true;
      released();
    };
    // the stream calls back once the chunk is flushed; when it wrote it through at once
    // (nothing left buffered: Node's libuv try-write, Deno's polyfill copy) the buffer is
    // free now — without this it would come back a tick later, too late for a loop
    // that writes buffer after buffer
    const ok = this.sock.write(data, (err?: Error | null) => err ? undefined : release());
    if (this.sock.writableLength === 0) release();
    return ok;
  }

  get buffered(): number {
    return this.sock.writableLength + this.laterBytes;
  }

  pause(): void {
    this.sock.pause();
  }

  resume(): void {
    if (!this.upgrading) this.sock.resume();
  }

  end(): void {
    if (this.closed) return;
    if (this.upgrading) this.endAfter = true;
    else this.sock.end();
  }

  destroy(): void {
    this.sock.destroy();
  }

  startTls(o: TlsOptions): Promise<void> {
    return this.upgrade((raw) =>
      new tls.TLSSocket(raw, { isServer: true, secureContext: secureContextFor(o) }), "secure");
  }

  /** Client-side STARTTLS (used by nodeDialer.startTlsClient). */
  startTlsClient(o: ClientTlsOptions): Promise<void> {
    return this.upgrade((raw) =>
      tls.connect({
        socket: raw,
        servername: o.servername ?? sniName(this.dialHost),
        rejectUnauthorized: !!o.verify,
        ca: o.ca,
      }), "secureConnect");
  }

  private upgrade(wrap: (raw: net.Socket) => tls.TLSSocket, ev: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error("connection closed"));
    if (this.secure || this.upgrading) return Promise.reject(new Error("TLS already active"));
    this.upgrading = true; // from now on no plaintext-era data reaches the handler
    const raw = this.sock;
    raw.pause();
    return new Promise<void>((resolve, reject) => {
      const go = () => {
        if (this.closed) return reject(this.err ?? new Error("connection closed"));
        this.detach(raw);
        let t: tls.TLSSocket;
        let done = false;
        const fail = (e: Error) => {
          if (done) return;
          done = true;
          t.destroy();
          raw.destroy();
          this.finish(e);
          reject(e);
        };
        try {
          t = wrap(raw);
        } catch (e) {
          t = raw as tls.TLSSocket;
          return fail(e as Error);
        }
        t.once("error", fail);
        t.once("close", () => fail(new Error("connection closed during TLS handshake")));
        t.once(ev, () => {
          if (done) return;
          done = true;
          t.removeAllListeners("error");
          t.removeAllListeners("close");
          this.upgrading = false;
          this.secure = true;
          this.attach(t);
          const later = this.later;
          if (later) {
            this.later = undefined;
            this.laterBytes = 0;
            let ok = true;
            for (const d of later) ok = t.write(d);
            if (ok && !this.endAfter) this.h.drain(this);
          }
          if (this.endAfter) t.end();
          resolve();
        });
      };
      // Let plaintext already queued (e.g. "220 Ready to start TLS") reach the kernel first.
      if (raw.writableLength === 0) go();
      else raw.write(EMPTY, () => go());
    });
  }
}

function sniName(host: string | undefined): string | undefined {
  return host && !net.isIP(host) ? host : undefined;
}

function serve(server: net.Server, opts: ListenOptions): Promise<Listener> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      server.on("error", noop);
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        host: opts.host,
        port,
        close: () =>
          new Promise<void>((r) => {
            // server.close()'s callback waits for every connection to end: don't wait for it
            server.close();
            r();
          }),
      });
    });
  });
}

export const nodeTransport: Transport = {
  name: "node",
  listen(opts: ListenOptions, h: ConnHandler): Promise<Listener> {
    if (opts.tls) {
      // (Bun ignores `secureContext` here: pass cert/key)
      const server = tls.createServer({ cert: opts.tls.cert, key: opts.tls.key });
      server.on("secureConnection", (sock) => h.open(new NodeConn(sock, h, true)));
      server.on("tlsClientError", (_e, sock) => sock.destroy());
      return serve(server, opts);
    }
    const server = net.createServer((sock) => h.open(new NodeConn(sock, h, false)));
    return serve(server, opts);
  },
};

export const nodeDialer: Dialer = {
  connect(o: DialOptions, h: ConnHandler): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const ct = o.tls;
      const tcp: net.TcpNetConnectOpts = { host: o.host, port: o.port, localAddress: o.localAddress };
      const sock: net.Socket = ct
        ? tls.connect({
          ...tcp, // tls.connect passes localAddress on to net
          servername: ct.servername ?? sniName(o.host),
          rejectUnauthorized: !!ct.verify,
          ca: ct.ca,
        })
        : net.connect(tcp);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const fail = (e: Error) => {
        if (timer) clearTimeout(timer);
        sock.destroy();
        reject(e);
      };
      sock.once("error", fail);
      if (o.timeoutMs) {
        timer = setTimeout(
          () => fail(new Error(`connect to ${o.host}:${o.port} timed out after ${o.timeoutMs} ms`)),
          o.timeoutMs,
        );
      }
      sock.once(ct ? "secureConnect" : "connect", () => {
        if (timer) clearTimeout(timer);
        sock.off("error", fail);
        const c = new NodeConn(sock, h, !!ct, o.host);
        h.open(c);
        resolve(c);
      });
    });
  },
  startTlsClient(conn: Conn, o: ClientTlsOptions): Promise<void> {
    if (!(conn instanceof NodeConn)) {
      return Promise.reject(new TypeError("nodeDialer.startTlsClient: not a nodeDialer connection"));
    }
    return conn.startTlsClient(o);
  },
};
