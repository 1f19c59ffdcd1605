// The outbound relay's resolver: routes and smarthost first, then MX (with the
// implicit-MX and null-MX rules), over a caching DNS client with exact rcodes and TTLs.
//
//   const resolver = createResolver(config);            // real DNS (dns.servers or resolv.conf)
//   const d = await resolver.resolve("example.com");    // Destination (see types.ts)
//   const ips = await resolver.addresses("mx1.example.com");

import { domainToASCII } from "node:url";
import { isIp } from "../core/cidr.ts";
import type { QueryType } from "../proto/dns/packet.ts";
import { createDnsTransport, type DnsTransport } from "../runtime/dns.ts";
import { type CachePolicy, DEFAULT_CACHE_POLICY, DnsCache } from "./cache.ts";
import { DnsLookup, randomQueryId } from "./lookup.ts";
import { mxDestination } from "./mx.ts";
import { Routes } from "./routes.ts";
import { formatHostPort, parseNameServer, SMTP_PORT } from "./spec.ts";
import type { Destination, DestinationResolver, LookupResult, ResolverStats, SmarthostConfig } from "./types.ts";

export type { Destination, DestinationResolver, LookupResult, MxTarget, ResolverStats, SmarthostConfig, TlsPolicy } from "./types.ts";
export type { DnsTransport } from "../runtime/dns.ts";
export { MockResolver } from "./mock.ts";

/** The parts of the config the resolver reads (the full Config fits). */
export interface ResolverConfig {
  dns?: { servers?: string[]; timeoutMs?: number; cacheSize?: number };
  routes?: Record<string, string>;
  relay?: { smarthost?: SmarthostConfig };
}

export interface ResolverDeps {
  /** how queries reach a name server (default: UDP/TCP to dns.servers or resolv.conf) */
  transport?: DnsTransport;
  /** clock in milliseconds, for cache expiry (default: performance.now) */
  now?: () => number;
  /** [0, 1) source for shuffling equal-preference MX (default: Math.random) */
  random?: () => number;
  /** cache bounds and TTLs (max defaults to dns.cacheSize) */
  cache?: Partial<CachePolicy>;
  /** query ID source (default: crypto random) */
  queryId?: () => number;
}

export class Resolver implements DestinationResolver {
  constructor(
    private readonly dns: DnsLookup,
    private readonly routes: Routes,
    private readonly random: () => number,
  ) {}

  resolve(domain: string): Promise<Destination> {
    const literal = addressLiteral(domain);
    if (literal) return Promise.resolve(literalDestination(literal));
    const name = canonicalDomain(domain);
    if (!name) return Promise.resolve({ kind: "nxdomain" }); // not a valid domain name: it cannot exist
    const routed = this.routes.match(name);
    return routed ? Promise.resolve(routed) : mxDestination(this.dns, name, this.random);
  }

  async addresses(host: string): Promise<string[]> {
    const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
    if (isIp(bare)) return [bare];
    const name = canonicalDomain(host);
    if (!name) return [];
    const [a, aaaa] = await Promise.all([this.dns.lookup(name, "A"), this.dns.lookup(name, "AAAA")]);
    const out = [...addrs(a), ...addrs(aaaa)];
    if (out.length > 0) return out;
    if (a.kind === "tempfail") throw new Error(`temporary DNS failure: ${a.reason}`);
    if (aaaa.kind === "tempfail") throw new Error(`temporary DNS failure: ${aaaa.reason}`);
    return [];
  }

  /** One raw lookup (cached): for diagnostics and the CLI. */
  lookup(name: string, type: QueryType): Promise<LookupResult> {
    return this.dns.lookup(name, type);
  }

  stats(): ResolverStats {
    return { ...this.dns.cache.stats(), queries: this.dns.queries, tempfails: this.dns.tempfails };
  }

  /** Forget every cached answer. */
  clearCache(): void {
    this.dns.cache.clear();
  }
}

/** Build the resolver from the config (`dns`, `routes`, `relay.smarthost`). */
export function createResolver(config: ResolverConfig = {}, deps: ResolverDeps = {}): Resolver {
  const timeoutMs = config.dns?.timeoutMs ?? 3000;
  const transport = deps.transport ?? createDnsTransport({ servers: nameServers(config.dns?.servers), timeoutMs });
  const policy: CachePolicy = { ...DEFAULT_CACHE_POLICY, max: config.dns?.cacheSize ?? DEFAULT_CACHE_POLICY.max, ...deps.cache };
  const now = deps.now ?? (() => performance.now());
  const lookup = new DnsLookup(transport, new DnsCache(policy, now), deps.queryId ?? randomQueryId);
  return new Resolver(lookup, new Routes(config.routes, config.relay?.smarthost), deps.random ?? Math.random);
}

function nameServers(specs: string[] | undefined) {
  if (!specs || specs.length === 0) return undefined;
  return specs.map((s) => {
    const hp = parseNameServer(s);
    if (!hp) throw new Error(`dns.servers: expected an IP address with an optional port, got ${JSON.stringify(s)}`);
    return hp;
  });
}

function addrs(r: LookupResult): string[] {
  if (r.kind !== "records") return [];
  const out: string[] = [];
  for (const rec of r.records) if (rec.type === "A" || rec.type === "AAAA") out.push(rec.address);
  return out;
}

/** Lower-case ASCII (A-label) form without a trailing dot; "" when not a valid name. */
export function canonicalDomain(domain: string): string {
  let d = domain.trim();
  if (d.endsWith(".")) d = d.slice(0, -1);
  if (d === "" || d.includes("..")) return "";
  const ascii = /^[\x21-\x7e]*$/.test(d) ? d.toLowerCase() : domainToASCII(d); // RFC 5890 A-labels for UTF-8 domains
  return /^[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?$/.test(ascii) ? ascii : "";
}

/** RFC 5321 §4.1.3 address literal: "[192.0.2.1]" or "[IPv6:2001:db8::1]" → the IP. */
function addressLiteral(domain: string): string | undefined {
  const m = /^\[(?:IPv6:)?([^\]]+)\]$/i.exec(domain.trim());
  if (!m) return undefined;
  const ip = m[1]!.toLowerCase();
  const v6 = /^\[IPv6:/i.test(domain.trim());
  if (!isIp(ip) || v6 !== ip.includes(":")) return undefined;
  return ip;
}

function literalDestination(ip: string): Destination {
  return {
    kind: "hosts",
    key: `literal:${formatHostPort(ip, SMTP_PORT)}`,
    targets: [{ host: ip, port: SMTP_PORT, preference: 0 }],
    tls: "opportunistic",
  };
}
