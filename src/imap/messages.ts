// STORE, COPY, MOVE, EXPUNGE and their UID forms (RFC 3501 §6.4.3, §6.4.6, §6.4.7;
// RFC 4315 UIDPLUS; RFC 6851 MOVE; RFC 7162 §3.1.3 UNCHANGEDSINCE).

import { flagList } from "../proto/imap/response.ts";
import { formatSeqSet, type SeqSet } from "../proto/imap/seqset.ts";
import { StoreError } from "../store/types.ts";
import { forget } from "./cache.ts";
import { bad, canonicalName, cleanFlags, type Ctx, type Done, no, ok, readAll } from "./context.ts";

export interface StoreCmd {
  uid: boolean;
  set: SeqSet;
  mode: "set" | "add" | "remove";
  silent: boolean;
  flags: string[];
  unchangedSince?: number;
}

export async function storeFlags(ctx: Ctx, cmd: StoreCmd): Promise<Done> {
  const view = ctx.view!;
  if (view.readOnly) return no("[READ-ONLY] mailbox is read-only"); // RFC 3501 §6.3.2
  const flags = cleanFlags(cmd.flags);
  if (!flags) return bad(`unknown system flag in ${flagList(cmd.flags)}`);
  const byUid = view.snapshot();
  const modified: number[] = [];
  const uids: number[] = [];
  if (cmd.unchangedSince !== undefined) ctx.condstore = true;
  for (const i of view.select(cmd.set, cmd.uid)) {
    const m = byUid.get(view.uids[i]!);
    if (!m) continue;
    // RFC 7162 §3.1.3: messages changed since UNCHANGEDSINCE are not touched
    if (cmd.unchangedSince !== undefined && m.modseq > cmd.unchangedSince) modified.push(cmd.uid ? m.uid : i + 1);
    else uids.push(m.uid);
  }
  const updated = uids.length ? await view.folder.setFlags(uids, flags, cmd.mode) : [];
  for (const m of updated) {
    if (cmd.silent && !ctx.condstore) {
      view.noteReported(m);
      continue;
    }
    const seq = view.seqOf(m.uid);
    const uidPart = cmd.uid ? `UID ${m.uid} ` : "";
    const mod = ctx.condstore ? ` MODSEQ (${m.modseq})` : "";
    // RFC 7162 §3.1.3: with CONDSTORE, .SILENT still reports the new MODSEQ
    ctx.untagged(`* ${seq} FETCH (${uidPart}${cmd.silent ? "" : `FLAGS ${view.flagText(m)}`}${cmd.silent ? mod.trim() : mod})`);
    view.noteReported(m);
  }
  if (modified.length) return ok(`[MODIFIED ${formatSeqSet(modified)}] conditional STORE failed for some messages`);
  return ok(`${cmd.uid ? "UID STORE" : "STORE"} completed`);
}

export async function copyMessages(ctx: Ctx, uid: boolean, set: SeqSet, target: string, move: boolean): Promise<Done> {
  const view = ctx.view!;
  if (move && view.readOnly) return no("[READ-ONLY] mailbox is read-only");
  let dest;
  try {
    dest = await ctx.mailbox.folder(canonicalName(target));
  } catch (e) {
    if (e instanceof StoreError) return no("[TRYCREATE] no such mailbox"); // RFC 3501 §6.4.7
    throw e;
  }
  const byUid = view.snapshot();
  const src: number[] = [];
  const dst: number[] = [];
  for (const i of view.select(set, uid)) {
    const m = byUid.get(view.uids[i]!);
    if (!m) continue;
    const bytes = await readAll(view.folder, m.uid);
    dst.push(await dest.append(bytes, m.flags.filter((f) => f !== "\\Recent"), m.internalDate));
    src.push(m.uid);
  }
  const verb = move ? "MOVE" : "COPY";
  if (src.length === 0) return ok(`${verb} completed, nothing to do`);
  // RFC 4315 §3: COPYUID uidvalidity source-uids dest-uids
  const code = `[COPYUID ${dest.uidValidity} ${formatSeqSet(src)} ${formatSeqSet(dst)}]`;
  if (!move) return ok(`${code} COPY completed`);
  ctx.untagged(`* OK ${code} moved`); // RFC 6851 §4.3
  await view.folder.expunge(src);
  forget(view.folder, src);
  return ok("MOVE completed");
}

/** EXPUNGE (all \Deleted) or UID EXPUNGE (those in `set`, RFC 4315 §2.1) */
export async function expunge(ctx: Ctx, set: SeqSet | undefined): Promise<Done> {
  const view = ctx.view!;
  if (view.readOnly) return no("[READ-ONLY] mailbox is read-only");
  await expungeDeleted(ctx, set);
  return ok(`${set ? "UID EXPUNGE" : "EXPUNGE"} completed`);
}

export async function expungeDeleted(ctx: Ctx, set: SeqSet | undefined): Promise<void> {
  const view = ctx.view!;
  const byUid = view.snapshot();
  const chosen = set ? new Set(view.select(set, true).map((i) => view.uids[i]!)) : undefined;
  const uids: number[] = [];
  for (const m of byUid.values()) {
    if (!m.flags.includes("\\Deleted")) continue;
    if (chosen && !chosen.has(m.uid)) continue;
    uids.push(m.uid);
  }
  if (uids.length) {
    await view.folder.expunge(uids);
    forget(view.folder, uids);
  }
}
