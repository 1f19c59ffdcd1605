// What IMAP derives from a message's bytes, cached per folder by UID: the ENVELOPE text
// and the top-level header (bytes + parsed fields). A message never changes under its
// UID (RFC 3501 §2.3.1.1), so entries stay valid until the UID is expunged; a new
// UIDVALIDITY empties the cache. Shared by every session (folder handles are shared
// per process). Dovecot keeps the same things in its on-disk dovecot.index.cache; this
// cache is in memory only and is rebuilt lazily after a restart.

import { envelope } from "../mime/envelope.ts";
import { findBodyStart } from "../mime/header.ts";
import { type MimePart, parseMime } from "../mime/structure.ts";
import type { FolderHandle } from "../store/types.ts";
import { readAll } from "./context.ts";

const utf8 = new TextEncoder();

/** per folder: beyond this many cached bytes (estimated) the cache starts afresh */
const MAX_BYTES = 64 * 1024 * 1024;
const ENTRY_OVERHEAD = 96;

export interface HeaderInfo {
  /** the header block, through the blank line */
  bytes: Uint8Array;
  /** parsed from `bytes` alone (no body: no children) */
  mime: MimePart;
  /** field values by name, RFC 2047-decoded and lower-cased, filled by SEARCH as it asks for them */
  lower?: Map<string, string[]>;
  /** the whole header decoded and lower-cased, filled by SEARCH TEXT */
  text?: string;
}

class FolderCache {
  /** ENVELOPE responses, UTF-8 encoded once */
  envelopes = new Map<number, Uint8Array>();
  headers = new Map<number, HeaderInfo>();
  bytes = 0;
  constructor(readonly uidValidity: number) {}

  charge(n: number): void {
    this.bytes += n + ENTRY_OVERHEAD;
    if (this.bytes > MAX_BYTES) {
      this.envelopes.clear();
      this.headers.clear();
      this.bytes = n + ENTRY_OVERHEAD;
    }
  }
}

const caches = new WeakMap<FolderHandle, FolderCache>();

function cacheOf(folder: FolderHandle): FolderCache {
  let c = caches.get(folder);
  if (!c || c.uidValidity !== folder.uidValidity) {
    c = new FolderCache(folder.uidValidity);
    caches.set(folder, c);
  }
  return c;
}

/** the cached ENVELOPE, without waiting (undefined on a miss) */
export function cachedEnvelope(folder: FolderHandle, uid: number): Uint8Array | undefined {
  return cacheOf(folder).envelopes.get(uid);
}

/** the cached header, without waiting (undefined on a miss) */
export function cachedHeader(folder: FolderHandle, uid: number): HeaderInfo | undefined {
  return cacheOf(folder).headers.get(uid);
}

/** the header of a message parsed alone; from the cache, else from `bytes` (read when not given) */
export async function headerOf(folder: FolderHandle, uid: number, bytes?: Uint8Array): Promise<HeaderInfo> {
  const c = cacheOf(folder);
  const hit = c.headers.get(uid);
  if (hit) return hit;
  const all = bytes ?? await readAll(folder, uid);
  const head = all.slice(0, findBodyStart(all, 0, all.length)); // a copy: the body is not kept
  const info: HeaderInfo = { bytes: head, mime: parseMime(head) };
  c.charge(head.length * 2);
  c.headers.set(uid, info);
  return info;
}

/** RFC 3501 §7.4.2 ENVELOPE of a message (only its header is needed) */
export async function envelopeOf(folder: FolderHandle, uid: number, bytes?: Uint8Array): Promise<Uint8Array> {
  const c = cacheOf(folder);
  const hit = c.envelopes.get(uid);
  if (hit !== undefined) return hit;
  const h = await headerOf(folder, uid, bytes);
  const env = utf8.encode(envelope(h.bytes, h.mime));
  c.charge(env.length);
  c.envelopes.set(uid, env);
  return env;
}

/** drop the entries of expunged UIDs */
export function forget(folder: FolderHandle, uids: Iterable<number>): void {
  const c = caches.get(folder);
  if (!c) return;
  for (const u of uids) {
    c.envelopes.delete(u);
    c.headers.delete(u);
  }
}
