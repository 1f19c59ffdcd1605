// Maildir naming: unique file names (with ",S=<size>"), the ":2,<flags>" info part,
// Maildir++ folder directories, and the mailbox path of an address. Pure functions.
//
// See https://cr.yp.to/proto/maildir.html and the Maildir++ notes (Courier).

/** IMAP system flag ↔ Maildir info letter (letters must be kept in ASCII order) */
const FLAG_LETTERS: [string, string][] = [
  ["\\Draft", "D"],
  ["\\Flagged", "F"],
  ["\\Answered", "R"],
  ["\\Seen", "S"],
  ["\\Deleted", "T"],
];
const LETTER_TO_FLAG = new Map(FLAG_LETTERS.map(([f, l]) => [l, f]));
const FLAG_TO_LETTER = new Map(FLAG_LETTERS.map(([f, l]) => [f.toLowerCase(), l]));

/** the ":2,…" info letters for these flags (keywords are kept in the index only) */
export function infoOf(flags: string[]): string {
  const letters = new Set<string>();
  for (const f of flags) {
    const l = FLAG_TO_LETTER.get(f.toLowerCase());
    if (l) letters.add(l);
  }
  return [...letters].sort().join("");
}

/** system flags encoded in an info string ("2,FS" → ["\\Flagged", "\\Seen"]) */
export function flagsOfInfo(info: string): string[] {
  if (!info.startsWith("2,")) return [];
  const out: string[] = [];
  for (const l of info.slice(2)) {
    const f = LETTER_TO_FLAG.get(l);
    if (f && !out.includes(f)) out.push(f);
  }
  return out;
}

export function isSystemFlag(flag: string): boolean {
  return FLAG_TO_LETTER.has(flag.toLowerCase());
}

/** split "KEY:2,FS" into key and info ("" when none) */
export function splitName(name: string): { key: string; info: string } {
  const i = name.indexOf(":");
  return i < 0 ? { key: name, info: "" } : { key: name.slice(0, i), info: name.slice(i + 1) };
}

/** the ",S=<size>" of a key, when present */
export function sizeOfKey(key: string): number | undefined {
  const m = /,S=(\d+)(?:,|$)/.exec(key);
  return m ? Number(m[1]) : undefined;
}

let counter = 0;

/**
 * A unique base name: "<sec>.M<usec>P<pid>Q<n>R<random>.<host>" (Maildir spec:
 * time, then something unique on this host, then the host with "/" and ":" escaped).
 */
export function uniqueBase(nowMs: number, pid: number, host: string, random: string): string {
  const sec = Math.floor(nowMs / 1000);
  const usec = Math.floor((nowMs % 1000) * 1000);
  const h = host.replace(/\//g, "\\057").replace(/:/g, "\\072");
  return `${sec}.M${usec}P${pid}Q${++counter}R${random}.${h}`;
}

export const INBOX = "INBOX";
/** created with every mailbox */
export const DEFAULT_FOLDERS = ["Sent", "Drafts", "Junk", "Trash"];

/** "INBOX" (any case) → "" (the Maildir root), "Junk" → ".Junk", "A.B" → ".A.B"; undefined when invalid */
export function folderDir(name: string): string | undefined {
  if (name.toUpperCase() === INBOX) return "";
  if (!isValidFolderName(name)) return undefined;
  return "." + name;
}

/** Maildir++ folder names: "." is the hierarchy separator; no "/", no empty levels, no control chars */
export function isValidFolderName(name: string): boolean {
  if (typeof name !== "string" || name.length === 0 || name.length > 200) return false;
  if (/[\/\x00-\x1f\x7f]/.test(name)) return false;
  if (name.startsWith(".") || name.endsWith(".") || name.includes("..")) return false;
  return name.toUpperCase() !== INBOX && !name.toUpperCase().startsWith(INBOX + ".");
}

/** "<domain>/<localpart>" relative path of a mailbox; undefined when the address is unusable */
export function mailboxPath(address: string): string | undefined {
  const a = address.toLowerCase();
  const at = a.lastIndexOf("@");
  if (at <= 0 || at === a.length - 1) return undefined;
  const domain = a.slice(at + 1);
  if (!/^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/.test(domain)) return undefined;
  return `${domain}/${encodeLocal(a.slice(0, at))}`;
}

/** keep [a-z0-9._+=-], percent-encode the rest (and a leading dot) so a local part is one safe path segment */
function encodeLocal(local: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(local)) {
    const c = String.fromCharCode(byte);
    const safe = /[a-z0-9_+=-]/.test(c) || (c === "." && out.length > 0);
    out += safe ? c : "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}
