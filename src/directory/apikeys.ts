// API keys for the HTTP API. A token is "tern_<id>_<secret>"; only SHA-256(secret) is
// stored (the secret is 256 random bits, so a fast hash is enough), compared in
// constant time.

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Db } from "../runtime/sqlite.ts";

export interface ApiKey {
  id: string;
  name: string;
  /** hex SHA-256 of the secret part of the token */
  hash: string;
  /** domains this key may send from; [] = any local domain */
  senderDomains: string[];
  created: number;
}

interface Row {
  id: string;
  name: string;
  hash: string;
  sender_domains: string;
  created: number;
}

const TOKEN_RE = /^tern_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

function sha256(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

function toKey(r: Row): ApiKey {
  return { id: r.id, name: r.name, hash: r.hash, senderDomains: JSON.parse(r.sender_domains) as string[], created: Number(r.created) };
}

export function createApiKey(db: Db, name: string, senderDomains: string[], now: number): { key: ApiKey; token: string } {
  const id = randomBytes(8).toString("hex");
  const secret = randomBytes(32).toString("base64url");
  const hash = sha256(secret);
  db.run("INSERT INTO api_keys (id, name, hash, sender_domains, created) VALUES (?, ?, ?, ?, ?)", id, name, hash, JSON.stringify(senderDomains), now);
  return { key: { id, name, hash, senderDomains, created: now }, token: `tern_${id}_${secret}` };
}

/** the key a token names, when its secret matches; `byId` looks keys up (the directory's snapshot) */
export function verifyApiKey(byId: (id: string) => ApiKey | undefined, token: string): ApiKey | undefined {
  const m = TOKEN_RE.exec(typeof token === "string" ? token : "");
  if (!m) return undefined;
  const key = byId(m[1]!);
  if (!key) return undefined;
  const want = Buffer.from(key.hash, "hex");
  const got = Buffer.from(sha256(m[2]!), "hex");
  return want.length === got.length && timingSafeEqual(want, got) ? key : undefined;
}

export function listApiKeys(db: Db): ApiKey[] {
  return db.all<Row>("SELECT * FROM api_keys ORDER BY created, id").map(toKey);
}

export function deleteApiKey(db: Db, id: string): boolean {
  return db.run("DELETE FROM api_keys WHERE id = ?", id).changes > 0;
}
