// Suppressed recipient addresses (never sent to): SQLite at <dataDir>/suppressions.db,
// with an in-memory set for the per-recipient check on the delivery path.

import { type Db, openDb } from "../runtime/sqlite.ts";

export interface Suppression {
  address: string;
  reason: string;
  createdAt: number;
}

export class SuppressionStore {
  private readonly set = new Set<string>();

  private constructor(private readonly db: Db, private readonly now: () => number) {
    db.exec("CREATE TABLE IF NOT EXISTS suppressions (address TEXT PRIMARY KEY, reason TEXT NOT NULL, created_at INTEGER NOT NULL)");
    for (const r of db.all<{ address: string }>("SELECT address FROM suppressions")) this.set.add(r.address);
  }

  static async open(path: string, now: () => number = Date.now): Promise<SuppressionStore> {
    return new SuppressionStore(await openDb(path), now);
  }

  has(address: string): boolean {
    return this.set.size > 0 && this.set.has(address.toLowerCase());
  }

  add(address: string, reason: string): void {
    const a = address.toLowerCase();
    this.db.run("INSERT OR REPLACE INTO suppressions (address, reason, created_at) VALUES (?, ?, ?)", a, reason, this.now());
    this.set.add(a);
  }

  remove(address: string): boolean {
    const a = address.toLowerCase();
    this.set.delete(a);
    return this.db.run("DELETE FROM suppressions WHERE address = ?", a).changes > 0;
  }

  list(): Suppression[] {
    return this.db.all<{ address: string; reason: string; created_at: number }>(
      "SELECT address, reason, created_at FROM suppressions ORDER BY created_at",
    ).map((r) => ({ address: r.address, reason: r.reason, createdAt: Number(r.created_at) }));
  }

  close(): void {
    this.db.close();
  }
}
