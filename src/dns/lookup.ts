// One (name, type) question: from the cache, or joined to the same question in flight,
// or asked over the transport and interpreted with exact rcodes and TTLs.

import { type Answer, interpretAnswer } from "../proto/dns/answer.ts";
import { canonicalName, decodeMessage, encodeQuery, type QueryType, RCODE_FORMERR_1 } from "../proto/dns/packet.ts";
import type { DnsTransport } from "../runtime/dns.ts";
import type { DnsCache } from "./cache.ts";
import type { LookupResult } from "./types.ts";

/** A random 16-bit query ID (RFC 5452 §4.3: unpredictable IDs resist spoofing). */
export function randomQueryId(): number {
  return globalThis.crypto.getRandomValues(new Uint16Array(1))[0]!;
}

export class DnsLookup {
  private readonly inflight = new Map<string, Promise<LookupResult>>();
  queries = 0;
  tempfails = 0;

  constructor(
    private readonly transport: DnsTransport,
    readonly cache: DnsCache,
    private readonly newId: () => number = randomQueryId,
  ) {}

  lookup(name: string, type: QueryType): Promise<LookupResult> {
    const qname = canonicalName(name);
    const key = `${type} ${qname}`;
    const cached = this.cache.get(key);
    if (cached) return Promise.resolve(cached);
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const p = this.ask(qname, type, key).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private async ask(qname: string, type: QueryType, key: string): Promise<LookupResult> {
    let answer = await this.exchange(qname, type, true);
    // RFC 6891 §7: a FORMERR to a query with OPT may mean "no EDNS here": ask again without
    if (answer.kind === "error" && answer.rcode === RCODE_FORMERR_1) answer = await this.exchange(qname, type, false);
    const [result, ttl] = toResult(answer);
    if (result.kind === "tempfail") this.tempfails++;
    this.cache.put(key, result, ttl);
    return result;
  }

  private async exchange(qname: string, type: QueryType, edns: boolean): Promise<Answer> {
    const id = this.newId();
    this.queries++;
    try {
      const reply = await this.transport.query(encodeQuery(id, qname, type, edns));
      return interpretAnswer(id, qname, type, decodeMessage(reply));
    } catch (e) {
      return { kind: "error", reason: `${qname} ${type}: ${e instanceof Error ? e.message : String(e)}` };
    }
  }
}

function toResult(a: Answer): [LookupResult, number | undefined] {
  switch (a.kind) {
    case "records":
      return [{ kind: "records", records: a.records }, a.ttl];
    case "nodata":
      return [{ kind: "nodata" }, a.ttl];
    case "nxdomain":
      return [{ kind: "nxdomain" }, a.ttl];
    case "error":
      return [{ kind: "tempfail", reason: a.reason }, undefined];
  }
}
