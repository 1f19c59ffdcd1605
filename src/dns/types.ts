// Where mail for a domain goes: the contract between resolution (MX lookup, static
// routes, smarthost) and the outbound relay (pool, SMTP client).

import type { DnsRecord } from "../proto/dns/packet.ts";

export interface MxTarget {
  /** host name (or IP literal) to connect to */
  host: string;
  port: number;
  /** MX preference (lower first); equal preferences are shuffled by the resolver */
  preference: number;
}

export interface SmarthostAuth {
  user: string;
  password: string;
}

export type TlsPolicy = "none" | "opportunistic" | "required" | "verify";

export type Destination =
  | {
    kind: "hosts";
    /**
     * Pooling and limits key: domains served by the same MX host set share it
     * (e.g. "mx:mx1.example.net,mx2.example.net:25"), or "route:host:port" / "smarthost:host:port".
     */
    key: string;
    /** in the order to try */
    targets: MxTarget[];
    tls: TlsPolicy;
    /** implicit TLS on connect (smarthost on 465) */
    implicitTls?: boolean;
    auth?: SmarthostAuth;
    /** came from the implicit-MX rule (RFC 5321 §5.1: A/AAAA of the domain) */
    implicit?: boolean;
  }
  | { kind: "nullmx" } // RFC 7505: bounce with 5.1.10
  | { kind: "nxdomain" } // the domain does not exist: bounce with 5.1.2
  | { kind: "tempfail"; reason: string }; // SERVFAIL, timeout: retry later

export interface DestinationResolver {
  /** where to send mail for `domain` (routes and smarthost first, then MX) */
  resolve(domain: string): Promise<Destination>;
  /** A and AAAA addresses of a host (IPv4 first); [] when none; throws on temporary failure */
  addresses(host: string): Promise<string[]>;
}

// ---------------------------------------------------------------------------------
// Resolver internals shared by src/dns/* (additions; the contract above is unchanged).

/** What one (name, type) lookup found. */
export type LookupResult =
  | { kind: "records"; records: DnsRecord[] }
  | { kind: "nodata" } // the name exists, no records of this type (RFC 2308 §2.2)
  | { kind: "nxdomain" } // the name does not exist (RFC 2308 §2.1)
  | { kind: "tempfail"; reason: string }; // SERVFAIL, REFUSED, timeout, garbage

/** `relay.smarthost` in the config. */
export interface SmarthostConfig {
  host: string;
  port: number;
  tls: TlsPolicy;
  implicitTls?: boolean;
  auth?: SmarthostAuth;
}

/** Counters for /metrics. */
export interface ResolverStats {
  /** lookups answered from the cache */
  hits: number;
  /** lookups that had to ask (or join an in-flight question) */
  misses: number;
  /** entries in the cache now */
  entries: number;
  /** queries sent to name servers */
  queries: number;
  /** queries that ended in SERVFAIL/timeout/garbage */
  tempfails: number;
}
