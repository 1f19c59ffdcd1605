// What a response says about one question: records, NODATA, NXDOMAIN, or an error.
// Sans-I/O: a decoded message in, a verdict out.

import {
  canonicalName,
  type DnsMessage,
  type DnsRecord,
  type QueryType,
  RCODE_NOERROR_0,
  RCODE_NXDOMAIN_3,
  rcodeName,
} from "./packet.ts";

export type AddressRecord = Extract<DnsRecord, { type: "A" | "AAAA" }>;
export type MxRecord = Extract<DnsRecord, { type: "MX" }>;

export type Answer =
  /** the RRset of the asked type (after following CNAMEs); ttl = min TTL of RRset and chain */
  | { kind: "records"; records: DnsRecord[]; ttl: number }
  /** the name exists, no records of that type (RFC 2308 §2.2); ttl from the SOA, if any */
  | { kind: "nodata"; ttl?: number }
  /** the name does not exist (RFC 2308 §2.1); ttl from the SOA, if any */
  | { kind: "nxdomain"; ttl?: number }
  /** SERVFAIL, REFUSED, a mismatched or truncated reply...: try again later */
  | { kind: "error"; reason: string; rcode?: number };

/** Longest CNAME chain we follow inside one answer. */
const MAX_CNAME_CHAIN = 8;

/** Interpret `msg` as the reply to the query `id` for `name`/`type`. */
export function interpretAnswer(id: number, name: string, type: QueryType, msg: DnsMessage): Answer {
  const bad = checkReply(id, name, type, msg);
  if (bad) return { kind: "error", reason: bad };
  switch (msg.rcode) {
    case RCODE_NOERROR_0:
      return followChain(name, type, msg);
    case RCODE_NXDOMAIN_3:
      return { kind: "nxdomain", ttl: negativeTtl(msg) };
    default:
      return { kind: "error", reason: `${rcodeName(msg.rcode)} for ${name} ${type}`, rcode: msg.rcode };
  }
}

/** Why `msg` is not a usable reply to the query, or undefined when it is. */
function checkReply(id: number, name: string, type: QueryType, msg: DnsMessage): string | undefined {
  if (!msg.response) return "reply is not a DNS response (QR bit clear)"; // RFC 1035 §4.1.1
  if (msg.id !== id) return `reply ID ${msg.id} does not match query ID ${id}`; // RFC 5452 §4.3
  if (msg.truncated) return `truncated reply for ${name} ${type}`; // RFC 1035 §4.2.1
  const q = msg.questions[0];
  if (msg.questions.length !== 1 || !q) return `reply has ${msg.questions.length} questions, expected 1`;
  // RFC 5452 §4.2: the question section must match what was asked
  if (canonicalName(q.name) !== canonicalName(name) || q.type !== type) {
    return `reply is for ${q.name} ${q.type}, asked ${name} ${type}`;
  }
  return undefined;
}

/** Follow CNAMEs from `name` inside the answer section (RFC 1034 §3.6.2, RFC 2308 §2.1). */
function followChain(name: string, type: QueryType, msg: DnsMessage): Answer {
  let current = canonicalName(name);
  let ttl = Infinity;
  for (let hop = 0; hop <= MAX_CNAME_CHAIN; hop++) {
    const rrset = msg.answers.filter((r) => r.type === type && canonicalName(r.name) === current);
    if (rrset.length > 0) {
      for (const r of rrset) ttl = Math.min(ttl, r.ttl);
      return { kind: "records", records: rrset, ttl };
    }
    const cname = msg.answers.find((r) => r.type === "CNAME" && canonicalName(r.name) === current);
    if (!cname || cname.type !== "CNAME") break;
    ttl = Math.min(ttl, cname.ttl);
    current = canonicalName(cname.target);
  }
  return { kind: "nodata", ttl: negativeTtl(msg) };
}

/** RFC 2308 §5: negative TTL = min(SOA TTL, SOA MINIMUM) of the authority SOA. */
function negativeTtl(msg: DnsMessage): number | undefined {
  const soa = msg.authorities.find((r) => r.type === "SOA");
  if (!soa || soa.type !== "SOA") return undefined;
  return Math.min(soa.ttl, soa.minimum);
}
