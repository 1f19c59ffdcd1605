// The runtime interface: the only contract between Tern and Bun/Deno.
// Everything outside src/runtime/ talks to sockets, TLS and files through these types.

export interface TlsOptions {
  /** PEM certificate chain */
  cert: string;
  /** PEM private key */
  key: string;
}

export interface TlsInfo {
  protocol: string; // e.g. "TLSv1.3"
  cipher: string; // e.g. "TLS_AES_256_GCM_SHA384"
}

/** One accepted (or dialled) TCP connection, possibly TLS. */
export interface Conn {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** true once TLS is established (implicit TLS or after startTls) */
  readonly secure: boolean;
  tlsInfo(): TlsInfo | undefined;
  /**
   * Queue bytes for sending. Returns true when everything was handed to the kernel,
   * false when some of it is buffered in the adapter (the caller should wait for
   * the handler's `drain` before writing much more). Partial writes are the adapter's job.
   * `released`, when given, is called once the adapter holds no reference to `data` any
   * more (the caller may then reuse the buffer); it may never be called (e.g. when the
   * connection dies first), so callers must treat it as an optimisation only.
   */
  write(data: Uint8Array, released?: () => void): boolean;
  /** Bytes accepted by write() but not yet handed to the kernel. */
  readonly buffered: number;
  /** Stop delivering `data` events (backpressure from the consumer). */
  pause(): void;
  resume(): void;
  /**
   * Server-side STARTTLS: upgrade this connection in place. No `data` event with
   * plaintext-era bytes is delivered after this is called; the promise resolves
   * after the handshake, rejects (and the conn is closed) when it fails.
   */
  startTls(tls: TlsOptions): Promise<void>;
  /** Flush what is buffered, then close. */
  end(): void;
  /** Close at once. */
  destroy(): void;
}

export interface ConnHandler {
  open(conn: Conn): void;
  data(conn: Conn, chunk: Uint8Array): void;
  drain(conn: Conn): void;
  /** Called exactly once, whatever the reason (peer close, error, end, destroy). */
  close(conn: Conn, error?: Error): void;
}

export interface ListenOptions {
  host: string;
  /** 0 = pick a free port */
  port: number;
  /** implicit TLS (e.g. port 465) */
  tls?: TlsOptions;
}

export interface Listener {
  readonly host: string;
  readonly port: number;
  /** Stop accepting; established connections are left alone. */
  close(): Promise<void>;
}

export interface Transport {
  readonly name: string;
  listen(opts: ListenOptions, handler: ConnHandler): Promise<Listener>;
}

/** Client side (outbound relay): dial a host. */
export interface DialOptions {
  host: string;
  port: number;
  /** local address to bind, optional */
  localAddress?: string;
  /** implicit TLS on connect */
  tls?: ClientTlsOptions;
  timeoutMs?: number;
}

export interface ClientTlsOptions {
  servername?: string;
  /** verify the peer certificate (default false: opportunistic) */
  verify?: boolean;
  ca?: string;
}

export interface Dialer {
  connect(opts: DialOptions, handler: ConnHandler): Promise<Conn>;
  /** client-side STARTTLS upgrade of a dialled connection */
  startTlsClient(conn: Conn, tls: ClientTlsOptions): Promise<void>;
}
