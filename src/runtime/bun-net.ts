// Transport on Bun.listen (the fastest server socket on Bun), and the connection class
// BunConn that the Bun.connect dialer (bun-dialer.ts) uses too. Importable anywhere:
// `Bun` is only touched when listen() is called.
//
// Bun quirks handled here:
// - socket.write() may write partially (returns bytes written, -1 when closed): the
//   unwritten tail is queued here and sent on `drain`, strictly in order.
// - after socket.upgradeTLS() the plaintext socket's handlers keep firing (with
//   ciphertext): every handler checks the per-connection stage before acting.
import type { ClientTlsOptions, Conn, ConnHandler, Listener, ListenOptions, TlsInfo, TlsOptions, Transport } from "./types.ts";

// Minimal structural view of Bun's Socket, so this file type-checks without Bun.
export interface BunSocket {
  data: BunConn;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress?: string;
  readonly localPort: number;
  write(data: Uint8Array): number;
  end(): void;
  terminate(): void;
  pause(): void;
  resume(): void;
  setNoDelay?(v?: boolean): boolean;
  getCipher?(): { name: string; standardName?: string; version: string };
  getTLSVersion?(): string;
  upgradeTLS(o: { data: BunConn; tls: TlsOptions | BunClientTls; socket: Handlers }): [BunSocket, BunSocket];
}
/** Bun's client TLS options (Bun.connect, upgradeTLS on a dialled socket) */
interface BunClientTls {
  serverName?: string;
  rejectUnauthorized: boolean;
  ca?: string;
}

export interface Handlers {
  open?(s: BunSocket): void;
  data(s: BunSocket, chunk: Uint8Array): void;
  drain(s: BunSocket): void;
  close(s: BunSocket, err?: Error): void;
  error(s: BunSocket, err: Error): void;
  end?(s: BunSocket): void;
  handshake?(s: BunSocket, success: boolean, err: Error | null): void;
  connectError?(s: BunSocket, err: Error): void;
}

const PLAIN = 0; // plaintext socket is the live one
export const UPGRADING = 1; // startTls called: plaintext handlers are ignored from now on
export const TLS = 2; // TLS established (implicit or by startTls)

export class BunConn implements Conn {
  sock: BunSocket;
  readonly h: ConnHandler;
  stage: number;
  /** host name dialled (client side), for SNI */
  dialHost: string | undefined;
  /** true once upgradeTLS() was called: the plaintext socket's handlers are then ignored */
  viaUpgrade = false;
  closed = false;
  err: Error | undefined;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** unwritten tails, in order; `qHead` indexes the first pending one */
  private q: Uint8Array[] = [];
  private qHead = 0;
  private qBytes = 0;
  private ending = false;
  /** write() returned false: the handler gets a drain once the queue is empty */
  private needDrain = false;
  /** writes made while the TLS handshake runs */
  private later: Uint8Array[] | undefined;
  /** set while startTls waits for the plaintext queue to flush */
  private pendingTls: (() => void) | undefined;
  private tlsWait: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private info: TlsInfo | undefined;

  constructor(sock: BunSocket, h: ConnHandler, secure: boolean) {
    this.sock = sock;
    this.h = h;
    this.stage = secure ? TLS : PLAIN;
    this.remoteAddress = sock.remoteAddress ?? "";
    this.remotePort = sock.remotePort ?? 0;
    this.localAddress = sock.localAddress ?? "";
    this.localPort = sock.localPort ?? 0;
  }

  get secure(): boolean {
    return this.stage === TLS;
  }

  get buffered(): number {
    return this.qBytes;
  }

  tlsInfo(): TlsInfo | undefined {
    if (this.stage !== TLS) return undefined;
    if (!this.info) {
      const c = this.sock.getCipher?.();
      this.info = {
        protocol: this.sock.getTLSVersion?.() ?? c?.version ?? "",
        cipher: c?.standardName ?? c?.name ?? "",
      };
    }
    return this.info;
  }

  write(data: Uint8Array, released?: () => void): boolean {
    if (this.closed || this.ending) return false;
    const len = data.byteLength;
    if (len === 0) return this.qBytes === 0;
    if (this.stage === UPGRADING) {
      // written after startTls(): must go out encrypted, once the handshake is done
      (this.later ??= []).push(data);
      this.qBytes += len;
      this.needDrain = true;
      return false;
    }
    if (this.qBytes > 0) {
      this.q.push(data);
      this.qBytes += len;
      this.needDrain = true;
      return false;
    }
    let n = this.sock.write(data);
    if (n === len) {
      released?.(); // Bun copied it all into the socket: the caller's buffer is free
      return true;
    }
    if (n < 0) n = 0;
    this.q.push(n === 0 ? data : data.subarray(n));
    this.qBytes += len - n;
    this.needDrain = true;
    return false;
  }

  /** Send queued tails; true when the queue is empty. */
  private flush(): boolean {
    const q = this.q;
    if (this.stage === UPGRADING && this.pendingTls === undefined) return false;
    while (this.qHead < q.length) {
      const chunk = q[this.qHead];
      const n = this.sock.write(chunk);
      if (n < chunk.byteLength) {
        if (n > 0) {
          q[this.qHead] = chunk.subarray(n);
          this.qBytes -= n;
        }
        return false;
      }
      this.qBytes -= n;
      q[this.qHead++] = undefined as unknown as Uint8Array;
    }
    this.q = [];
    this.qHead = 0;
    return true;
  }

  onDrain(): void {
    if (this.closed) return;
    if (this.qBytes > 0 && !this.flush()) return;
    if (this.pendingTls) {
      const go = this.pendingTls;
      this.pendingTls = undefined;
      go();
      return;
    }
    if (this.stage === UPGRADING) return;
    if (this.ending) {
      this.sock.end();
      return;
    }
    if (this.needDrain) {
      this.needDrain = false;
      this.h.drain(this);
    }
  }

  pause(): void {
    this.sock.pause();
  }

  resume(): void {
    this.sock.resume();
  }

  end(): void {
    if (this.closed || this.ending) return;
    this.ending = true;
    if (this.qBytes === 0 && !this.pendingTls) this.sock.end();
  }

  destroy(): void {
    if (this.closed) return;
    this.sock.terminate();
    // Bun normally calls close on terminate; make sure it happens exactly once anyway.
    this.finish();
  }

  finish(e?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.q = [];
    this.later = undefined;
    this.qBytes = 0;
    const w = this.tlsWait;
    if (w) {
      this.tlsWait = undefined;
      w.reject(e ?? this.err ?? new Error("connection closed during TLS handshake"));
    }
    this.h.close(this, e ?? this.err);
  }

  /** client side: a certificate the peer's chain does not verify fails the handshake */
  verifyPeer = false;

  /** Client-side STARTTLS (bunDialer.startTlsClient). */
  startTlsClient(o: ClientTlsOptions, host: string | undefined): Promise<void> {
    this.verifyPeer = !!o.verify;
    return this.startTls(clientTls(o, host));
  }

  startTls(o: TlsOptions | BunClientTls): Promise<void> {
    if (this.closed) return Promise.reject(new Error("connection closed"));
    if (this.stage !== PLAIN) return Promise.reject(new Error("TLS already active"));
    this.stage = UPGRADING;
    return new Promise<void>((resolve, reject) => {
      this.tlsWait = { resolve, reject };
      const go = () => {
        if (this.closed) return;
        this.viaUpgrade = true;
        try {
          const [, t] = this.sock.upgradeTLS({ data: this, tls: o, socket: tlsHandlers });
          this.sock = t;
        } catch (e) {
          this.sock.terminate();
          this.finish(e as Error);
        }
      };
      // plaintext still queued (e.g. "220 Ready to start TLS") must go out before the upgrade
      if (this.qBytes > 0) this.pendingTls = go;
      else go();
    });
  }

  onHandshake(ok: boolean, err: Error | null): void {
    if (this.closed || this.stage !== UPGRADING) return;
    if (!ok || (this.verifyPeer && err)) {
      // e.g. the peer sent something that is not a ClientHello
      const e = err ?? new Error("TLS handshake failed");
      this.err = e;
      this.sock.terminate();
      this.finish(e);
      return;
    }
    this.stage = TLS;
    const w = this.tlsWait;
    this.tlsWait = undefined;
    w?.resolve();
    // writes made while upgrading were held back: send them now, encrypted
    const later = this.later;
    if (later) {
      this.later = undefined;
      this.q = later;
      this.qHead = 0;
      this.onDrain();
    }
  }
}

// Handlers for the plaintext (or implicit-TLS) socket accepted by Bun.listen.
function mainHandlers(h: ConnHandler, secure: boolean): Handlers {
  return {
    open(s) {
      const c = new BunConn(s, h, secure);
      s.data = c;
      s.setNoDelay?.(true);
      h.open(c);
    },
    data(s, chunk) {
      const c = s.data;
      if (c.stage !== UPGRADING && !c.viaUpgrade && !c.closed) h.data(c, chunk);
    },
    drain(s) {
      const c = s.data;
      if (!c.viaUpgrade) c.onDrain();
    },
    error(s, e) {
      const c = s.data;
      if (c && !c.err) c.err = e;
    },
    close(s, e) {
      const c = s.data;
      if (c && !c.viaUpgrade) c.finish(e);
    },
  };
}

// Handlers for the TLS socket returned by upgradeTLS (server STARTTLS).
const tlsHandlers: Handlers = {
  open() {},
  handshake(s, ok, err) {
    // ok is true for an established session even when authErr is set (no client cert)
    s.data.onHandshake(ok, err);
  },
  data(s, chunk) {
    const c = s.data;
    if (c.stage === TLS && !c.closed) c.h.data(c, chunk);
  },
  drain(s) {
    const c = s.data;
    if (c.stage === TLS) c.onDrain();
  },
  error(s, e) {
    const c = s.data;
    if (!c.err) c.err = e;
  },
  close(s, e) {
    s.data.finish(e);
  },
};

export const bunTransport: Transport = {
  name: "bun",
  listen(opts: ListenOptions, h: ConnHandler): Promise<Listener> {
    // deno-lint-ignore no-explicit-any
    const B = (globalThis as any).Bun;
    if (!B) return Promise.reject(new Error("bunTransport needs the Bun runtime"));
    try {
      const server = B.listen({
        hostname: opts.host,
        port: opts.port,
        tls: opts.tls ? { cert: opts.tls.cert, key: opts.tls.key } : undefined,
        socket: mainHandlers(h, !!opts.tls),
      });
      return Promise.resolve({
        host: opts.host,
        port: server.port as number,
        close: () => {
          server.stop(false); // stop accepting, leave established connections alone
          return Promise.resolve();
        },
      });
    } catch (e) {
      return Promise.reject(e);
    }
  },
};

/** Bun.connect / upgradeTLS client options: SNI for names only, verification as asked */
export function clientTls(o: ClientTlsOptions, host: string | undefined): BunClientTls {
  const name = o.servername ?? (host && !/^[\d.]+$|:/.test(host) ? host : undefined); // SNI: names only
  return { serverName: name, rejectUnauthorized: !!o.verify, ...(o.ca ? { ca: o.ca } : {}) };
}
