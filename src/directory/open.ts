// Open the directory of a running server: <dataDir>/directory.db, seeded from the
// config's `domains` and `users` (upsert; a config user's password wins).

import type { Config } from "../config/schema.ts";
import { openDirectory, type SqliteDirectory } from "./sqlite.ts";

export async function openConfiguredDirectory(config: Pick<Config, "dataDir" | "domains" | "users">): Promise<SqliteDirectory> {
  const dir = await openDirectory(`${config.dataDir.replace(/\/+$/, "")}/directory.db`);
  try {
    await dir.seed(config.domains, config.users);
  } catch (e) {
    dir.close();
    throw new Error(`directory: cannot seed from config: ${(e as Error).message}`);
  }
  return dir;
}
