// What command handlers see of a session (keeps handlers out of session.ts).

import type { Out } from "../proto/imap/response.ts";
import { type FolderHandle, StoreError, type UserMailbox } from "../store/types.ts";
import type { MailboxView } from "./view.ts";
import { concatBytes } from "../core/bytes.ts";

/** the tagged completion (RFC 3501 §7.1): text may start with a [response code] */
export interface Done {
  status: "OK" | "NO" | "BAD";
  text: string;
}

export const ok = (text: string): Done => ({ status: "OK", text });
export const no = (text: string): Done => ({ status: "NO", text });
export const bad = (text: string): Done => ({ status: "BAD", text });

export interface Ctx {
  readonly mailbox: UserMailbox;
  view: MailboxView | undefined;
  /** CONDSTORE enabled (RFC 7162 §3.1): MODSEQ in FETCH responses */
  condstore: boolean;
  /** an untagged line (without CRLF) */
  untagged(line: string): void;
  /** a response with literals (already ends with CRLF) */
  emit(out: Out): void;
  /** flush and wait until the connection's output buffer is low */
  drained(): Promise<void>;
  /**
   * What is pending, then `bytes`, to the connection now; `released` once it holds no
   * reference to `bytes` (the caller may then reuse the buffer; see Conn.write).
   */
  send(bytes: Uint8Array, released: () => void): void;
  now(): number;
}

/** read a message whole (bounded by the message size limit of the store) */
export async function readAll(folder: FolderHandle, uid: number): Promise<Uint8Array> {
  if (folder.readBytes) return await folder.readBytes(uid);
  const parts: Uint8Array[] = [];
  for await (const c of folder.read(uid)) parts.push(c);
  return concatBytes(parts);
}

/** an existing folder by its IMAP name, or the NO a command answers when there is none */
export async function existingFolder(ctx: Ctx, name: string): Promise<FolderHandle | Done> {
  try {
    return await ctx.mailbox.folder(canonicalName(name));
  } catch (e) {
    if (e instanceof StoreError) return no("[NONEXISTENT] no such mailbox");
    throw e;
  }
}

/** folder names are case-insensitive only for INBOX (RFC 3501 §5.1) */
export function canonicalName(name: string): string {
  return name.toUpperCase() === "INBOX" ? "INBOX" : name;
}

/** IMAP system flags a client may set (RFC 3501 §2.3.2); \Recent is server-only */
export const SYSTEM_FLAGS = ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"];

/** keep valid flags with canonical case for system flags; undefined when one is not allowed */
export function cleanFlags(flags: string[]): string[] | undefined {
  const out: string[] = [];
  for (const f of flags) {
    if (f.startsWith("\\")) {
      const sys = SYSTEM_FLAGS.find((s) => s.toLowerCase() === f.toLowerCase());
      if (!sys) {
        if (f.toLowerCase() === "\\recent") continue;
        return undefined;
      }
      if (!out.includes(sys)) out.push(sys);
    } else if (!out.some((x) => x.toLowerCase() === f.toLowerCase())) out.push(f);
  }
  return out;
}
