// MX resolution for one domain (RFC 5321 §5.1, RFC 7505): MX records ordered by
// preference and shuffled among equals, the implicit MX on NODATA, null MX.

import type { MxRecord } from "../proto/dns/answer.ts";
import { canonicalName } from "../proto/dns/packet.ts";
import type { DnsLookup } from "./lookup.ts";
import { SMTP_PORT } from "./spec.ts";
import type { Destination, MxTarget } from "./types.ts";

/** Where mail for `domain` (canonical, not an IP literal) goes according to the DNS. */
export async function mxDestination(dns: DnsLookup, domain: string, random: () => number): Promise<Destination> {
  const mx = await dns.lookup(domain, "MX");
  switch (mx.kind) {
    case "tempfail":
      return { kind: "tempfail", reason: mx.reason };
    case "nxdomain":
      return { kind: "nxdomain" }; // RFC 5321 §5.1: the implicit MX applies only to names that exist
    case "nodata":
      return implicitMx(dns, domain); // RFC 5321 §5.1: no MX records → the domain itself
    case "records":
      return fromMxRecords(mx.records.filter((r): r is MxRecord => r.type === "MX"), random);
  }
}

function fromMxRecords(records: MxRecord[], random: () => number): Destination {
  // RFC 7505 §3: the null MX ("." preference 0) means "no mail"; a "." among real MX
  // records is a misconfiguration: ignore it and use the others
  const real = records.filter((r) => canonicalName(r.exchange) !== "." && r.exchange !== "");
  if (real.length === 0) return { kind: "nullmx" };
  const targets = orderMx(real, random);
  const hosts = [...new Set(targets.map((t) => t.host))].sort();
  return { kind: "hosts", key: `mx:${hosts.join(",")}:${SMTP_PORT}`, targets, tls: "opportunistic" };
}

/** Sort by preference; RFC 5321 §5.1: equal preferences MUST be randomized. */
export function orderMx(records: MxRecord[], random: () => number): MxTarget[] {
  const targets = records.map((r) => ({ host: canonicalName(r.exchange), port: SMTP_PORT, preference: r.preference }));
  targets.sort((a, b) => a.preference - b.preference);
  for (let start = 0; start < targets.length;) {
    let end = start + 1;
    while (end < targets.length && targets[end]!.preference === targets[start]!.preference) end++;
    shuffle(targets, start, end, random);
    start = end;
  }
  return targets;
}

/** Fisher-Yates over targets[start, end). */
function shuffle<T>(a: T[], start: number, end: number, random: () => number): void {
  for (let i = end - 1; i > start; i--) {
    const j = start + Math.floor(random() * (i - start + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}

/** RFC 5321 §5.1: the domain's own A/AAAA records act as an MX of preference 0. */
async function implicitMx(dns: DnsLookup, domain: string): Promise<Destination> {
  const [a, aaaa] = await Promise.all([dns.lookup(domain, "A"), dns.lookup(domain, "AAAA")]);
  if (a.kind === "records" || aaaa.kind === "records") {
    return {
      kind: "hosts",
      key: `mx:${domain}:${SMTP_PORT}`,
      targets: [{ host: domain, port: SMTP_PORT, preference: 0 }],
      tls: "opportunistic",
      implicit: true,
    };
  }
  if (a.kind === "tempfail") return { kind: "tempfail", reason: a.reason };
  if (aaaa.kind === "tempfail") return { kind: "tempfail", reason: aaaa.reason };
  // NXDOMAIN now, or the name exists with neither MX nor address: nowhere to deliver
  return { kind: "nxdomain" };
}
