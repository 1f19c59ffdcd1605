// Folder-level changes of a Maildir++ mailbox: DELETE (one folder, not its children)
// and RENAME (a folder with its sub-folders). Directory names are ".A", ".A.x".
//
// DELETE first renames ".A" to a hidden "..trash-<unique>" name (not a valid folder,
// so folders() never lists it), fsyncs the mailbox directory, then removes the tree;
// a crash in between leaves only a hidden directory that the next open sweeps away.

import type { MaildirFs } from "../runtime/maildir-fs.ts";
import { folderDir, INBOX, isValidFolderName } from "./names.ts";
import { StoreError } from "./types.ts";

export const TRASH_PREFIX = "..trash-";

export interface HierarchyEnv {
  fs: MaildirFs;
  /** the user's Maildir (INBOX) directory */
  path: string;
  removeTree: (path: string) => Promise<void>;
  /** a unique suffix for the hidden trash name */
  unique: () => string;
}

/** the folder and its sub-folders on disk: [name, dir] with "A" first */
export function subtree(env: HierarchyEnv, name: string): string[] {
  const out: string[] = [];
  for (const entry of env.fs.readdir(env.path)) {
    if (!entry.startsWith(".") || entry === "." || entry === "..") continue;
    const n = entry.slice(1);
    if (isValidFolderName(n) && (n === name || n.startsWith(name + "."))) out.push(n);
  }
  return out.sort();
}

function checkName(name: string, what: string): string {
  if (name.toUpperCase() === INBOX) throw new StoreError(`${what}: INBOX cannot be ${what === "delete" ? "deleted" : "renamed"} here`);
  const dir = folderDir(name);
  if (dir === undefined) throw new StoreError(`${what}: invalid folder name ${JSON.stringify(name)}`);
  return dir;
}

/** remove folder `name` (its messages and index); its sub-folders stay (RFC 3501 §6.3.4) */
export async function deleteFolderDir(env: HierarchyEnv, name: string): Promise<void> {
  const dir = checkName(name, "delete");
  if (!env.fs.stat(`${env.path}/${dir}/cur`)) throw new StoreError(`delete: no folder ${JSON.stringify(name)}`);
  const hidden = `${env.path}/${TRASH_PREFIX}${env.unique()}`;
  env.fs.rename(`${env.path}/${dir}`, hidden);
  await env.fs.fsyncDir(env.path);
  await env.removeTree(hidden);
}

/**
 * Rename `from` and every "from.*" to `to` / "to.*" (RFC 3501 §6.3.5). Every target is
 * checked before the first directory moves; returns the renamed [old, new] names.
 */
export async function renameFolderDirs(env: HierarchyEnv, from: string, to: string): Promise<[string, string][]> {
  checkName(from, "rename");
  checkName(to, "rename");
  if (to === from || to.startsWith(from + ".")) throw new StoreError(`rename: cannot move ${JSON.stringify(from)} into itself`);
  const moves: [string, string][] = subtree(env, from).map((n) => [n, to + n.slice(from.length)]);
  if (moves.length === 0) throw new StoreError(`rename: no folder ${JSON.stringify(from)}`);
  for (const [, n] of moves) {
    if (!isValidFolderName(n)) throw new StoreError(`rename: invalid folder name ${JSON.stringify(n)}`);
    if (env.fs.stat(`${env.path}/.${n}`)) throw new StoreError(`rename: folder ${JSON.stringify(n)} exists`);
  }
  for (const [o, n] of moves) env.fs.rename(`${env.path}/.${o}`, `${env.path}/.${n}`);
  await env.fs.fsyncDir(env.path);
  return moves;
}

/** remove hidden trash left by a DELETE that was interrupted by a crash */
export async function sweepTrash(env: HierarchyEnv): Promise<void> {
  for (const entry of env.fs.readdir(env.path)) {
    if (entry.startsWith(TRASH_PREFIX)) await env.removeTree(`${env.path}/${entry}`);
  }
}
