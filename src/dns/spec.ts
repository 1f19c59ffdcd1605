// Parsing the DNS-related config strings: name servers ("1.1.1.1", "[::1]:5353") and
// route patterns/targets ("*.example.org" → "[10.0.0.1]:2525"). Pure; used by the
// config schema (for error messages) and the resolver.

import { isIp } from "../core/cidr.ts";

export interface HostAndPort {
  /** host name or IP address (IPv6 without brackets) */
  host: string;
  port: number;
}

/** The SMTP port (RFC 5321 §4.5.4.2: "the SMTP port (specified by IANA as port 25)"). */
export const SMTP_PORT = 25;
/** The DNS port (RFC 1035 §4.2). */
export const DNS_PORT = 53;

const LABEL = "[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?";
const HOST_RE = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`, "i");

/** A DNS host name (letters, digits, hyphens, underscores; no trailing dot). */
export function isHostName(s: string): boolean {
  return HOST_RE.test(s);
}

function parsePort(s: string): number | undefined {
  if (!/^\d{1,5}$/.test(s)) return undefined;
  const n = Number(s);
  return n >= 1 && n <= 65535 ? n : undefined;
}

/**
 * "host", "host:port", "[ip]", "[ip]:port" ([ip] is an IPv4 or IPv6 literal); a bare
 * IPv6 address is taken whole (no port). `allowNames`: host names are allowed too.
 */
function parseTarget(s: string, defaultPort: number, allowNames: boolean): HostAndPort | undefined {
  if (typeof s !== "string" || s.length === 0) return undefined;
  let host: string;
  let port = defaultPort;
  const bracket = /^\[([^\]]+)\](?::(.*))?$/.exec(s);
  if (bracket) {
    host = bracket[1]!;
    if (!isIp(host)) return undefined;
    if (bracket[2] !== undefined) {
      const p = parsePort(bracket[2]);
      if (p === undefined) return undefined;
      port = p;
    }
    return { host: host.toLowerCase(), port };
  }
  if (s.includes(":") && isIp(s)) return { host: s.toLowerCase(), port }; // bare IPv6
  const i = s.lastIndexOf(":");
  host = i >= 0 ? s.slice(0, i) : s;
  if (i >= 0) {
    const p = parsePort(s.slice(i + 1));
    if (p === undefined) return undefined;
    port = p;
  }
  if (isIp(host)) return { host, port };
  if (!allowNames || !isHostName(host)) return undefined;
  return { host: host.toLowerCase(), port };
}

/** A name server: "1.1.1.1", "1.1.1.1:5353", "::1", "[::1]:5353" (an IP: no DNS to find DNS). */
export function parseNameServer(s: string): HostAndPort | undefined {
  return parseTarget(s, DNS_PORT, false);
}

/** A route target: "host", "host:port", "[10.0.0.1]:2525", "[::1]:25"; port 25 when omitted. */
export function parseRouteTarget(s: string): HostAndPort | undefined {
  return parseTarget(s, SMTP_PORT, true);
}

/** A route key: "example.com" (exactly that domain) or "*.example.org" (its subdomains). */
export function isRoutePattern(s: string): boolean {
  if (typeof s !== "string") return false;
  const name = s.startsWith("*.") ? s.slice(2) : s;
  return isHostName(name);
}

/** "host:port" with IPv6 hosts in brackets (for keys and messages). */
export function formatHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
