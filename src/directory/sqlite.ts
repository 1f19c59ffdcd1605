// The directory in an embedded SQLite database (<dataDir>/directory.db): domains,
// users (scrypt PHC hashes, quota), aliases (incl. catch-all "@domain") and API keys.
//
// The SMTP server asks isLocalDomain/userExists per RCPT, synchronously: those answer
// from an in-memory snapshot. The snapshot is reloaded after our own writes and when
// PRAGMA data_version says another connection (the `tern` CLI) committed.

import { hashPassword, isPasswordHash, verifyPassword } from "../core/password.ts";
import { type Db, openDb } from "../runtime/sqlite.ts";
import { type ApiKey, createApiKey, deleteApiKey, listApiKeys, verifyApiKey } from "./apikeys.ts";
import { migrate } from "./migrations.ts";
import { accepts, domainOf, expand, type Expansion, type Snapshot } from "./resolve.ts";
import type { Directory } from "./static.ts";

export interface UserRecord {
  address: string;
  domain: string;
  passwordHash: string;
  /** bytes; 0 = unlimited */
  quota: number;
  /** file bulk/list mail into the "Advertising" folder */
  advertisingFolder: boolean;
  created: number;
}

export interface NewUser {
  password?: string;
  passwordHash?: string;
  quota?: number;
  advertisingFolder?: boolean;
}

export interface AliasRecord {
  source: string;
  targets: string[];
}

/** A bad request to the directory (unknown domain, duplicate user…): the message says what. */
export class DirectoryError extends Error {
  override name = "DirectoryError";
}

interface UserRow {
  address: string;
  domain: string;
  password_hash: string;
  quota: number;
  advertising_folder: number;
  created: number;
}

const ADDRESS_RE = /^[^\s<>@"]+@[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?$/;
const DOMAIN_RE = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

interface Snap extends Snapshot {
  users: Map<string, UserRecord>;
  apiKeys: Map<string, ApiKey>;
}

let dummyHash: Promise<string> | undefined;

export class SqliteDirectory implements Directory {
  private snap: Snap = { domains: new Set(), users: new Map(), aliases: new Map(), apiKeys: new Map() };
  private version = -1;

  constructor(readonly db: Db, private readonly now: () => number = Date.now) {
    migrate(db);
    this.reload();
  }

  // ---- lookups (synchronous, from the snapshot) --------------------------------

  isLocalDomain = (domain: string): boolean => this.fresh().domains.has(domain.toLowerCase());
  userExists = (address: string): boolean => accepts(this.fresh(), address);
  getUser = (address: string): UserRecord | undefined => this.fresh().users.get(address.toLowerCase());
  /** alias/catch-all expansion; undefined when no user or alias takes the address */
  expand = (address: string): Expansion | undefined => expand(this.fresh(), address);

  authenticate = async (user: string, password: string): Promise<string | null> => {
    const u = this.getUser(user);
    dummyHash ??= hashPassword("not a password");
    const ok = await verifyPassword(password, u?.passwordHash ?? await dummyHash);
    return ok && u ? u.address : null;
  };

  /** reload the snapshot when another connection changed the database */
  refresh(): void {
    this.checkedAt = 0;
    this.fresh();
  }

  private fresh(): Snap {
    // PRAGMA data_version costs a statement step; per RCPT it showed up at ~8% of
    // ingest CPU (bench/RESULTS.md). Ask at most every 20 ms: CLI edits still show
    // up at once for anything a person can type.
    const now = Date.now();
    if (now - this.checkedAt >= 20) {
      this.checkedAt = now;
      if (this.db.dataVersion() !== this.version) this.reload();
    }
    return this.snap;
  }
  private checkedAt = 0;

  private reload(): void {
    this.version = this.db.dataVersion();
    const domains = new Set(this.db.all<{ name: string }>("SELECT name FROM domains").map((r) => r.name));
    const users = new Map<string, UserRecord>();
    for (const r of this.db.all<UserRow>("SELECT * FROM users")) users.set(r.address, toUser(r));
    const aliases = new Map<string, string[]>();
    for (const r of this.db.all<{ source: string; target: string }>("SELECT source, target FROM aliases ORDER BY source, created, target")) {
      const list = aliases.get(r.source);
      if (list) list.push(r.target);
      else aliases.set(r.source, [r.target]);
    }
    const apiKeys = new Map(listApiKeys(this.db).map((k) => [k.id, k]));
    this.snap = { domains, users, aliases, apiKeys };
  }

  private write<T>(fn: () => T): T {
    const out = this.db.transaction(fn);
    this.reload();
    return out;
  }

  // ---- domains -----------------------------------------------------------------

  listDomains(): string[] {
    return [...this.fresh().domains].sort();
  }

  /** returns false when it existed already */
  addDomain(domain: string): boolean {
    const d = checkDomain(domain);
    return this.write(() => this.db.run("INSERT OR IGNORE INTO domains (name, created) VALUES (?, ?)", d, this.now()).changes > 0);
  }

  removeDomain(domain: string): boolean {
    const d = checkDomain(domain);
    return this.write(() => {
      const users = this.db.get<{ n: number }>("SELECT count(*) AS n FROM users WHERE domain = ?", d)!.n;
      const aliases = this.db.get<{ n: number }>("SELECT count(*) AS n FROM aliases WHERE domain = ?", d)!.n;
      if (users || aliases) throw new DirectoryError(`domain ${d} still has ${users} user(s) and ${aliases} alias target(s); remove them first`);
      return this.db.run("DELETE FROM domains WHERE name = ?", d).changes > 0;
    });
  }

  // ---- users -------------------------------------------------------------------

  listUsers(domain?: string): UserRecord[] {
    const all = [...this.fresh().users.values()];
    return (domain ? all.filter((u) => u.domain === domain.toLowerCase()) : all).sort((a, b) => cmp(a.address, b.address));
  }

  async addUser(address: string, u: NewUser): Promise<UserRecord> {
    const a = checkAddress(address);
    const hash = await toHash(u);
    const quota = checkQuota(u.quota ?? 0);
    return this.write(() => {
      this.requireDomain(a);
      if (this.db.get("SELECT 1 AS x FROM users WHERE address = ?", a)) throw new DirectoryError(`user ${a} exists already`);
      this.db.run(
        "INSERT INTO users (address, domain, password_hash, quota, advertising_folder, created) VALUES (?, ?, ?, ?, ?, ?)",
        a, domainOf(a), hash, quota, u.advertisingFolder ? 1 : 0, this.now(),
      );
      return toUser(this.db.get<UserRow>("SELECT * FROM users WHERE address = ?", a)!);
    });
  }

  /**
   * Create or update a user from config: the config password wins (kept as is when the
   * stored hash already matches it); quota and advertisingFolder are set when given.
   */
  async upsertUser(address: string, u: NewUser): Promise<void> {
    const a = checkAddress(address);
    const existing = this.getUser(a);
    if (!existing) {
      await this.addUser(a, u);
      return;
    }
    let hash = existing.passwordHash;
    if (u.passwordHash !== undefined) hash = u.passwordHash;
    else if (u.password !== undefined && !(await verifyPassword(u.password, hash))) hash = await hashPassword(u.password);
    this.write(() => {
      this.db.run("UPDATE users SET password_hash = ? WHERE address = ?", hash, a);
      if (u.quota !== undefined) this.db.run("UPDATE users SET quota = ? WHERE address = ?", checkQuota(u.quota), a);
      if (u.advertisingFolder !== undefined) this.db.run("UPDATE users SET advertising_folder = ? WHERE address = ?", u.advertisingFolder ? 1 : 0, a);
    });
  }

  removeUser(address: string): boolean {
    const a = checkAddress(address);
    return this.write(() => this.db.run("DELETE FROM users WHERE address = ?", a).changes > 0);
  }

  async setPassword(address: string, password: string): Promise<void> {
    const a = checkAddress(address);
    const hash = await toHash({ password });
    this.write(() => {
      if (this.db.run("UPDATE users SET password_hash = ? WHERE address = ?", hash, a).changes === 0) throw new DirectoryError(`no user ${a}`);
    });
  }

  setQuota(address: string, quota: number): void {
    const a = checkAddress(address);
    const q = checkQuota(quota);
    this.write(() => {
      if (this.db.run("UPDATE users SET quota = ? WHERE address = ?", q, a).changes === 0) throw new DirectoryError(`no user ${a}`);
    });
  }

  setAdvertisingFolder(address: string, on: boolean): void {
    const a = checkAddress(address);
    this.write(() => {
      if (this.db.run("UPDATE users SET advertising_folder = ? WHERE address = ?", on ? 1 : 0, a).changes === 0) throw new DirectoryError(`no user ${a}`);
    });
  }

  // ---- aliases -----------------------------------------------------------------

  listAliases(): AliasRecord[] {
    return [...this.fresh().aliases].map(([source, targets]) => ({ source, targets: [...targets] })).sort((a, b) => cmp(a.source, b.source));
  }

  /** add targets to an alias (source "user@domain" or catch-all "@domain"); returns how many were new */
  addAlias(source: string, targets: string[]): number {
    const src = checkAliasSource(source);
    if (targets.length === 0) throw new DirectoryError("an alias needs at least one target address");
    const ts = targets.map(checkAddress);
    return this.write(() => {
      this.requireDomain(src);
      let n = 0;
      for (const t of ts) {
        n += this.db.run("INSERT OR IGNORE INTO aliases (source, domain, target, created) VALUES (?, ?, ?, ?)", src, domainOf(src), t, this.now()).changes;
      }
      return n;
    });
  }

  /** remove some targets, or the whole alias when none are given; returns rows removed */
  removeAlias(source: string, targets: string[] = []): number {
    const src = checkAliasSource(source);
    const ts = targets.map(checkAddress);
    return this.write(() => {
      if (ts.length === 0) return this.db.run("DELETE FROM aliases WHERE source = ?", src).changes;
      let n = 0;
      for (const t of ts) n += this.db.run("DELETE FROM aliases WHERE source = ? AND target = ?", src, t).changes;
      return n;
    });
  }

  // ---- API keys (for the HTTP API) ---------------------------------------------

  /** create a key; the token is shown once and only its hash is stored */
  createApiKey(name: string, senderDomains: string[] = []): { key: ApiKey; token: string } {
    const domains = senderDomains.map(checkDomain);
    return this.write(() => createApiKey(this.db, name, domains, this.now()));
  }
  verifyApiKey(token: string): ApiKey | undefined {
    // from the snapshot: no query per request; a key deleted by the CLI is gone within 20 ms
    return verifyApiKey((id) => this.fresh().apiKeys.get(id), token);
  }
  listApiKeys(): ApiKey[] {
    return listApiKeys(this.db);
  }
  deleteApiKey(id: string): boolean {
    return this.write(() => deleteApiKey(this.db, id));
  }

  // ---- seeding and lifecycle ---------------------------------------------------

  /** config `domains` and `users` seed the database at start (upsert) */
  async seed(domains: string[], users: ({ address: string } & NewUser)[]): Promise<void> {
    for (const d of domains) this.addDomain(d);
    for (const u of users) {
      const { address, ...rest } = u;
      await this.upsertUser(address, rest);
    }
  }

  close(): void {
    this.db.close();
  }

  private requireDomain(address: string): void {
    const d = domainOf(address);
    if (!this.db.get("SELECT 1 AS x FROM domains WHERE name = ?", d)) {
      throw new DirectoryError(`${d} is not a local domain (add it first: tern domain add ${d})`);
    }
  }
}

/** Open <path> (created and migrated when needed). */
export async function openDirectory(path: string, opts: { now?: () => number } = {}): Promise<SqliteDirectory> {
  const db = await openDb(path);
  try {
    return new SqliteDirectory(db, opts.now);
  } catch (e) {
    db.close();
    throw e;
  }
}

function toUser(r: UserRow): UserRecord {
  return {
    address: r.address,
    domain: r.domain,
    passwordHash: r.password_hash,
    quota: Number(r.quota),
    advertisingFolder: Number(r.advertising_folder) !== 0,
    created: Number(r.created),
  };
}

async function toHash(u: NewUser): Promise<string> {
  if (u.passwordHash !== undefined) {
    if (!isPasswordHash(u.passwordHash)) throw new DirectoryError('passwordHash is not a scrypt PHC string "$scrypt$ln=..,r=..,p=..$salt$hash"');
    return u.passwordHash;
  }
  if (u.password === undefined || u.password === "") throw new DirectoryError("a password is required (empty passwords are not allowed)");
  return hashPassword(u.password);
}

function checkDomain(domain: string): string {
  const d = String(domain).toLowerCase();
  if (!DOMAIN_RE.test(d) || d.length > 253) throw new DirectoryError(`not a domain name: ${JSON.stringify(domain)}`);
  return d;
}

function checkAddress(address: string): string {
  const a = String(address).toLowerCase();
  if (!ADDRESS_RE.test(a) || a.length > 254) throw new DirectoryError(`not an address user@domain: ${JSON.stringify(address)}`);
  checkDomain(domainOf(a));
  return a;
}

function checkAliasSource(source: string): string {
  const s = String(source).toLowerCase();
  if (s.startsWith("@")) return "@" + checkDomain(s.slice(1));
  return checkAddress(s);
}

function checkQuota(q: number): number {
  if (!Number.isSafeInteger(q) || q < 0) throw new DirectoryError(`quota must be a whole number of bytes >= 0 (0 = unlimited), got ${q}`);
  return q;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
