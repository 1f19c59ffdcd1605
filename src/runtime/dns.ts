// DNS transport: send a query to the configured name servers over UDP, retry over TCP
// when the reply is truncated. Bytes in, bytes out; the wire format lives in
// src/proto/dns, the interpretation in src/dns. Only header bits are read here.

import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { readFile } from "node:fs/promises";
import { createConnection, isIPv6, type Socket as TcpSocket } from "node:net";

export interface NameServer {
  /** IP address (no brackets) */
  host: string;
  port: number;
}

/** Sends one DNS query message, returns the reply bytes. Rejects on timeout/network error. */
export interface DnsTransport {
  query(msg: Uint8Array): Promise<Uint8Array>;
}

export interface DnsTransportOptions {
  /** undefined: the `nameserver` lines of /etc/resolv.conf */
  servers?: NameServer[];
  /** total time for one query, all servers and the TCP retry included */
  timeoutMs: number;
  /** for tests: where to read the system resolver config */
  resolvConfPath?: string;
}

/** The DNS server port (RFC 1035 §4.2). */
export const DNS_PORT = 53;

/** resolv.conf(5): no nameserver line means the local one. */
const DEFAULT_SERVERS: NameServer[] = [{ host: "127.0.0.1", port: DNS_PORT }];

/** The name servers of a resolv.conf text, in order. */
export function parseResolvConf(text: string): NameServer[] {
  const out: NameServer[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m) out.push({ host: m[1]!, port: DNS_PORT });
  }
  return out;
}

async function systemServers(path: string): Promise<NameServer[]> {
  try {
    const found = parseResolvConf(await readFile(path, "utf8"));
    return found.length > 0 ? found : DEFAULT_SERVERS;
  } catch {
    return DEFAULT_SERVERS; // no resolv.conf (or no read permission)
  }
}

export class DnsTimeoutError extends Error {
  override name = "DnsTimeoutError";
}

/** A UDP-then-TCP transport over node:dgram and node:net (works on Bun and Deno). */
export function createDnsTransport(opts: DnsTransportOptions): DnsTransport {
  let servers: Promise<NameServer[]> | undefined = opts.servers && opts.servers.length > 0
    ? Promise.resolve(opts.servers)
    : undefined;
  const timeoutMs = opts.timeoutMs;
  return {
    async query(msg: Uint8Array): Promise<Uint8Array> {
      servers ??= systemServers(opts.resolvConfPath ?? "/etc/resolv.conf");
      return queryServers(await servers, msg, timeoutMs);
    },
  };
}

// RFC 1035 §4.1.1 header: ID in bytes 0-1; QR, TC in byte 2; RCODE low nibble of byte 3
const isTruncated = (b: Uint8Array): boolean => (b[2]! & 0x02) !== 0;
const rcodeOf = (b: Uint8Array): number => b[3]! & 0x0f;
const RCODE_SERVFAIL_2 = 2;
const RCODE_REFUSED_5 = 5;

/** Try each server in turn (a share of the time each), the last one gets what is left. */
async function queryServers(servers: NameServer[], msg: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
  const deadline = Date.now() + timeoutMs;
  const share = Math.max(1, Math.floor(timeoutMs / servers.length));
  let lastReply: Uint8Array | undefined;
  let lastError: unknown;
  for (let i = 0; i < servers.length; i++) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const budget = i === servers.length - 1 ? left : Math.min(share, left);
    try {
      const reply = await exchange(servers[i]!, msg, budget, deadline);
      const rc = rcodeOf(reply);
      // a failing server: ask the next one (like the stub resolver), keep this reply as the fallback
      if ((rc === RCODE_SERVFAIL_2 || rc === RCODE_REFUSED_5) && i < servers.length - 1) {
        lastReply = reply;
        continue;
      }
      return reply;
    } catch (e) {
      lastError = e;
    }
  }
  if (lastReply) return lastReply;
  if (lastError instanceof Error && !(lastError instanceof DnsTimeoutError)) throw lastError;
  const list = servers.map((s) => fmtServer(s)).join(", ");
  throw new DnsTimeoutError(`no DNS reply within ${timeoutMs} ms from ${list}`);
}

async function exchange(server: NameServer, msg: Uint8Array, budget: number, deadline: number): Promise<Uint8Array> {
  const reply = await udpExchange(server, msg, budget);
  if (!isTruncated(reply)) return reply;
  // RFC 7766 §5: a truncated UDP reply is retried over TCP
  return tcpExchange(server, msg, Math.max(1, deadline - Date.now()));
}

function fmtServer(s: NameServer): string {
  return isIPv6(s.host) ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`;
}

/** Does `reply` answer `query` (same ID, QR set)? RFC 5452 §9.1: ignore everything else. */
function matches(query: Uint8Array, reply: Uint8Array): boolean {
  return reply.length >= 12 && reply[0] === query[0] && reply[1] === query[1] && (reply[2]! & 0x80) !== 0;
}

function udpExchange(server: NameServer, msg: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const sock: UdpSocket = createSocket(isIPv6(server.host) ? "udp6" : "udp4");
    let done = false;
    const finish = (err: Error | undefined, reply?: Uint8Array) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        sock.close();
      } catch {
        // already closed
      }
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => finish(new DnsTimeoutError(`no UDP reply from ${fmtServer(server)} within ${timeoutMs} ms`)), timeoutMs);
    sock.on("error", (e: Error) => finish(new Error(`DNS over UDP to ${fmtServer(server)}: ${e.message}`)));
    sock.on("message", (buf: Uint8Array, rinfo: { port: number }) => {
      if (rinfo.port !== server.port) return; // RFC 5452 §9.1: must come from the server's port
      const reply = new Uint8Array(buf);
      if (matches(msg, reply)) finish(undefined, reply);
    });
    try {
      sock.send(msg, server.port, server.host, (e?: Error | null) => {
        if (e) finish(new Error(`DNS over UDP to ${fmtServer(server)}: ${e.message}`));
      });
    } catch (e) {
      finish(new Error(`DNS over UDP to ${fmtServer(server)}: ${e instanceof Error ? e.message : String(e)}`));
    }
  });
}

function tcpExchange(server: NameServer, msg: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    let done = false;
    let chunks: Uint8Array[] = [];
    let have = 0;
    const sock: TcpSocket = createConnection({ host: server.host, port: server.port });
    const finish = (err: Error | undefined, reply?: Uint8Array) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => finish(new DnsTimeoutError(`no TCP reply from ${fmtServer(server)} within ${timeoutMs} ms`)), timeoutMs);
    sock.on("error", (e: Error) => finish(new Error(`DNS over TCP to ${fmtServer(server)}: ${e.message}`)));
    sock.on("close", () => finish(new Error(`DNS over TCP to ${fmtServer(server)}: closed before a full reply`)));
    sock.on("connect", () => {
      // RFC 1035 §4.2.2: two-byte length prefix
      const framed = new Uint8Array(msg.length + 2);
      framed[0] = msg.length >> 8;
      framed[1] = msg.length & 0xff;
      framed.set(msg, 2);
      sock.write(framed);
    });
    sock.on("data", (chunk: Uint8Array) => {
      chunks.push(new Uint8Array(chunk));
      have += chunk.length;
      if (have < 2) return;
      const all = chunks.length === 1 ? chunks[0]! : concat(chunks, have);
      chunks = [all];
      const len = (all[0]! << 8) | all[1]!;
      if (have < len + 2) return;
      const reply = all.subarray(2, 2 + len);
      if (matches(msg, reply)) finish(undefined, reply);
      else finish(new Error(`DNS over TCP to ${fmtServer(server)}: reply does not match the query`));
    });
  });
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
