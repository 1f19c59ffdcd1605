// DNS messages as typed values: encode a query, decode a response (sans-I/O, on the npm
// package dns-packet). Only the record types the mail relay needs are typed in detail.

import { Buffer } from "node:buffer";
// @ts-types="./dns-packet.d.ts"
import dnsPacket from "dns-packet";

/** Query types the resolver asks for. */
export type QueryType = "A" | "AAAA" | "MX";

// RFC 1035 §4.1.1 RCODE values (RFC 6895 §2.3 registry)
export const RCODE_NOERROR_0 = 0;
export const RCODE_FORMERR_1 = 1;
export const RCODE_SERVFAIL_2 = 2;
export const RCODE_NXDOMAIN_3 = 3;
export const RCODE_NOTIMP_4 = 4;
export const RCODE_REFUSED_5 = 5;

const RCODE_NAMES: Record<number, string> = {
  [RCODE_NOERROR_0]: "NOERROR",
  [RCODE_FORMERR_1]: "FORMERR",
  [RCODE_SERVFAIL_2]: "SERVFAIL",
  [RCODE_NXDOMAIN_3]: "NXDOMAIN",
  [RCODE_NOTIMP_4]: "NOTIMP",
  [RCODE_REFUSED_5]: "REFUSED",
};

export function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `RCODE${rcode}`;
}

/** EDNS(0) UDP payload size we advertise (RFC 6891 §6.2.5; 1232 avoids IP fragmentation). */
export const EDNS_UDP_SIZE = 1232;

export type DnsRecord =
  | { type: "A"; name: string; ttl: number; address: string }
  | { type: "AAAA"; name: string; ttl: number; address: string }
  | { type: "MX"; name: string; ttl: number; preference: number; exchange: string }
  | { type: "CNAME"; name: string; ttl: number; target: string }
  | { type: "SOA"; name: string; ttl: number; minimum: number }
  | { type: "other"; name: string; ttl: number; rrtype: string };

export interface DnsQuestion {
  name: string;
  type: string;
}

export interface DnsMessage {
  id: number;
  /** QR bit: a response */
  response: boolean;
  /** TC bit: truncated, retry over TCP (RFC 1035 §4.2.1, RFC 7766 §5) */
  truncated: boolean;
  rcode: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
}

/** The bytes are not a well-formed DNS message. */
export class DnsDecodeError extends Error {
  override name = "DnsDecodeError";
}

/** Lower-case, no trailing dot: the form names are compared in (RFC 4343 §3). */
export function canonicalName(name: string): string {
  const n = name.toLowerCase();
  return n.length > 1 && n.endsWith(".") ? n.slice(0, -1) : n;
}

/** A recursive query for `name`/`type` (with EDNS(0) unless `edns` is false), as UDP payload bytes. */
export function encodeQuery(id: number, name: string, type: QueryType, edns = true): Uint8Array {
  const buf: Uint8Array = dnsPacket.encode({
    type: "query",
    id,
    flags: dnsPacket.RECURSION_DESIRED, // RFC 1035 §4.1.1 RD
    questions: [{ type, name, class: "IN" }],
    additionals: edns ? [{ type: "OPT", name: ".", udpPayloadSize: EDNS_UDP_SIZE, flags: 0 }] : [], // RFC 6891 §6.1.2
  });
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Decode a DNS message; throws DnsDecodeError on malformed bytes. */
export function decodeMessage(bytes: Uint8Array): DnsMessage {
  if (bytes.length < 12) throw new DnsDecodeError(`DNS message too short (${bytes.length} bytes, header is 12)`); // RFC 1035 §4.1.1
  // deno-lint-ignore no-explicit-any
  let p: any;
  try {
    p = dnsPacket.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new DnsDecodeError(`malformed DNS message: ${e instanceof Error ? e.message : String(e)}`);
  }
  const flags: number = p.flags ?? 0;
  return {
    id: p.id,
    response: p.type === "response",
    truncated: (flags & dnsPacket.TRUNCATED_RESPONSE) !== 0,
    rcode: flags & 0xf, // RFC 1035 §4.1.1 RCODE (low 4 bits)
    questions: (p.questions ?? []).map((q: { name: string; type: string }) => ({ name: q.name, type: q.type })),
    answers: (p.answers ?? []).map(toRecord),
    authorities: (p.authorities ?? []).map(toRecord),
  };
}

// deno-lint-ignore no-explicit-any
function toRecord(r: any): DnsRecord {
  const name = String(r.name ?? "");
  const ttl = typeof r.ttl === "number" && r.ttl >= 0 ? r.ttl : 0;
  const type = String(r.type);
  switch (type) {
    case "A":
    case "AAAA":
      return { type, name, ttl, address: String(r.data) };
    case "MX":
      return { type, name, ttl, preference: Number(r.data?.preference ?? 0), exchange: String(r.data?.exchange ?? "") };
    case "CNAME":
      return { type, name, ttl, target: String(r.data) };
    case "SOA":
      return { type, name, ttl, minimum: Number(r.data?.minimum ?? 0) };
    default:
      return { type: "other", name, ttl, rrtype: type };
  }
}
