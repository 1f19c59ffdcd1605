// A DestinationResolver for tests of the outbound relay: a settable table, no DNS.
//
//   const r = new MockResolver()
//     .setMx("example.com", [[10, "mx1.example.com"], [20, "mx2.example.com"]])
//     .setAddresses("mx1.example.com", ["127.0.0.1"])
//     .setRoute("local.test", "127.0.0.1", 2525);
//   r.fail("flaky.example", "SERVFAIL", 1);   // next resolve → tempfail, then the table again
//
// Unknown domains resolve to {kind:"nxdomain"}; unknown hosts have no addresses ([]),
// IP literals resolve to themselves.

import { isIp } from "../core/cidr.ts";
import type { Destination, DestinationResolver, MxTarget } from "./types.ts";

interface Failure {
  reason: string;
  /** how many more calls fail; Infinity: until cleared */
  remaining: number;
}

export class MockResolver implements DestinationResolver {
  /** domain → destination (edit freely) */
  readonly destinations = new Map<string, Destination>();
  /** host → addresses (edit freely) */
  readonly hosts = new Map<string, string[]>();
  /** every resolve()/addresses() argument, in order: "resolve example.com", "addresses mx1" */
  readonly calls: string[] = [];
  private readonly failures = new Map<string, Failure>();

  /** MX records as [preference, host] pairs (kept in the given order), port 25. */
  setMx(domain: string, mx: [number, string][], port = 25): this {
    const targets: MxTarget[] = mx.map(([preference, host]) => ({ host, port, preference }));
    const hosts = [...new Set(targets.map((t) => t.host))].sort();
    this.destinations.set(domain.toLowerCase(), { kind: "hosts", key: `mx:${hosts.join(",")}:${port}`, targets, tls: "opportunistic" });
    return this;
  }

  /** A static route: domain → host:port. */
  setRoute(domain: string, host: string, port: number): this {
    this.destinations.set(domain.toLowerCase(), {
      kind: "hosts",
      key: `route:${host}:${port}`,
      targets: [{ host, port, preference: 0 }],
      tls: "opportunistic",
    });
    return this;
  }

  setDestination(domain: string, d: Destination): this {
    this.destinations.set(domain.toLowerCase(), d);
    return this;
  }

  setAddresses(host: string, addresses: string[]): this {
    this.hosts.set(host.toLowerCase(), addresses);
    return this;
  }

  /**
   * Make the next `times` calls for `name` (a domain for resolve, a host for addresses)
   * fail temporarily: resolve → {kind:"tempfail", reason}, addresses → throws.
   */
  fail(name: string, reason = "SERVFAIL", times = Infinity): this {
    this.failures.set(name.toLowerCase(), { reason, remaining: times });
    return this;
  }

  clearFailure(name: string): this {
    this.failures.delete(name.toLowerCase());
    return this;
  }

  resolve(domain: string): Promise<Destination> {
    const d = domain.toLowerCase();
    this.calls.push(`resolve ${d}`);
    const f = this.takeFailure(d);
    if (f) return Promise.resolve({ kind: "tempfail", reason: f });
    const dest = this.destinations.get(d);
    if (!dest) return Promise.resolve({ kind: "nxdomain" });
    return Promise.resolve(dest.kind === "hosts" ? { ...dest, targets: dest.targets.map((t) => ({ ...t })) } : { ...dest });
  }

  addresses(host: string): Promise<string[]> {
    const h = host.toLowerCase();
    this.calls.push(`addresses ${h}`);
    const f = this.takeFailure(h);
    if (f) return Promise.reject(new Error(`temporary DNS failure: ${f}`));
    if (isIp(h)) return Promise.resolve([h]);
    return Promise.resolve([...(this.hosts.get(h) ?? [])]);
  }

  private takeFailure(name: string): string | undefined {
    const f = this.failures.get(name);
    if (!f) return undefined;
    if (--f.remaining <= 0) this.failures.delete(name);
    return f.reason;
  }
}
