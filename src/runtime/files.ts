// Small file helpers (node:fs works on Bun and Deno alike).

import { access, readFile } from "node:fs/promises";

/** Read a whole UTF-8 text file. Rejects with the underlying error (err.code "ENOENT", ...). */
export function readTextFile(path: string): Promise<string> {
  return readFile(path, "utf8");
}

/** True when the path exists (file or directory). */
export async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
