// FETCH and UID FETCH (RFC 3501 §6.4.5, §7.4.2; RFC 7162 §3.1.4 MODSEQ, CHANGEDSINCE).

import { bodyStructure } from "../mime/envelope.ts";
import { sectionBytes } from "../mime/section.ts";
import { type MimePart, parseMime } from "../mime/structure.ts";
import { type FetchItem, sectionName } from "../proto/imap/fetch-items.ts";
import { dateTime, Out } from "../proto/imap/response.ts";
import type { SeqSet } from "../proto/imap/seqset.ts";
import type { StoredMessage } from "../store/types.ts";
import { cachedEnvelope, envelopeOf } from "./cache.ts";
import { DIRECT_FLUSH, directItems, DirectWriter } from "./fetch-direct.ts";
import { type Ctx, type Done, ok, readAll } from "./context.ts";

const EMPTY = new Uint8Array(0);
/** flush the responses once this many message bytes are waiting */
const FLUSH_BYTES = 256 * 1024;

export interface FetchCmd {
  uid: boolean;
  set: SeqSet;
  items: FetchItem[];
  changedSince?: number;
}

/** items that need the message bytes (ENVELOPE comes from the per-folder cache) */
function needsContent(i: FetchItem): boolean {
  switch (i.kind) {
    case "envelope":
      return false;
    case "bodystructure":
    case "body":
    case "rfc822":
      return true;
    default:
      return false;
  }
}

/** does fetching this item set \Seen (RFC 3501 §6.4.5)? */
function setsSeen(i: FetchItem): boolean {
  return (i.kind === "body" && !i.peek) || (i.kind === "rfc822" && i.which !== "HEADER");
}

export async function fetch(ctx: Ctx, cmd: FetchCmd): Promise<Done> {
  const view = ctx.view!;
  let items = cmd.items;
  if (cmd.changedSince !== undefined) {
    if (!items.some((i) => i.kind === "modseq")) items = [...items, { kind: "modseq" }];
    ctx.condstore = true; // RFC 7162 §3.1: a CONDSTORE-using command enables it
  }
  if (items.some((i) => i.kind === "modseq")) ctx.condstore = true;
  if (cmd.uid && !items.some((i) => i.kind === "uid")) items = [{ kind: "uid" }, ...items]; // RFC 3501 §6.4.8
  const content = items.some(needsContent);
  const wantsEnvelope = items.some((i) => i.kind === "envelope");
  const byUid = view.snapshot();
  let indexes = view.select(cmd.set, cmd.uid);
  if (cmd.changedSince !== undefined) {
    const since = cmd.changedSince;
    indexes = indexes.filter((i) => (byUid.get(view.uids[i]!)?.modseq ?? 0) > since);
  }
  let seenAdded = new Set<number>();
  if (!view.readOnly && items.some(setsSeen)) seenAdded = await markSeen(ctx, indexes, byUid);
  const hasFlags = items.some((x) => x.kind === "flags");
  const withFlags: FetchItem[] = hasFlags ? items : [...items, { kind: "flags" }];
  let n = 0;
  let pending = 0; // message bytes emitted since the last flush
  const direct = directItems(items, view.folder) ? new DirectWriter(ctx, view.folder) : undefined;
  for (const i of indexes) {
    const uid = view.uids[i]!;
    const m = byUid.get(uid);
    if (!m) continue; // expunged by another session; reported later
    if (direct) {
      const stand = content ? direct.standIn(m) : EMPTY;
      const env = wantsEnvelope ? cachedEnvelope(view.folder, uid) : undefined;
      const flagged = hasFlags || seenAdded.has(uid);
      const r = stand && (env || !wantsEnvelope) ? direct.add(renderOne(ctx, i + 1, m, flagged ? withFlags : items, stand, env), m) : "changed";
      if (r === "gone") continue;
      if (r === "ok") {
        if (flagged) view.noteReported(m);
        if (direct.pending >= DIRECT_FLUSH) {
          direct.flush();
          await ctx.drained();
        }
        continue;
      }
      direct.flush(); // what it holds goes out before the general path's response
    }
    const bytes = content ? await readAll(view.folder, uid).catch(() => undefined) : undefined;
    if (content && !bytes) continue;
    // the cache answers without a promise; only a miss waits
    const env = wantsEnvelope ? cachedEnvelope(view.folder, uid) ?? await envelopeOf(view.folder, uid, bytes).catch(() => undefined) : undefined;
    if (wantsEnvelope && env === undefined) continue; // removed by another program
    const flagged = hasFlags || seenAdded.has(uid);
    ctx.emit(renderOne(ctx, i + 1, m, flagged ? withFlags : items, bytes, env));
    if (flagged) view.noteReported(m);
    pending += bytes ? bytes.length : 0;
    if (++n % 64 === 0 || pending >= FLUSH_BYTES) {
      pending = 0;
      await ctx.drained(); // one write per batch of responses, and backpressure
    }
  }
  direct?.end();
  return ok(`${cmd.uid ? "UID FETCH" : "FETCH"} completed`);
}

async function markSeen(ctx: Ctx, indexes: number[], byUid: Map<number, StoredMessage>): Promise<Set<number>> {
  const view = ctx.view!;
  const want: number[] = [];
  for (const i of indexes) {
    const m = byUid.get(view.uids[i]!);
    if (m && !m.flags.includes("\\Seen")) want.push(m.uid);
  }
  if (want.length === 0) return new Set();
  const updated = await view.folder.setFlags(want, ["\\Seen"], "add");
  for (const m of updated) byUid.set(m.uid, m);
  return new Set(want);
}

function renderOne(ctx: Ctx, seq: number, m: StoredMessage, items: FetchItem[], bytes: Uint8Array | undefined, env: Uint8Array | undefined): Out {
  const out = new Out().text(`* ${seq} FETCH (`);
  let mime: MimePart | undefined;
  const tree = () => (mime ??= parseMime(bytes!));
  items.forEach((item, idx) => {
    if (idx > 0) out.text(" ");
    renderItem(ctx, out, m, item, bytes ?? EMPTY, tree, env);
  });
  return out.text(")\r\n");
}

function renderItem(ctx: Ctx, out: Out, m: StoredMessage, item: FetchItem, bytes: Uint8Array, tree: () => MimePart, env: Uint8Array | undefined): void {
  switch (item.kind) {
    case "flags":
      out.text(`FLAGS ${ctx.view!.flagText(m)}`); // with \Recent when recent in this session
      return;
    case "uid":
      out.text(`UID ${m.uid}`);
      return;
    case "internaldate":
      out.text(`INTERNALDATE ${dateTime(m.internalDate)}`);
      return;
    case "size":
      out.text(`RFC822.SIZE ${m.size}`);
      return;
    case "modseq":
      out.text(`MODSEQ (${m.modseq})`);
      return;
    case "envelope":
      if (env) out.text("ENVELOPE ").raw(env);
      else out.text("ENVELOPE NIL");
      return;
    case "bodystructure":
      out.text(`${item.extended ? "BODYSTRUCTURE" : "BODY"} ${bodyStructure(bytes, tree(), item.extended)}`);
      return;
    case "rfc822": {
      const section = item.which === "" ? bytes : sectionBytes(bytes, tree(), {
        part: [],
        text: { kind: item.which === "HEADER" ? "header" : "text" },
      });
      out.text(`RFC822${item.which ? "." + item.which : ""} `).literal(section);
      return;
    }
    case "body": {
      const whole = item.section.part.length === 0 && item.section.text.kind === "all";
      let data = whole ? bytes : sectionBytes(bytes, tree(), item.section); // BODY[]: no MIME parse
      let origin = "";
      if (item.partial) {
        // RFC 3501 §6.4.5: <origin.length>; the response names the origin only
        const { start, length } = item.partial;
        data = start >= data.length ? EMPTY : data.subarray(start, start + length);
        origin = `<${start}>`;
      }
      out.text(`BODY[${sectionName(item.section)}]${origin} `).literal(data);
      return;
    }
    default: {
      const never: never = item;
      throw new Error(`bad fetch item ${String(never)}`);
    }
  }
}
