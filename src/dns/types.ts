// Where mail for a domain goes: the contract between resolution (MX lookup, static
// routes, smarthost) and the outbound relay (pool, SMTP client).

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
