// Parse one assembled IMAP command (RFC 3501 §6, §9) into a typed value.
// A syntax error yields { kind: "bad" } with the tag (if one was readable) and why.

import { type FetchItem, parseFetchItems } from "./fetch-items.ts";
import { ImapSyntaxError, Reader } from "./reader.ts";
import { parseDateTime, parseSearchProgram, type SearchKey } from "./search-keys.ts";
import { parseSeqSet, type SeqSet } from "./seqset.ts";

export type StatusItem = "MESSAGES" | "RECENT" | "UIDNEXT" | "UIDVALIDITY" | "UNSEEN" | "HIGHESTMODSEQ" | "SIZE";
const STATUS_ITEMS = new Set(["MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "HIGHESTMODSEQ", "SIZE"]);

export type Command =
  | { name: "CAPABILITY" | "NOOP" | "LOGOUT" | "STARTTLS" | "CHECK" | "CLOSE" | "UNSELECT" | "EXPUNGE" | "IDLE" | "NAMESPACE" }
  | { name: "AUTHENTICATE"; mechanism: string; initial?: string }
  | { name: "LOGIN"; user: string; password: string }
  | { name: "SELECT" | "EXAMINE"; mailbox: string; condstore: boolean }
  | { name: "CREATE" | "DELETE" | "SUBSCRIBE" | "UNSUBSCRIBE"; mailbox: string }
  | { name: "RENAME"; from: string; to: string }
  | { name: "LIST" | "LSUB"; reference: string; patterns: string[]; specialUseOnly: boolean; subscribedOnly: boolean }
  | { name: "STATUS"; mailbox: string; items: StatusItem[] }
  | { name: "APPEND"; mailbox: string; flags: string[]; date?: number; message: Uint8Array }
  | { name: "UID EXPUNGE"; uid: true; set: SeqSet }
  | { name: "SEARCH"; uid: boolean; key: SearchKey; returnModseq: boolean }
  | { name: "FETCH"; uid: boolean; set: SeqSet; items: FetchItem[]; changedSince?: number }
  | { name: "STORE"; uid: boolean; set: SeqSet; mode: "set" | "add" | "remove"; silent: boolean; flags: string[]; unchangedSince?: number }
  | { name: "COPY" | "MOVE"; uid: boolean; set: SeqSet; mailbox: string }
  | { name: "ENABLE"; capabilities: string[] }
  | { name: "ID"; params: Record<string, string | null> | null };

export type Parsed =
  | { kind: "ok"; tag: string; cmd: Command }
  | { kind: "bad"; tag: string; message: string };

const SIMPLE = new Set(["CAPABILITY", "NOOP", "LOGOUT", "STARTTLS", "CHECK", "CLOSE", "UNSELECT", "EXPUNGE", "IDLE", "NAMESPACE"]);

export function parseCommand(bytes: Uint8Array): Parsed {
  const r = new Reader(bytes);
  let tag = "*";
  try {
    tag = r.atom(); // RFC 3501 §9: tag = 1*<any ASTRING-CHAR except "+">
    if (tag.includes("+")) r.fail("a tag without +");
    r.sp();
    const name = r.word();
    const cmd = parseNamed(r, name);
    r.end();
    return { kind: "ok", tag, cmd };
  } catch (e) {
    if (e instanceof ImapSyntaxError) return { kind: "bad", tag, message: e.message };
    throw e;
  }
}

function parseNamed(r: Reader, name: string): Command {
  if (SIMPLE.has(name)) return { name } as Command;
  switch (name) {
    case "AUTHENTICATE": {
      r.sp();
      const mechanism = r.atom().toUpperCase();
      if (r.atEnd) return { name, mechanism };
      r.sp();
      return { name, mechanism, initial: r.atom("=") }; // RFC 4959 SASL-IR
    }
    case "LOGIN": {
      r.sp();
      const user = r.astring();
      r.sp();
      return { name, user, password: r.astring() };
    }
    case "SELECT":
    case "EXAMINE":
      return parseSelect(r, name);
    case "CREATE":
    case "DELETE":
    case "SUBSCRIBE":
    case "UNSUBSCRIBE":
      r.sp();
      return { name, mailbox: r.astring() };
    case "RENAME": {
      r.sp();
      const from = r.astring();
      r.sp();
      return { name, from, to: r.astring() };
    }
    case "LIST":
    case "LSUB":
      return parseList(r, name);
    case "STATUS":
      return parseStatus(r);
    case "APPEND":
      return parseAppend(r);
    case "SEARCH":
      return parseSearch(r, false);
    case "FETCH":
      return parseFetch(r, false);
    case "STORE":
      return parseStore(r, false);
    case "COPY":
    case "MOVE":
      return parseCopy(r, name, false);
    case "UID":
      return parseUid(r);
    case "ENABLE":
      return { name, capabilities: parseWords(r) };
    case "ID":
      return parseId(r);
    default:
      return r.fail(`a command, not "${name.slice(0, 32)}"`);
  }
}

function parseWords(r: Reader): string[] {
  const out: string[] = [];
  while (!r.atEnd) {
    r.sp();
    out.push(r.atom().toUpperCase());
  }
  if (out.length === 0) r.fail("at least one capability");
  return out;
}

function parseSelect(r: Reader, name: "SELECT" | "EXAMINE"): Command {
  r.sp();
  const mailbox = r.astring();
  let condstore = false;
  if (!r.atEnd) {
    r.sp();
    // RFC 4466 §2.1 select-params; RFC 7162 §3.1.8 CONDSTORE
    for (const p of r.list(() => r.word())) if (p === "CONDSTORE") condstore = true;
  }
  return { name, mailbox, condstore };
}

function parseList(r: Reader, name: "LIST" | "LSUB"): Command {
  r.sp();
  let specialUseOnly = false;
  let subscribedOnly = name === "LSUB";
  if (name === "LIST" && r.peek() === 0x28) {
    // RFC 5258 §3 list-select-opts; RFC 6154 §3 SPECIAL-USE
    for (const o of r.list(() => r.word())) {
      if (o === "SPECIAL-USE") specialUseOnly = true;
      if (o === "SUBSCRIBED") subscribedOnly = true;
    }
    r.sp();
  }
  const reference = r.astring();
  r.sp();
  const patterns = r.peek() === 0x28 ? r.list(() => r.listMailbox(), false) : [r.listMailbox()];
  if (!r.atEnd) {
    r.sp();
    if (r.word() !== "RETURN") r.fail("RETURN");
    r.sp();
    r.list(() => r.word()); // RFC 5258 §3 return options: we always return what we have
  }
  return { name, reference, patterns, specialUseOnly, subscribedOnly };
}

function parseStatus(r: Reader): Command {
  r.sp();
  const mailbox = r.astring();
  r.sp();
  const items = r.list(() => {
    const w = r.word();
    if (!STATUS_ITEMS.has(w)) r.fail(`a STATUS item, not "${w}"`);
    return w as StatusItem;
  }, false);
  return { name: "STATUS", mailbox, items };
}

function parseAppend(r: Reader): Command {
  r.sp();
  const mailbox = r.astring();
  r.sp();
  let flags: string[] = [];
  let date: number | undefined;
  if (r.peek() === 0x28) {
    flags = r.list(() => r.flag());
    r.sp();
  }
  if (r.peek() === 0x22) {
    const text = r.string();
    date = parseDateTime(text);
    if (date === undefined) r.fail(`a date-time like "01-Jan-2024 10:00:00 +0000", not "${text}"`);
    r.sp();
  }
  if (r.peek() !== 0x7b) r.fail("a literal with the message");
  return { name: "APPEND", mailbox, flags, ...(date !== undefined ? { date } : {}), message: r.stringBytes() };
}

function parseSearch(r: Reader, uid: boolean): Command {
  r.sp();
  let returnModseq = false;
  const key = parseSearchProgram(r); // RFC 3501 §6.4.4 [CHARSET x] search keys
  returnModseq = hasModseq(key);
  return { name: "SEARCH", uid, key, returnModseq };
}

function hasModseq(k: SearchKey): boolean {
  switch (k.kind) {
    case "modseq":
      return true;
    case "not":
      return hasModseq(k.key);
    case "or":
      return hasModseq(k.a) || hasModseq(k.b);
    case "and":
      return k.keys.some(hasModseq);
    default:
      return false;
  }
}

function parseFetch(r: Reader, uid: boolean): Command {
  r.sp();
  const set = parseSeqSet(r.seqSetText());
  r.sp();
  const items = parseFetchItems(r);
  let changedSince: number | undefined;
  if (!r.atEnd) {
    r.sp();
    // RFC 7162 §3.1.4.1 CHANGEDSINCE fetch modifier
    r.list(() => {
      const m = r.word();
      if (m !== "CHANGEDSINCE") r.fail(`CHANGEDSINCE, not "${m}"`);
      r.sp();
      changedSince = r.number();
    });
  }
  return { name: "FETCH", uid, set, items, ...(changedSince !== undefined ? { changedSince } : {}) };
}

function parseStore(r: Reader, uid: boolean): Command {
  r.sp();
  const set = parseSeqSet(r.seqSetText());
  r.sp();
  let unchangedSince: number | undefined;
  if (r.peek() === 0x28) {
    // RFC 7162 §3.1.3 UNCHANGEDSINCE store modifier
    r.list(() => {
      const m = r.word();
      if (m !== "UNCHANGEDSINCE") r.fail(`UNCHANGEDSINCE, not "${m}"`);
      r.sp();
      unchangedSince = r.number();
    });
    r.sp();
  }
  let mode: "set" | "add" | "remove" = "set";
  if (r.take(0x2b)) mode = "add";
  else if (r.take(0x2d)) mode = "remove";
  const op = r.word();
  const m = /^FLAGS(\.SILENT)?$/.exec(op);
  if (!m) r.fail(`FLAGS, +FLAGS or -FLAGS, not "${op}"`);
  r.sp();
  const flags = r.peek() === 0x28 ? r.list(() => r.flag()) : spaceFlags(r);
  return { name: "STORE", uid, set, mode, silent: m[1] !== undefined, flags, ...(unchangedSince !== undefined ? { unchangedSince } : {}) };
}

function spaceFlags(r: Reader): string[] {
  const out = [r.flag()];
  while (!r.atEnd) {
    r.sp();
    out.push(r.flag());
  }
  return out;
}

function parseCopy(r: Reader, name: "COPY" | "MOVE", uid: boolean): Command {
  r.sp();
  const set = parseSeqSet(r.seqSetText());
  r.sp();
  return { name, uid, set, mailbox: r.astring() };
}

function parseUid(r: Reader): Command {
  r.sp();
  const sub = r.word();
  switch (sub) {
    case "FETCH":
      return parseFetch(r, true);
    case "SEARCH":
      return parseSearch(r, true);
    case "STORE":
      return parseStore(r, true);
    case "COPY":
    case "MOVE":
      return parseCopy(r, sub, true);
    case "EXPUNGE": // RFC 4315 §2.1
      r.sp();
      return { name: "UID EXPUNGE", uid: true, set: parseSeqSet(r.seqSetText()) };
    default:
      return r.fail(`FETCH, SEARCH, STORE, COPY, MOVE or EXPUNGE after UID, not "${sub}"`);
  }
}

function parseId(r: Reader): Command {
  r.sp();
  if (r.peek() !== 0x28) {
    r.nstring();
    return { name: "ID", params: null };
  }
  const params: Record<string, string | null> = {};
  const flat = r.list(() => r.nstring());
  for (let i = 0; i + 1 < flat.length; i += 2) params[String(flat[i])] = flat[i + 1] ?? null;
  return { name: "ID", params };
}
