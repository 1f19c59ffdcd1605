// Shared fixtures for outbound client tests: a fake resolver, an in-memory body store,
// a counting dialer, a message factory, and receivers/agents closed after the file's tests.
import { after } from "node:test";
import { createRemoteAgent, type RemoteDeliveryAgent } from "../../src/smtp/client/index.ts";
import { type SmtpReceiver, startReceiver } from "../helpers/smtp-receiver.ts";
import type { Destination, DestinationResolver, TlsPolicy } from "../../src/dns/types.ts";
import { defaultDialer } from "../../src/runtime/index.ts";
import type { Conn, ConnHandler, Dialer } from "../../src/runtime/types.ts";
import type { Envelope, QueuedMessage, Recipient } from "../../src/spool/types.ts";

const enc = new TextEncoder();

export interface FakeRoute {
  ports: number[];
  tls?: TlsPolicy;
  key?: string;
  host?: string;
  auth?: { user: string; password: string };
}

/** domain → {kind:"hosts", targets 127.0.0.1:port...}; "nullmx.test", "nx.test", "tempfail.test" built in. */
export function fakeResolver(routes: Record<string, FakeRoute>): DestinationResolver & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    resolve(domain: string): Promise<Destination> {
      calls.push(domain);
      if (domain === "nullmx.test") return Promise.resolve({ kind: "nullmx" });
      if (domain === "nx.test") return Promise.resolve({ kind: "nxdomain" });
      if (domain === "tempfail.test") return Promise.resolve({ kind: "tempfail", reason: "SERVFAIL" });
      const r = routes[domain];
      if (!r) return Promise.resolve({ kind: "nxdomain" });
      return Promise.resolve({
        kind: "hosts",
        key: r.key ?? `mx:${r.ports.join(",")}`,
        targets: r.ports.map((port, i) => ({ host: r.host ?? "127.0.0.1", port, preference: 10 * (i + 1) })),
        tls: r.tls ?? "opportunistic",
        auth: r.auth,
      });
    },
    addresses(host: string): Promise<string[]> {
      return Promise.resolve(host === "localhost" ? ["127.0.0.1"] : []);
    },
  };
}

/** Bodies by message id, served in chunks of `chunk` bytes (fresh buffers). */
export class BodyStore {
  bodies = new Map<string, Uint8Array>();
  constructor(public chunk = 64 * 1024) {}
  async *readBody(id: string): AsyncIterable<Uint8Array> {
    const b = this.bodies.get(id);
    if (!b) throw new Error(`no such message: ${id}`);
    for (let i = 0; i < b.length; i += this.chunk) yield b.slice(i, i + this.chunk);
  }
}

/** A store that also offers the spool's readBodyInto (bodies read whole into the client's buffer). */
export class WholeBodyStore extends BodyStore {
  wholeReads = 0;
  readBodyInto(id: string, buf: Uint8Array, off: number): number | undefined {
    const b = this.bodies.get(id);
    if (!b) throw new Error(`no such message: ${id}`);
    if (b.length > 1024 * 1024) return undefined;
    buf.set(b, off);
    this.wholeReads++;
    return b.length;
  }
}

let n = 0;
export function message(
  store: BodyStore,
  rcpts: string[],
  body: string | Uint8Array = "Subject: test\r\n\r\nhello\r\n",
  env: Partial<Envelope> = {},
): { msg: QueuedMessage; rcpts: Recipient[] } {
  const id = `M${++n}`;
  const bytes = typeof body === "string" ? enc.encode(body) : body;
  store.bodies.set(id, bytes);
  const recipients = rcpts.map((address) => ({ address }));
  const envelope: Envelope = {
    mailFrom: "sender@origin.test",
    rcptTo: recipients,
    client: { address: "127.0.0.1", port: 1, helo: "c", listener: "smtp" },
    receivedAt: Date.now(),
    ...env,
  };
  return { msg: { id, envelope, size: bytes.length, committedAt: Date.now() }, rcpts: recipients };
}

/** A dialer that counts connects and every write() call on the dialled conns. */
/** throttle: every body-sized write reports "buffered" (false) and `drain` follows later. */
export function countingDialer(throttle = false): Dialer & { connects: number; writes: Uint8Array[]; blocked: number } {
  const base = defaultDialer(); // bunDialer on Bun, nodeDialer on Deno
  const d = {
    connects: 0,
    /** write() calls that returned false (the client must wait for drain) */
    blocked: 0,
    writes: [] as Uint8Array[],
    connect(opts: Parameters<Dialer["connect"]>[0], h: ConnHandler): Promise<Conn> {
      d.connects++;
      return base.connect(opts, h).then((conn) => {
        const w = conn.write.bind(conn);
        conn.write = (b: Uint8Array, released?: () => void) => {
          d.writes.push(b.length > 4096 ? b.subarray(0, 0) : b.slice());
          let ok = w(b, released);
          if (throttle && b.length > 4096 && ok) {
            ok = false;
            setTimeout(() => h.drain(conn), 1);
          }
          if (!ok) d.blocked++;
          return ok;
        };
        return conn;
      });
    },
    startTlsClient: (c: Conn, o: Parameters<Dialer["startTlsClient"]>[1]) => base.startTlsClient(c, o),
  };
  return d;
}

export const FAST = {
  connectTimeout: 2,
  timeouts: { greeting: 2, mail: 2, rcpt: 2, dataInit: 2, dataBlock: 2, dataEnd: 2 },
};

export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** test receivers and remote agents for one test file, all closed after its tests */
export function clientFixtures() {
  const cleanup: (() => unknown)[] = [];
  after(async () => {
    for (const f of cleanup.reverse()) await f();
  });
  return {
    async rx(opts: Parameters<typeof startReceiver>[0] = {}): Promise<SmtpReceiver> {
      const r = await startReceiver(opts);
      cleanup.push(() => r.close());
      return r;
    },
    agent(resolver: ReturnType<typeof fakeResolver>, store: BodyStore, extra: object = {}, dialer?: Dialer): RemoteDeliveryAgent {
      const a = createRemoteAgent({ hostname: "out.tern.test", outbound: { ...FAST, ...extra } }, { resolver, spool: store, ...(dialer ? { dialer } : {}) });
      cleanup.push(() => a.close());
      return a;
    },
  };
}
