// One small SQLite interface for both runtimes: bun:sqlite on Bun, node:sqlite
// (DatabaseSync) on Deno (and Node). Synchronous by design: SQLite calls are short
// and the directory answers per-RCPT lookups from memory anyway.
//
// Opened in WAL mode with a busy timeout so the CLI and a running server can use the
// same database file at once.

import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

export type SqlValue = string | number | bigint | null | Uint8Array;

export interface Db {
  exec(sql: string): void;
  run(sql: string, ...params: SqlValue[]): { changes: number };
  get<T>(sql: string, ...params: SqlValue[]): T | undefined;
  all<T>(sql: string, ...params: SqlValue[]): T[];
  /** run fn inside BEGIN IMMEDIATE … COMMIT (ROLLBACK when it throws) */
  transaction<T>(fn: () => T): T;
  /** PRAGMA data_version: changes when another connection commits */
  dataVersion(): number;
  close(): void;
}

interface Stmt {
  run(...p: SqlValue[]): { changes: number | bigint };
  get(...p: SqlValue[]): unknown;
  all(...p: SqlValue[]): unknown[];
}

interface RawDb {
  exec(sql: string): void;
  prepare(sql: string): Stmt;
  close(): void;
}

export interface OpenDbOptions {
  /** ms to wait for another connection's lock (default 5000) */
  busyTimeoutMs?: number;
}

async function openRaw(path: string): Promise<RawDb> {
  // the specifiers are variables so neither runtime resolves the other's module
  if (typeof (globalThis as { Bun?: unknown }).Bun !== "undefined") {
    const spec = "bun:sqlite";
    const mod = (await import(spec)) as { Database: new (p: string, o?: object) => RawDb };
    return new mod.Database(path, { create: true });
  }
  const spec = "node:sqlite";
  const mod = (await import(spec)) as { DatabaseSync: new (p: string) => RawDb };
  return new mod.DatabaseSync(path);
}

/** Open (create) a database file; ":memory:" for a private in-memory database. */
export async function openDb(path: string, opts: OpenDbOptions = {}): Promise<Db> {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const raw = await openRaw(path);
  raw.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
  if (path !== ":memory:") raw.exec("PRAGMA journal_mode = WAL");
  raw.exec("PRAGMA foreign_keys = ON");
  return wrap(raw);
}

function wrap(raw: RawDb): Db {
  const cache = new Map<string, Stmt>();
  const stmt = (sql: string): Stmt => {
    let s = cache.get(sql);
    if (!s) {
      s = raw.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
  let depth = 0;
  const db: Db = {
    exec: (sql) => raw.exec(sql),
    run: (sql, ...p) => ({ changes: Number(stmt(sql).run(...p).changes) }),
    // bun:sqlite answers null for "no row", node:sqlite undefined
    get: <T>(sql: string, ...p: SqlValue[]) => (stmt(sql).get(...p) ?? undefined) as T | undefined,
    all: <T>(sql: string, ...p: SqlValue[]) => stmt(sql).all(...p) as T[],
    transaction<T>(fn: () => T): T {
      if (depth > 0) return fn();
      raw.exec("BEGIN IMMEDIATE");
      depth++;
      try {
        const out = fn();
        raw.exec("COMMIT");
        return out;
      } catch (e) {
        raw.exec("ROLLBACK");
        throw e;
      } finally {
        depth--;
      }
    },
    dataVersion: () => Number((stmt("PRAGMA data_version").get() as { data_version: number | bigint }).data_version),
    close: () => {
      cache.clear();
      raw.close();
    },
  };
  return db;
}
