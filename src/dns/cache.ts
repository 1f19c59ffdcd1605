// The lookup cache: bounded LRU (lru-cache), one entry per (type, name), expiring after
// the TTL the answer carried; negative answers and failures are cached too, briefly.
// The clock is injected (lru-cache's `perf` option), so tests can move time.

import { LRUCache } from "lru-cache";
import type { LookupResult } from "./types.ts";

export interface CachePolicy {
  /** most entries kept (least recently used go first) */
  max: number;
  /** upper bound on any positive TTL, seconds */
  maxTtl: number;
  /** upper bound on NXDOMAIN/NODATA caching, seconds (RFC 2308 §5 suggests 1-3 hours max) */
  maxNegativeTtl: number;
  /** NXDOMAIN/NODATA caching when the reply carries no SOA, seconds */
  defaultNegativeTtl: number;
  /** how long a SERVFAIL/timeout is remembered, seconds (RFC 2308 §7.1: at most 5 minutes) */
  tempfailTtl: number;
}

export const DEFAULT_CACHE_POLICY: CachePolicy = {
  max: 10000,
  maxTtl: 86400,
  maxNegativeTtl: 3600,
  defaultNegativeTtl: 60,
  tempfailTtl: 5,
};

export interface CacheStats {
  hits: number;
  misses: number;
  entries: number;
}

export class DnsCache {
  private readonly lru: LRUCache<string, LookupResult>;
  private hits = 0;
  private misses = 0;

  constructor(readonly policy: CachePolicy, now: () => number) {
    // ttlResolution 0: read the injected clock on every check, no timers.
    // +1: lru-cache takes a start time of 0 as "no TTL", and a fake clock may start at 0
    this.lru = new LRUCache<string, LookupResult>({ max: policy.max, ttlResolution: 0, perf: { now: () => now() + 1 } });
  }

  get(key: string): LookupResult | undefined {
    const v = this.lru.get(key);
    if (v === undefined) this.misses++;
    else this.hits++;
    return v;
  }

  /** Remember `result` for `answerTtl` seconds (from the records/SOA; undefined: none given). */
  put(key: string, result: LookupResult, answerTtl: number | undefined): void {
    const seconds = this.ttlFor(result, answerTtl);
    if (seconds <= 0) return; // TTL 0: use once, do not cache (RFC 1035 §3.2.1)
    this.lru.set(key, result, { ttl: seconds * 1000 });
  }

  private ttlFor(result: LookupResult, answerTtl: number | undefined): number {
    const p = this.policy;
    switch (result.kind) {
      case "records":
        return Math.min(answerTtl ?? 0, p.maxTtl);
      case "nodata":
      case "nxdomain":
        return Math.min(answerTtl ?? p.defaultNegativeTtl, p.maxNegativeTtl); // RFC 2308 §5
      case "tempfail":
        return p.tempfailTtl; // RFC 2308 §7.1
    }
  }

  stats(): CacheStats {
    return { hits: this.hits, misses: this.misses, entries: this.lru.size };
  }

  clear(): void {
    this.lru.clear();
  }
}
