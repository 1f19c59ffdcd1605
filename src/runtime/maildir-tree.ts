// Whole-directory removal for the mailbox store (IMAP DELETE of a Maildir++ folder).
// Kept apart from maildir-fs.ts so the store's per-message interface stays small;
// only src/runtime/ touches node:fs.

import * as fs from "node:fs";

/** rm -rf `path` (a folder already renamed out of sight); no error when it is gone */
export function removeTree(path: string): Promise<void> {
  return fs.promises.rm(path, { recursive: true, force: true });
}
