// A small Prometheus registry: counters, gauges (set or computed at scrape) and
// histograms, rendered in the text exposition format (version 0.0.4).

type Labels = Record<string, string>;

const key = (l: Labels) => Object.keys(l).sort().map((k) => `${k}="${escape(l[k])}"`).join(",");
const escape = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const fmt = (name: string, labels: string, v: number) => `${name}${labels ? `{${labels}}` : ""} ${v}\n`;

interface Family {
  help: string;
  type: "counter" | "gauge" | "histogram";
  render(name: string): string;
}

export class Counter {
  private readonly values = new Map<string, number>();
  inc(labels: Labels = {}, by = 1): void {
    const k = key(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.values.get(key(labels)) ?? 0;
  }
  render(name: string): string {
    let s = "";
    for (const [k, v] of this.values) s += fmt(name, k, v);
    return s;
  }
}

export class Gauge {
  private readonly values = new Map<string, number>();
  constructor(private readonly collect?: () => [Labels, number][]) {}
  set(labels: Labels, v: number): void {
    this.values.set(key(labels), v);
  }
  render(name: string): string {
    let s = "";
    if (this.collect) for (const [l, v] of this.collect()) s += fmt(name, key(l), v);
    for (const [k, v] of this.values) s += fmt(name, k, v);
    return s;
  }
}

export class Histogram {
  private readonly series = new Map<string, { counts: number[]; sum: number; n: number }>();
  constructor(private readonly buckets: number[]) {}
  observe(v: number, labels: Labels = {}): void {
    const k = key(labels);
    let s = this.series.get(k);
    if (!s) this.series.set(k, s = { counts: this.buckets.map(() => 0), sum: 0, n: 0 });
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]) s.counts[i]++;
    s.sum += v;
    s.n++;
  }
  render(name: string): string {
    let out = "";
    for (const [k, s] of this.series) {
      const pre = k ? `${k},` : "";
      this.buckets.forEach((b, i) => (out += fmt(`${name}_bucket`, `${pre}le="${b}"`, s.counts[i])));
      out += fmt(`${name}_bucket`, `${pre}le="+Inf"`, s.n);
      out += fmt(`${name}_sum`, k, s.sum);
      out += fmt(`${name}_count`, k, s.n);
    }
    return out;
  }
}

export class Registry {
  private readonly families = new Map<string, Family & { metric: Counter | Gauge | Histogram }>();

  counter(name: string, help: string): Counter {
    return this.add(name, help, "counter", new Counter());
  }
  gauge(name: string, help: string, collect?: () => [Labels, number][]): Gauge {
    return this.add(name, help, "gauge", new Gauge(collect));
  }
  histogram(name: string, help: string, buckets: number[]): Histogram {
    return this.add(name, help, "histogram", new Histogram(buckets));
  }

  private add<T extends Counter | Gauge | Histogram>(name: string, help: string, type: Family["type"], metric: T): T {
    const existing = this.families.get(name);
    if (existing) return existing.metric as T;
    this.families.set(name, { help, type, metric, render: (n) => metric.render(n) });
    return metric;
  }

  render(): string {
    let out = "";
    for (const [name, f] of this.families) {
      out += `# HELP ${name} ${f.help}\n# TYPE ${name} ${f.type}\n${f.render(name)}`;
    }
    return out;
  }
}
