// The directory seeded from config: local domains and users with hashed passwords.
// (The SQLite-backed directory of the local-delivery issue will implement the same interface.)

import { hashPassword, isPasswordHash, verifyPassword } from "../core/password.ts";

export interface Directory {
  isLocalDomain(domain: string): boolean;
  /** an address in a local domain that accepts mail (users, and postmaster@ per RFC 5321 §4.5.1) */
  userExists(address: string): boolean;
  /** the canonical identity when the password matches, else null */
  authenticate(user: string, password: string): Promise<string | null>;
}

export interface StaticUser {
  address: string;
  password?: string;
  passwordHash?: string;
}

// a fixed hash to compare against for unknown users, so timing does not reveal them
let dummyHash: Promise<string> | undefined;

export async function staticDirectory(domains: string[], users: StaticUser[]): Promise<Directory> {
  const local = new Set(domains.map((d) => d.toLowerCase()));
  const hashes = new Map<string, string>();
  for (const u of users) {
    const addr = normalise(u.address);
    hashes.set(addr, u.passwordHash && isPasswordHash(u.passwordHash) ? u.passwordHash : await hashPassword(u.password ?? ""));
  }
  dummyHash ??= hashPassword("not a password");
  return {
    isLocalDomain: (d) => local.has(d.toLowerCase()),
    userExists: (a) => {
      const addr = normalise(a);
      return hashes.has(addr) || addr.startsWith("postmaster@");
    },
    authenticate: async (user, password) => {
      const addr = normalise(user);
      const hash = hashes.get(addr);
      const ok = await verifyPassword(password, hash ?? await dummyHash!);
      return ok && hash ? addr : null;
    },
  };
}

/** local parts are case-preserving by RFC, but mailbox lookups here are case-insensitive */
function normalise(address: string): string {
  return address.toLowerCase();
}
