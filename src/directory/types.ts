// The directory contract (domains, users, aliases). The SMTP server uses `Directory`;
// the SQLite-backed implementation adds management (CLI) on top.
export type { Directory } from "./static.ts";
