// Medians and formatting helpers for the benchmark report.

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** the p-th percentile of ascending values (nearest rank); 0 when there are none */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** rounded to 2 decimals */
export const r2 = (x: number) => Math.round(x * 100) / 100;

/** p50/p90/p99/max of latencies (ms), rounded to 2 decimals */
export function latencySummary(latencies: number[]): { p50: number; p90: number; p99: number; max: number } {
  const lat = Float64Array.from(latencies).sort();
  return { p50: r2(percentile(lat, 50)), p90: r2(percentile(lat, 90)), p99: r2(percentile(lat, 99)), max: r2(lat.length ? lat[lat.length - 1]! : 0) };
}

/** a command-line integer option: `--name` must be an integer ≥ min */
export function intArg(name: string, v: string | undefined, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
  return n;
}

export const fmtInt = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "–");
export const fmt1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "–");
export const fmt2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "–");
export const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : "–");
export const pct = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${Math.round((100 * a) / b)}%` : "–");

export function kb(size: number): string {
  return size >= 1024 * 1024 ? `${Math.round(size / 1024 / 1024)} MB` : `${Math.round(size / 1024)} KB`;
}

export function table(head: string[], rows: string[][]): string {
  const line = (r: string[]) => `| ${r.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}
