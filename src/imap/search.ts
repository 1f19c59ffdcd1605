// SEARCH and UID SEARCH (RFC 3501 §6.4.4; RFC 7162 §3.1.5 MODSEQ). Message contents
// are read only when a key needs them; matching is case-insensitive (Unicode lower
// case) substring on decoded text: header fields with RFC 2047 encoded words decoded,
// BODY/TEXT on the text parts with their transfer encoding and charset undone
// (src/mime/text-search.ts).

import { decodeEncodedWords } from "../mime/encoded-words.ts";
import { fieldValue, getField } from "../mime/header.ts";
import { type MimePart, parseMime } from "../mime/structure.ts";
import { bodyTextHas, makeNeedle, type Needle } from "../mime/text-search.ts";
import type { SearchKey } from "../proto/imap/search-keys.ts";
import { seqContains } from "../proto/imap/seqset.ts";
import type { StoredMessage } from "../store/types.ts";
import { cachedHeader, headerOf } from "./cache.ts";
import type { RecentSet } from "./recent.ts";
import { type Ctx, type Done, no, ok, readAll } from "./context.ts";

const DAY = 86_400_000;

interface Item {
  seq: number;
  m: StoredMessage;
  max: { seq: number; uid: number };
  /** this session's \Recent messages */
  recent: RecentSet;
  content?: Content;
}

interface Content {
  bytes: Uint8Array;
  mime: MimePart;
  /** decoded (RFC 2047), lower-cased field values by field name, filled as searches ask for them */
  lower?: Map<string, string[]>;
  /** the whole header decoded and lower-cased, for TEXT */
  text?: string;
  /** the message's cached header (src/imap/cache.ts) when `bytes` is the whole message:
   *  header keys and TEXT keep their decoded values there, for the next SEARCH */
  head?: Content;
}

/** does any leaf key of `k` (under NOT, OR and AND) satisfy `leaf`? */
function someKey(k: SearchKey, leaf: (k: SearchKey) => boolean): boolean {
  switch (k.kind) {
    case "not":
      return someKey(k.key, leaf);
    case "or":
      return someKey(k.a, leaf) || someKey(k.b, leaf);
    case "and":
      return k.keys.some((x) => someKey(x, leaf));
    default:
      return leaf(k);
  }
}

/** does the key look past the top-level header (BODY, TEXT)? */
const needsBody = (k: SearchKey) => someKey(k, (x) => x.kind === "body" || x.kind === "text");

/** does the key look at header fields (header keys, TEXT, SENT* dates)? */
const needsHead = (k: SearchKey) => someKey(k, (x) => x.kind === "header" || x.kind === "text" || (x.kind === "date" && x.sent));

/** does the key need the message (header or body) at all? */
const needsContent = (k: SearchKey) => needsHead(k) || needsBody(k);


function hasFlag(m: StoredMessage, f: string): boolean {
  const flags = m.flags;
  for (let i = 0; i < flags.length; i++) if (flags[i] === f) return true;
  if (f.charCodeAt(0) === 0x5c) return false; // system flags are stored in their canonical case
  const lf = f.toLowerCase(); // keywords compare case-insensitively
  return flags.some((x) => x.toLowerCase() === lf);
}

/** the key with every string to look for in lower case, once per SEARCH rather than per message */
function lowerValues(k: SearchKey): SearchKey {
  switch (k.kind) {
    case "header":
    case "body":
    case "text":
      return { ...k, value: k.value.toLowerCase() };
    case "not":
      return { ...k, key: lowerValues(k.key) };
    case "or":
      return { ...k, a: lowerValues(k.a), b: lowerValues(k.b) };
    case "and":
      return { ...k, keys: k.keys.map(lowerValues) };
    default:
      return k;
  }
}

function dateMatch(op: "before" | "on" | "since", ms: number, day: number): boolean {
  const d = Math.floor(ms / DAY) * DAY; // RFC 3501 §6.4.4: dates disregard time
  return op === "before" ? d < day : op === "on" ? d === day : d >= day;
}

function headerMatch(it: Item, field: string, value: string): boolean {
  const values = fieldValues(it.content!, field);
  if (values.length === 0) return false;
  if (value === "") return true; // RFC 3501 §6.4.4 HEADER with an empty string: the field exists
  return values.some((v) => v.includes(value));
}

/** the decoded, lower-cased values of every `field` of the header (kept with a cached
 *  header); for address fields that is display names and addresses alike */
function fieldValues(whole: Content, field: string): string[] {
  const c = whole.head ?? whole;
  let got = c.lower?.get(field);
  if (got) return got;
  got = [];
  for (const f of c.mime.fields) if (f.name === field) got.push(decodedValue(c, f));
  (c.lower ??= new Map()).set(field, got);
  return got;
}

function decodedValue(c: Content, f: MimePart["fields"][number]): string {
  return decodeEncodedWords(fieldValue(c.bytes, f)).toLowerCase(); // RFC 2047 §6.1
}

/** the decoded, lower-cased header ("name: value" lines), for TEXT */
function headerText(whole: Content): string {
  const c = whole.head ?? whole;
  return (c.text ??= c.mime.fields.map((f) => `${f.name.toLowerCase()}: ${decodedValue(c, f)}`).join("\n"));
}

/** one Needle per BODY/TEXT key of a SEARCH (the keys are made afresh by lowerValues) */
const needles = new WeakMap<SearchKey, Needle>();

function needleOf(k: SearchKey & { value: string }): Needle {
  let n = needles.get(k);
  if (!n) needles.set(k, (n = makeNeedle(k.value)));
  return n;
}

export function matches(it: Item, k: SearchKey): boolean {
  const m = it.m;
  switch (k.kind) {
    case "all":
      return true;
    case "flag":
      return hasFlag(m, k.flag) === k.set;
    case "new": // RFC 3501 §6.4.4: RECENT UNSEEN
      return it.recent.has(m.uid) && !hasFlag(m, "\\Seen");
    case "old":
      return !it.recent.has(m.uid);
    case "recent":
      return it.recent.has(m.uid);
    case "header":
      return headerMatch(it, k.field, k.value);
    case "body": {
      const { bytes, mime } = it.content!;
      return bodyTextHas(bytes, mime, needleOf(k));
    }
    case "text": {
      const c = it.content!;
      return headerText(c).includes(k.value) || bodyTextHas(c.bytes, c.mime, needleOf(k));
    }
    case "date": {
      if (!k.sent) return dateMatch(k.op, m.internalDate, k.day);
      const d = Date.parse(getField(it.content!.bytes, it.content!.mime.fields, "DATE") ?? "");
      return !Number.isNaN(d) && dateMatch(k.op, d, k.day);
    }
    case "size":
      return k.op === "larger" ? m.size > k.n : m.size < k.n;
    case "seq":
      return seqContains(k.set, it.seq, it.max.seq);
    case "uid":
      return seqContains(k.set, m.uid, it.max.uid);
    case "modseq":
      return m.modseq >= k.n;
    case "not":
      return !matches(it, k.key);
    case "or":
      return matches(it, k.a) || matches(it, k.b);
    case "and":
      return k.keys.every((x) => matches(it, x));
    case "badcharset":
      return false; // answered before any message is looked at (see search)
    default: {
      const never: never = k;
      throw new Error(`bad search key ${String(never)}`);
    }
  }
}

export async function search(ctx: Ctx, uid: boolean, given: SearchKey, returnModseq: boolean): Promise<Done> {
  // RFC 3501 §6.4.4: an unsupported charset is a tagged NO (not BAD); §7.1 BADCHARSET
  if (given.kind === "badcharset") return no(`[BADCHARSET (UTF-8 US-ASCII)] unknown charset ${given.charset.replace(/[^\x21-\x7e]/g, "?")}`);
  const view = ctx.view!;
  const key = lowerValues(given);
  const byUid = view.snapshot();
  const content = needsContent(key);
  const body = content && needsBody(key); // else the cached header is enough
  const head = body && needsHead(key); // the whole message, and header keys or TEXT too
  const max = { seq: view.exists, uid: view.uids.length ? view.uids[view.uids.length - 1]! : 0 };
  const hits: number[] = [];
  let highest = 0;
  for (let i = 0; i < view.uids.length; i++) {
    const m = byUid.get(view.uids[i]!);
    if (!m) continue;
    const it: Item = { seq: i + 1, m, max, recent: view.recent };
    if (body) {
      const bytes = await readAll(view.folder, m.uid).catch(() => undefined);
      if (!bytes) continue;
      const h = head
        ? cachedHeader(view.folder, m.uid) ?? await headerOf(view.folder, m.uid, bytes).catch(() => undefined)
        : undefined;
      it.content = { bytes, mime: parseMime(bytes), head: h };
    } else if (content) {
      const h = cachedHeader(view.folder, m.uid) ?? await headerOf(view.folder, m.uid).catch(() => undefined);
      if (!h) continue;
      it.content = h;
    }
    if (!matches(it, key)) continue;
    hits.push(uid ? m.uid : i + 1);
    highest = Math.max(highest, m.modseq);
  }
  if (returnModseq) ctx.condstore = true;
  // RFC 7162 §3.1.5: (MODSEQ n) with the highest mod-sequence of the results
  const tail = returnModseq && hits.length > 0 ? ` (MODSEQ ${highest})` : "";
  ctx.untagged(`* SEARCH${hits.length ? " " + hits.join(" ") : ""}${tail}`);
  return ok(`${uid ? "UID SEARCH" : "SEARCH"} completed`);
}
