// Password hashing: scrypt, stored as a PHC-style string
//   $scrypt$ln=13,r=8,p=1$<salt base64>$<hash base64>
// (base64 without padding, as in the PHC string format). Uses the async node:crypto
// scrypt so hashing runs on the thread pool and never blocks the event loop.
// Note: node:crypto is a runtime built-in available on Bun and Deno alike and has
// no I/O, so it is allowed in core.

import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/**
 * log2(N). Measured per hash with r=8, p=1: ln=13 → Bun ~15 ms, Deno ~35-40 ms;
 * ln=14 → Bun ~32 ms, Deno ~65-70 ms (too slow for the ~50 ms budget on Deno).
 * Hashes keep their own parameters, so raising this later stays compatible.
 */
export const SCRYPT_LN = 13;
export const SCRYPT_R = 8;
export const SCRYPT_P = 1;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Refuse to verify hashes with absurd parameters (denial of service). */
const MAX_LN = 20;

function scryptAsync(pw: string, salt: Uint8Array, len: number, ln: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** ln;
  // scrypt needs 128 * N * r bytes (plus some); the default maxmem of 32 MiB is
  // too small for N >= 2^15, so always give enough.
  const maxmem = 128 * N * r * (p + 2) + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(pw, salt, len, { N, r, p, maxmem }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function b64(buf: Uint8Array): string {
  return Buffer.from(buf).toString("base64").replace(/=+$/, "");
}

function unb64(s: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(s)) return undefined;
  return Buffer.from(s, "base64");
}

/** Hash a password into a PHC string. */
export async function hashPassword(pw: string, opts: { ln?: number; r?: number; p?: number } = {}): Promise<string> {
  const ln = opts.ln ?? SCRYPT_LN;
  const r = opts.r ?? SCRYPT_R;
  const p = opts.p ?? SCRYPT_P;
  const salt = randomBytes(SALT_BYTES);
  const hash = await scryptAsync(pw, salt, HASH_BYTES, ln, r, p);
  return `$scrypt$ln=${ln},r=${r},p=${p}$${b64(salt)}$${b64(hash)}`;
}

interface Parsed {
  ln: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

/** Parse a scrypt PHC string; undefined when malformed. */
export function parsePhc(phc: string): Parsed | undefined {
  if (typeof phc !== "string") return undefined;
  const parts = phc.split("$");
  // ["", "scrypt", "ln=..,r=..,p=..", salt, hash]
  if (parts.length !== 5 || parts[0] !== "" || parts[1] !== "scrypt") return undefined;
  const params = new Map<string, number>();
  for (const kv of parts[2]!.split(",")) {
    const m = /^(ln|r|p)=(\d{1,3})$/.exec(kv);
    if (!m || params.has(m[1]!)) return undefined;
    params.set(m[1]!, Number(m[2]));
  }
  const ln = params.get("ln");
  const r = params.get("r");
  const p = params.get("p");
  if (ln === undefined || r === undefined || p === undefined) return undefined;
  if (ln < 1 || ln > MAX_LN || r < 1 || r > 32 || p < 1 || p > 16) return undefined;
  const salt = unb64(parts[3]!);
  const hash = unb64(parts[4]!);
  if (!salt || !hash || salt.length < 8 || hash.length < 16 || hash.length > 128) return undefined;
  return { ln, r, p, salt, hash };
}

/** True when phc looks like a hash this module can verify. */
export function isPasswordHash(phc: string): boolean {
  return parsePhc(phc) !== undefined;
}

/** Verify a password against a PHC string (constant-time compare). False when malformed. */
export async function verifyPassword(pw: string, phc: string): Promise<boolean> {
  const parsed = parsePhc(phc);
  if (!parsed || typeof pw !== "string") return false;
  let got: Buffer;
  try {
    got = await scryptAsync(pw, parsed.salt, parsed.hash.length, parsed.ln, parsed.r, parsed.p);
  } catch {
    return false;
  }
  return got.length === parsed.hash.length && timingSafeEqual(got, parsed.hash);
}
