// CIDR parsing and matching for IPv4 and IPv6 (no dependencies).
// IPv4-mapped IPv6 addresses ("::ffff:1.2.3.4") are matched as the IPv4 address they carry.

export interface Cidr {
  /** 4 or 6 */
  family: 4 | 6;
  /** network address bytes (4 or 16), host bits zeroed */
  bytes: Uint8Array;
  /** prefix length in bits */
  prefix: number;
}

/** Parse a dotted-quad IPv4 address into 4 bytes, or undefined. */
export function parseIPv4(s: string): Uint8Array | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

/** Parse an IPv6 address (with optional embedded IPv4 tail and zone id) into 16 bytes, or undefined. */
export function parseIPv6(input: string): Uint8Array | undefined {
  let s = input;
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  if (s.length === 0 || s.length > 45) return undefined;
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === "") return [];
    const groups = part.split(":");
    const out: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (i === groups.length - 1 && g.includes(".")) {
        const v4 = parseIPv4(g);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const head = parseGroups(halves[0]!);
  if (!head) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const tail = parseGroups(halves[1]!);
    if (!tail) return undefined;
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return undefined;
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[i * 2] = groups[i]! >> 8;
    out[i * 2 + 1] = groups[i]! & 0xff;
  }
  return out;
}

/** Parse an IP address; IPv4-mapped IPv6 is returned as IPv4. */
export function parseIp(s: string): { family: 4 | 6; bytes: Uint8Array } | undefined {
  let ip = s.trim();
  if (ip.startsWith("[") && ip.endsWith("]")) ip = ip.slice(1, -1);
  const v4 = parseIPv4(ip);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parseIPv6(ip);
  if (!v6) return undefined;
  if (isV4Mapped(v6)) return { family: 4, bytes: v6.slice(12) };
  return { family: 6, bytes: v6 };
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** True when s is a valid IPv4 or IPv6 address. */
export function isIp(s: string): boolean {
  return parseIPv4(s) !== undefined || parseIPv6(s) !== undefined;
}

/**
 * Parse "10.0.0.0/8", "2001:db8::/32", or a bare address (host route).
 * Host bits are masked off. Throws on invalid input.
 */
export function parseCidr(s: string): Cidr {
  const str = s.trim();
  const slash = str.indexOf("/");
  const addr = slash >= 0 ? str.slice(0, slash) : str;
  const prefixStr = slash >= 0 ? str.slice(slash + 1) : undefined;
  let family: 4 | 6;
  let bytes: Uint8Array | undefined = parseIPv4(addr);
  if (bytes) family = 4;
  else {
    bytes = parseIPv6(addr);
    if (!bytes) throw new Error(`invalid CIDR "${s}": bad address`);
    family = 6;
  }
  const max = family === 4 ? 32 : 128;
  let prefix = max;
  if (prefixStr !== undefined) {
    if (!/^\d{1,3}$/.test(prefixStr) || Number(prefixStr) > max) {
      throw new Error(`invalid CIDR "${s}": prefix must be 0..${max}`);
    }
    prefix = Number(prefixStr);
  }
  // An IPv4-mapped IPv6 network with prefix >= 96 is the same as an IPv4 network.
  if (family === 6 && prefix >= 96 && isV4Mapped(bytes)) {
    family = 4;
    bytes = bytes.slice(12);
    prefix -= 96;
  }
  return { family, bytes: mask(bytes, prefix), prefix };
}

/** True when s parses as a CIDR (or a bare IP address). */
export function isCidr(s: string): boolean {
  try {
    parseCidr(s);
    return true;
  } catch {
    return false;
  }
}

function mask(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < out.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = out[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

/** Does the single network `cidr` contain `ip`? */
export function cidrMatch(cidr: Cidr, ip: string): boolean {
  const a = parseIp(ip);
  if (!a || a.family !== cidr.family) return false;
  const m = mask(a.bytes, cidr.prefix);
  for (let i = 0; i < m.length; i++) if (m[i] !== cidr.bytes[i]) return false;
  return true;
}

/**
 * Is `ip` inside any of the networks? Entries may be strings (parsed each call;
 * invalid ones are ignored) or pre-parsed Cidr objects.
 */
export function cidrContains(cidrList: readonly (string | Cidr)[], ip: string): boolean {
  for (const entry of cidrList) {
    let c: Cidr;
    if (typeof entry === "string") {
      try {
        c = parseCidr(entry);
      } catch {
        continue;
      }
    } else c = entry;
    if (cidrMatch(c, ip)) return true;
  }
  return false;
}
