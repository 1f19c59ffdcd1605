// Retry delays: exponential backoff with jitter, capped.
//
//   delay(n) = min(max, min(max, first * 2^(n-1)) * (1 - JITTER + 2 * JITTER * random()))
//
// n is the number of attempts made so far (1 after the first). The jitter spreads
// retries of messages that failed together (one provider outage) over ±20%.

export const JITTER = 0.2;

export interface RetryPolicy {
  firstMs: number;
  maxMs: number;
}

export function retryDelay(policy: RetryPolicy, attempts: number, random: () => number): number {
  const n = Math.max(1, attempts);
  // 2^(n-1) overflows to Infinity for huge n; min() keeps it finite
  const base = Math.min(policy.maxMs, policy.firstMs * 2 ** Math.min(n - 1, 60));
  const r = random();
  const factor = 1 - JITTER + 2 * JITTER * (r >= 0 && r < 1 ? r : 0.5);
  return Math.max(1, Math.min(policy.maxMs, Math.round(base * factor)));
}
