// Static routes and the smarthost: destinations that bypass the MX lookup.
//   routes: { "example.com": "mail.internal:2525", "*.example.org": "[10.0.0.1]:2525" }
// An exact domain wins over a wildcard; among wildcards the longest suffix wins.
// Routes win over the smarthost; the smarthost takes every other remote domain.

import { formatHostPort, isRoutePattern, parseRouteTarget } from "./spec.ts";
import type { Destination, SmarthostConfig } from "./types.ts";

type HostsDestination = Extract<Destination, { kind: "hosts" }>;

export class Routes {
  private readonly exact = new Map<string, HostsDestination>();
  private readonly wildcard = new Map<string, HostsDestination>();
  private readonly smarthost: HostsDestination | undefined;

  constructor(routes: Record<string, string> = {}, smarthost?: SmarthostConfig) {
    for (const [pattern, target] of Object.entries(routes)) this.add(pattern, target);
    this.smarthost = smarthost && smarthostDestination(smarthost);
  }

  private add(pattern: string, target: string): void {
    if (!isRoutePattern(pattern)) throw new Error(`routes: ${JSON.stringify(pattern)} is not a domain or "*.domain"`);
    const hp = parseRouteTarget(target);
    if (!hp) throw new Error(`routes.${pattern}: expected "host", "host:port" or "[ip]:port", got ${JSON.stringify(target)}`);
    const where = formatHostPort(hp.host, hp.port);
    const dest: HostsDestination = {
      kind: "hosts",
      key: `route:${where}`,
      targets: [{ host: hp.host, port: hp.port, preference: 0 }],
      tls: "opportunistic",
    };
    const p = pattern.toLowerCase();
    if (p.startsWith("*.")) this.wildcard.set(p.slice(2), dest);
    else this.exact.set(p, dest);
  }

  /** The route or smarthost destination for `domain` (canonical), or undefined: use MX. */
  match(domain: string): Destination | undefined {
    const found = this.exact.get(domain) ?? this.matchWildcard(domain) ?? this.smarthost;
    return found && copy(found);
  }

  private matchWildcard(domain: string): HostsDestination | undefined {
    if (this.wildcard.size === 0) return undefined;
    // "*.example.org" matches a.example.org and a.b.example.org, not example.org
    for (let i = domain.indexOf("."); i >= 0; i = domain.indexOf(".", i + 1)) {
      const d = this.wildcard.get(domain.slice(i + 1));
      if (d) return d;
    }
    return undefined;
  }
}

function smarthostDestination(s: SmarthostConfig): HostsDestination {
  const d: HostsDestination = {
    kind: "hosts",
    key: `smarthost:${formatHostPort(s.host, s.port)}`,
    targets: [{ host: s.host, port: s.port, preference: 0 }],
    tls: s.tls,
  };
  if (s.implicitTls) d.implicitTls = true;
  if (s.auth) d.auth = { user: s.auth.user, password: s.auth.password };
  return d;
}

/** A fresh object per call, so a caller may keep or change it without touching ours. */
function copy(d: HostsDestination): HostsDestination {
  return { ...d, targets: d.targets.map((t) => ({ ...t })) };
}
