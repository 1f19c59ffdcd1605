// Schema migrations of the directory database. Each step runs once, in order, inside
// one transaction with the bump of schema_version. Never edit a released step: add one.

import type { Db } from "../runtime/sqlite.ts";

const STEPS: string[] = [
  // 1: domains, users, aliases, API keys
  `CREATE TABLE domains (
     name TEXT PRIMARY KEY,
     created INTEGER NOT NULL
   );
   CREATE TABLE users (
     address TEXT PRIMARY KEY,
     domain TEXT NOT NULL REFERENCES domains(name),
     password_hash TEXT NOT NULL,
     quota INTEGER NOT NULL DEFAULT 0,
     advertising_folder INTEGER NOT NULL DEFAULT 0,
     created INTEGER NOT NULL
   );
   CREATE TABLE aliases (
     source TEXT NOT NULL,
     domain TEXT NOT NULL REFERENCES domains(name),
     target TEXT NOT NULL,
     created INTEGER NOT NULL,
     PRIMARY KEY (source, target)
   );
   CREATE TABLE api_keys (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     hash TEXT NOT NULL,
     sender_domains TEXT NOT NULL,
     created INTEGER NOT NULL
   );`,
];

/** the schema version this code writes */
export const SCHEMA_VERSION = STEPS.length;

export function currentVersion(db: Db): number {
  db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  return db.get<{ version: number }>("SELECT version FROM schema_version")?.version ?? 0;
}

/** Bring the database up to SCHEMA_VERSION; returns the version found before. */
export function migrate(db: Db): number {
  return db.transaction(() => {
    const from = currentVersion(db);
    if (from > SCHEMA_VERSION) {
      throw new Error(`directory database has schema version ${from}, newer than this Tern (${SCHEMA_VERSION}); upgrade Tern`);
    }
    for (let v = from; v < SCHEMA_VERSION; v++) db.exec(STEPS[v]!);
    if (from === 0) db.run("INSERT INTO schema_version (version) VALUES (?)", SCHEMA_VERSION);
    else if (from < SCHEMA_VERSION) db.run("UPDATE schema_version SET version = ?", SCHEMA_VERSION);
    return from;
  });
}
