// The directory contract (domains, users, aliases). The SMTP server uses `Directory`;
// the SQLite-backed implementation (sqlite.ts) adds management (CLI) on top.
export type { Directory } from "./static.ts";
export type { AliasRecord, NewUser, UserRecord } from "./sqlite.ts";
export type { ApiKey } from "./apikeys.ts";
export type { Expansion } from "./resolve.ts";
