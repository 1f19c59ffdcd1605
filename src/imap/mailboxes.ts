// Mailbox commands: LIST/LSUB (RFC 3501 §6.3.8-9, RFC 6154 SPECIAL-USE, RFC 3348
// CHILDREN), CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, STATUS, APPEND (RFC 4315
// APPENDUID). The hierarchy delimiter is "." (Maildir++).

import { mutf7Error } from "../proto/imap/mutf7.ts";
import { astr } from "../proto/imap/response.ts";
import type { StatusItem } from "../proto/imap/command.ts";
import { StoreError, type UserMailbox } from "../store/types.ts";
import { bad, canonicalName, cleanFlags, type Ctx, type Done, existingFolder, no, ok } from "./context.ts";
import { unclaimedCount } from "./recent.ts";

export const DELIM = ".";
const SPECIAL_USE: Record<string, string> = { Sent: "\\Sent", Drafts: "\\Drafts", Junk: "\\Junk", Trash: "\\Trash" };

/** RFC 3501 §6.3.8: "*" matches anything, "%" anything but the delimiter; INBOX in any case */
function patternMatcher(reference: string, pattern: string): (name: string) => boolean {
  let re = "";
  for (const c of reference + pattern) {
    if (c === "*") re += ".*";
    else if (c === "%") re += "[^.]*";
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  const exact = new RegExp(`^${re}$`);
  const ci = new RegExp(`^${re}$`, "i");
  return (n) => (n === "INBOX" ? ci.test(n) : exact.test(n));
}

async function allNames(box: UserMailbox): Promise<string[]> {
  const names = await box.folders();
  const set = new Set(names);
  // parents that are not folders themselves are listed as \Noselect
  for (const n of names) {
    const parts = n.split(DELIM);
    for (let i = 1; i < parts.length; i++) set.add(parts.slice(0, i).join(DELIM));
  }
  return [...set];
}

export async function list(
  ctx: Ctx,
  cmd: { name: "LIST" | "LSUB"; reference: string; patterns: string[]; specialUseOnly: boolean; subscribedOnly: boolean },
): Promise<Done> {
  const box = ctx.mailbox;
  if (cmd.patterns.length === 1 && cmd.patterns[0] === "" && cmd.name === "LIST") {
    ctx.untagged(`* LIST (\\Noselect) "${DELIM}" ""`); // RFC 3501 §6.3.8: the delimiter query
    return ok("LIST completed");
  }
  const real = new Set(await box.folders());
  const names = await allNames(box);
  const subs = cmd.subscribedOnly && box.subscriptions ? new Set(await box.subscriptions()) : undefined;
  const ms = cmd.patterns.map((p) => patternMatcher(cmd.reference, p));
  const out = names.filter((n) => ms.some((m) => m(n))).sort((a, b) => (a === "INBOX" ? -1 : b === "INBOX" ? 1 : a < b ? -1 : 1));
  for (const n of out) {
    if (subs && !subs.has(n)) continue;
    const attrs: string[] = [];
    if (!real.has(n)) attrs.push("\\Noselect");
    attrs.push(names.some((x) => x.startsWith(n + DELIM)) ? "\\HasChildren" : "\\HasNoChildren");
    const su = SPECIAL_USE[n];
    if (su) attrs.push(su);
    else if (cmd.specialUseOnly) continue;
    if (subs && cmd.name === "LIST") attrs.push("\\Subscribed");
    ctx.untagged(`* ${cmd.name} (${attrs.join(" ")}) "${DELIM}" ${astr(n)}`);
  }
  return ok(`${cmd.name} completed`);
}

function validName(name: string): string | undefined {
  let n = name;
  if (n.endsWith(DELIM)) n = n.slice(0, -1); // RFC 3501 §6.3.3: a trailing delimiter only declares intent
  if (!n || n.startsWith(DELIM) || n.includes(DELIM + DELIM) || n.includes("/") || /[\x00-\x1f\x7f]/.test(n)) return undefined;
  return canonicalName(n);
}

/** a new name (CREATE, RENAME target) must be modified UTF-7; it is stored as sent (RFC 3501 §5.1.3) */
function mutf7Refusal(name: string): Done | undefined {
  const why = mutf7Error(name);
  return why === undefined ? undefined : no(`Mailbox name is not valid mUTF-7: ${why}`); // Dovecot's answer, with the reason
}

export async function create(ctx: Ctx, name: string): Promise<Done> {
  const refused = mutf7Refusal(name);
  if (refused) return refused;
  const n = validName(name);
  if (!n) return no("[CANNOT] invalid mailbox name");
  if (n === "INBOX") return no("[ALREADYEXISTS] INBOX always exists");
  if ((await ctx.mailbox.folders()).includes(n)) return no("[ALREADYEXISTS] mailbox exists");
  try {
    await ctx.mailbox.createFolder(n);
  } catch (e) {
    if (e instanceof StoreError) return no(`[CANNOT] ${e.message}`);
    throw e;
  }
  return ok("CREATE completed");
}

export async function remove(ctx: Ctx, name: string): Promise<Done> {
  const n = canonicalName(name);
  if (n === "INBOX") return no("[CANNOT] INBOX cannot be deleted"); // RFC 3501 §6.3.4
  if (!(await ctx.mailbox.folders()).includes(n)) return no("[NONEXISTENT] no such mailbox");
  if (!ctx.mailbox.deleteFolder) return no("[CANNOT] this store cannot delete folders yet");
  if (ctx.view?.name === n) return no("[INUSE] mailbox is selected; CLOSE it first");
  await ctx.mailbox.deleteFolder(n);
  await ctx.mailbox.setSubscribed?.(n, false);
  return ok("DELETE completed");
}

export async function rename(ctx: Ctx, from: string, to: string): Promise<Done> {
  const f = canonicalName(from);
  const refused = mutf7Refusal(to);
  if (refused) return refused;
  const t = validName(to);
  if (!t) return no("[CANNOT] invalid mailbox name");
  if (f === "INBOX") return no("[CANNOT] renaming INBOX is not supported");
  const names = await ctx.mailbox.folders();
  if (!names.some((n) => n === f || n.startsWith(f + DELIM))) return no("[NONEXISTENT] no such mailbox");
  if (names.includes(t) || t === "INBOX") return no("[ALREADYEXISTS] target mailbox exists");
  if (!ctx.mailbox.renameFolder) return no("[CANNOT] this store cannot rename folders yet");
  if (ctx.view && (ctx.view.name === f || ctx.view.name.startsWith(f + DELIM))) return no("[INUSE] mailbox is selected");
  await ctx.mailbox.renameFolder(f, t); // RFC 3501 §6.3.5: inferior names move too
  return ok("RENAME completed");
}

export async function subscribe(ctx: Ctx, name: string, on: boolean): Promise<Done> {
  const n = canonicalName(name);
  if (on && !(await ctx.mailbox.folders()).includes(n)) return no("[NONEXISTENT] no such mailbox");
  await ctx.mailbox.setSubscribed?.(n, on);
  return ok(`${on ? "SUBSCRIBE" : "UNSUBSCRIBE"} completed`);
}

export async function status(ctx: Ctx, name: string, items: StatusItem[]): Promise<Done> {
  const folder = await existingFolder(ctx, name);
  if ("status" in folder) return folder;
  const msgs = folder.list();
  const vals = items.map((it) => {
    switch (it) {
      case "MESSAGES":
        return `MESSAGES ${msgs.length}`;
      case "RECENT": // the selected mailbox: this session's count (as Dovecot); else what nobody has claimed
        return `RECENT ${ctx.view?.folder === folder ? ctx.view.recentCount : unclaimedCount(folder, msgs)}`;
      case "UIDNEXT":
        return `UIDNEXT ${folder.uidNext}`;
      case "UIDVALIDITY":
        return `UIDVALIDITY ${folder.uidValidity}`;
      case "UNSEEN":
        return `UNSEEN ${msgs.filter((m) => !m.flags.includes("\\Seen")).length}`;
      case "HIGHESTMODSEQ":
        return `HIGHESTMODSEQ ${folder.highestModseq}`;
      case "SIZE":
        return `SIZE ${msgs.reduce((a, m) => a + m.size, 0)}`;
      default: {
        const never: never = it;
        throw new Error(`bad status item ${String(never)}`);
      }
    }
  });
  ctx.untagged(`* STATUS ${astr(folder.name === "INBOX" ? "INBOX" : name)} (${vals.join(" ")})`);
  return ok("STATUS completed");
}

export async function append(ctx: Ctx, name: string, flags: string[], date: number | undefined, message: Uint8Array): Promise<Done> {
  const clean = cleanFlags(flags);
  if (!clean) return bad("unknown system flag");
  if (message.length === 0) return no("empty message");
  let folder;
  try {
    folder = await ctx.mailbox.folder(canonicalName(name));
  } catch (e) {
    if (e instanceof StoreError) return no("[TRYCREATE] no such mailbox"); // RFC 3501 §6.3.11
    throw e;
  }
  const uid = await folder.append(message, clean, date ?? ctx.now());
  return ok(`[APPENDUID ${folder.uidValidity} ${uid}] APPEND completed`); // RFC 4315 §3
}
