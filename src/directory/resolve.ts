// Alias expansion over the in-memory directory snapshot (pure; no I/O).
//
//   alias:     "sales@example.com" → ["alice@example.com", "bob@other.org"]
//   catch-all: "@example.com"      → ["alice@example.com"]  (any unknown local part)
//
// An alias takes precedence over a user of the same name; an alias may list its own
// address to keep a local copy. Loops are cut by a visited set and a depth limit.

export interface Snapshot {
  domains: Set<string>;
  /** user address → record */
  users: ReadonlyMap<string, unknown> | ReadonlySet<string>;
  /** source ("user@domain" or "@domain") → targets */
  aliases: Map<string, string[]>;
}

export interface Expansion {
  /** local users to deliver a copy to */
  local: string[];
  /** addresses outside our domains: to be relayed */
  remote: string[];
}

/** alias chains deeper than this are cut */
export const MAX_ALIAS_DEPTH = 10;

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf("@") + 1);
}

/** true when RCPT TO this address should be accepted */
export function accepts(s: Snapshot, address: string): boolean {
  const a = address.toLowerCase();
  const domain = domainOf(a);
  if (!s.domains.has(domain)) return false;
  return s.users.has(a) || s.aliases.has(a) || s.aliases.has("@" + domain) || a.startsWith("postmaster@"); // RFC 5321 §4.5.1
}

/** Expand an address into local users and remote addresses; undefined when nobody takes it. */
export function expand(s: Snapshot, address: string): Expansion | undefined {
  const local = new Set<string>();
  const remote = new Set<string>();
  const visited = new Set<string>();
  const walk = (addr: string, depth: number): void => {
    const a = addr.toLowerCase();
    const domain = domainOf(a);
    if (!s.domains.has(domain)) {
      remote.add(addr);
      return;
    }
    if (visited.has(a) || depth > MAX_ALIAS_DEPTH) {
      if (s.users.has(a)) local.add(a);
      return;
    }
    visited.add(a);
    const targets = s.aliases.get(a);
    if (targets) {
      for (const t of targets) walk(t, depth + 1);
    } else if (s.users.has(a)) {
      local.add(a);
    } else {
      const catchAll = s.aliases.get("@" + domain);
      if (catchAll) for (const t of catchAll) walk(t, depth + 1);
    }
  };
  walk(address, 0);
  if (local.size === 0 && remote.size === 0) return undefined;
  return { local: [...local], remote: [...remote] };
}
