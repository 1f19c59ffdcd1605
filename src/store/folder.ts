// One Maildir folder (cur/ new/ tmp/) with its index: UIDs, flags, MODSEQ.
//
// Writers in this process are serialised per folder (a promise chain); the message
// files themselves are written outside the lock, so concurrent deliveries only queue
// for the short index update. Other programs may drop files into new/ or remove
// files: refresh() notices (a file without an index entry gets the next UID).

import type { MaildirFs } from "../runtime/maildir-fs.ts";
import { decodeIndex, encodeIndex, type FolderIndex, INDEX_FILE, type IndexEntry } from "./index-file.ts";
import { decodeLog, encodeRecords, INDEX_LOG, type LogRecord, replay } from "./index-log.ts";
import { flagsOfInfo, infoOf, isSystemFlag, sizeOfKey, splitName, uniqueBase } from "./names.ts";
import { type FolderHandle, StoreError, type StoredMessage } from "./types.ts";
import { concatBytes } from "../core/bytes.ts";

export interface FolderEnv {
  fs: MaildirFs;
  now: () => number;
  hostname: string;
  pid: number;
  random: () => string;
  /** called after a change is durable */
  changed: () => void;
}

export class MaildirFolder implements FolderHandle {
  private ix!: FolderIndex;
  private listCache: { msgs: IndexEntry[]; modseq: number; list: StoredMessage[] } | undefined;
  private byUid = new Map<number, IndexEntry>();
  /** keys being appended right now: refresh() must not adopt them */
  private pending = new Set<string>();
  private chain: Promise<unknown> = Promise.resolve();
  /** records in the journal since the last snapshot */
  private journalled = 0;
  /** UIDNEXT when opened, before reconcile() adopted new files (see FolderHandle) */
  openUidNext = 1;

  private constructor(readonly name: string, readonly dir: string, private readonly env: FolderEnv) {}

  /** open (create) the folder at `dir` and load or rebuild its index */
  static async open(name: string, dir: string, env: FolderEnv): Promise<MaildirFolder> {
    for (const sub of ["cur", "new", "tmp"]) env.fs.mkdirp(`${dir}/${sub}`);
    const f = new MaildirFolder(name, dir, env);
    const bytes = env.fs.readSmall(`${dir}/${INDEX_FILE}`);
    const loaded = bytes ? decodeIndex(bytes) : undefined;
    const log = env.fs.readSmall(`${dir}/${INDEX_LOG}`);
    const inLog = log !== undefined && log.length > 0;
    // the journal belongs to the snapshot's UIDVALIDITY: without a snapshot it is dropped
    if (loaded && inLog) replay(loaded, decodeLog(log).records);
    f.setIndex(loaded ?? { uidValidity: Math.max(1, Math.floor(env.now() / 1000)), uidNext: 1, highestModseq: 0, messages: [] });
    f.journalled = inLog ? 1 : 0; // a journal on disk is emptied by the new snapshot below
    f.openUidNext = f.ix.uidNext; // files adopted by reconcile() below count as new
    const changed = f.reconcile();
    if (!loaded || changed || inLog) await f.persist(); // a replayed journal is folded into a new snapshot
    return f;
  }

  get uidValidity(): number {
    return this.ix.uidValidity;
  }
  get uidNext(): number {
    return this.ix.uidNext;
  }
  get highestModseq(): number {
    return this.ix.highestModseq;
  }

  /**
   * The messages as plain objects, built once per change of the index and shared by
   * every caller until the next change (callers must treat them as read-only). Every
   * change makes a new message array or advances HIGHESTMODSEQ (an append pushes onto
   * the array, but with a new MODSEQ), so those two tell whether the list is current.
   */
  list(): StoredMessage[] {
    const ix = this.ix;
    const c = this.listCache;
    if (c && c.msgs === ix.messages && c.modseq === ix.highestModseq) return c.list;
    const list = ix.messages.map(toStored);
    this.listCache = { msgs: ix.messages, modseq: ix.highestModseq, list };
    return list;
  }

  /** bytes used by this folder's messages */
  usage(): number {
    let n = 0;
    for (const m of this.ix.messages) n += m.size;
    return n;
  }

  refresh(): Promise<void> {
    return this.locked(async () => {
      if (this.reconcile()) {
        await this.persist();
        this.env.changed();
      }
    });
  }

  async *read(uid: number): AsyncIterable<Uint8Array> {
    const m = this.byUid.get(uid);
    if (!m) throw new StoreError(`no message with uid ${uid} in ${this.name}`);
    try {
      yield* this.env.fs.read(`${this.dir}/${m.file}`);
    } catch (e) {
      if ((e as { code?: string }).code === "ENOENT") throw new StoreError(`message uid ${uid} in ${this.name} was removed by another program`);
      throw e;
    }
  }

  /**
   * The whole message: one synchronous read for messages up to WHOLE_READ_MAX (the page
   * cache makes that cheaper than a chunked async read: one syscall, no promise per
   * chunk, no EOF probe), streamed and joined above it.
   */
  async readBytes(uid: number): Promise<Uint8Array> {
    const m = this.byUid.get(uid);
    if (!m) throw new StoreError(`no message with uid ${uid} in ${this.name}`);
    if (m.size > WHOLE_READ_MAX) return join(await collect(this.read(uid)));
    const bytes = this.env.fs.readSmall(`${this.dir}/${m.file}`);
    if (!bytes) throw new StoreError(`message uid ${uid} in ${this.name} was removed by another program`);
    return bytes;
  }

  readInto(uid: number, buf: Uint8Array, off: number): number | undefined {
    const m = this.byUid.get(uid);
    if (!m) return undefined;
    return this.env.fs.readInto(`${this.dir}/${m.file}`, buf, off, m.size);
  }

  async append(body: AsyncIterable<Uint8Array> | Uint8Array, flags: string[] = [], internalDate?: number): Promise<number> {
    const { fs } = this.env;
    const now = this.env.now();
    const base = uniqueBase(now, this.env.pid, this.env.hostname, this.env.random());
    const tmp = `${this.dir}/tmp/${base}`;
    // Maildir: write into tmp/, fsync, then rename into new/ (or cur/ with flags)
    const size = await fs.writeNew(tmp, body instanceof Uint8Array ? [body] : body);
    const key = `${base},S=${size}`;
    const clean = normaliseFlags(flags);
    const info = infoOf(clean);
    const file = clean.length ? `cur/${key}:2,${info}` : `new/${key}`;
    this.pending.add(key);
    try {
      try {
        fs.rename(tmp, `${this.dir}/${file}`);
      } catch (e) {
        fs.unlink(tmp);
        throw e;
      }
      await fs.fsyncDir(`${this.dir}/${file.slice(0, 3)}`);
      return await this.locked(async () => {
        const uid = this.ix.uidNext++;
        const entry: IndexEntry = { uid, key, file, size, flags: clean, internalDate: internalDate ?? now, modseq: ++this.ix.highestModseq };
        this.ix.messages.push(entry);
        this.byUid.set(uid, entry);
        await this.journal([{ t: "append", entry, uidNext: this.ix.uidNext, highestModseq: this.ix.highestModseq }]);
        this.env.changed();
        return uid;
      });
    } finally {
      this.pending.delete(key);
    }
  }

  setFlags(uids: number[], flags: string[], mode: "set" | "add" | "remove"): Promise<StoredMessage[]> {
    const given = normaliseFlags(flags);
    return this.locked(async () => {
      const out: StoredMessage[] = [];
      const dirs = new Set<string>();
      const records: LogRecord[] = [];
      const vanished: number[] = [];
      for (const uid of uids) {
        const m = this.byUid.get(uid);
        if (!m) continue;
        const next = applyFlags(m.flags, given, mode);
        if (sameFlags(next, m.flags)) {
          out.push(toStored(m));
          continue;
        }
        if (!this.moveForFlags(m, next, dirs)) {
          vanished.push(uid);
          continue;
        }
        m.flags = next;
        m.modseq = ++this.ix.highestModseq; // RFC 7162 §3.1: every flag change gets a new MODSEQ
        records.push({ t: "flags", uid, file: m.file, flags: next, modseq: m.modseq, highestModseq: this.ix.highestModseq });
        out.push(toStored(m));
      }
      for (const d of dirs) await this.env.fs.fsyncDir(`${this.dir}/${d}`);
      if (vanished.length) {
        this.ix.messages = this.ix.messages.filter((m) => this.byUid.has(m.uid));
        this.ix.highestModseq++; // RFC 7162 §3.2.10: expunges advance HIGHESTMODSEQ
        records.push({ t: "expunge", uids: vanished, highestModseq: this.ix.highestModseq });
      }
      if (records.length) await this.journal(records);
      if (out.length) this.env.changed();
      return out;
    });
  }

  expunge(uids: number[]): Promise<void> {
    return this.locked(async () => {
      const gone = new Set<number>();
      const dirs = new Set<string>();
      for (const uid of uids) {
        const m = this.byUid.get(uid);
        if (!m) continue;
        this.env.fs.unlink(`${this.dir}/${m.file}`);
        dirs.add(m.file.slice(0, 3));
        gone.add(uid);
      }
      if (gone.size === 0) return;
      for (const d of dirs) await this.env.fs.fsyncDir(`${this.dir}/${d}`);
      this.ix.messages = this.ix.messages.filter((m) => !gone.has(m.uid));
      for (const uid of gone) this.byUid.delete(uid);
      this.ix.highestModseq++; // RFC 7162 §3.2.10: expunges advance HIGHESTMODSEQ
      await this.journal([{ t: "expunge", uids: [...gone], highestModseq: this.ix.highestModseq }]);
      this.env.changed();
    });
  }

  /** resolves once the writes queued so far have finished */
  idle(): Promise<void> {
    return this.locked(() => Promise.resolve());
  }

  // ---- internals -----------------------------------------------------------------

  /** rename the file so its ":2," info matches `next`; false when the file is gone */
  private moveForFlags(m: IndexEntry, next: string[], dirs: Set<string>): boolean {
    const file = `cur/${m.key}:2,${infoOf(next)}`;
    if (file === m.file) return true;
    try {
      this.env.fs.rename(`${this.dir}/${m.file}`, `${this.dir}/${file}`);
    } catch (e) {
      if ((e as { code?: string }).code !== "ENOENT") throw e;
      this.byUid.delete(m.uid); // removed by another program
      return false;
    }
    dirs.add("cur");
    if (m.file.startsWith("new/")) dirs.add("new");
    m.file = file;
    return true;
  }

  private setIndex(ix: FolderIndex): void {
    this.ix = ix;
    this.byUid = new Map(ix.messages.map((m) => [m.uid, m]));
  }

  /** bring the index in step with new/ and cur/; true when anything changed */
  private reconcile(): boolean {
    const onDisk = new Map<string, string>(); // key → file
    for (const sub of ["new", "cur"]) {
      for (const name of this.env.fs.readdir(`${this.dir}/${sub}`)) {
        if (name.startsWith(".")) continue;
        const { key } = splitName(name);
        if (!this.pending.has(key)) onDisk.set(key, `${sub}/${name}`);
      }
    }
    let changed = false;
    let removed = false;
    const kept: IndexEntry[] = [];
    for (const m of this.ix.messages) {
      const file = onDisk.get(m.key);
      onDisk.delete(m.key);
      if (file === undefined) {
        if (this.pending.has(m.key)) kept.push(m);
        else removed = changed = true; // removed by another program
        continue;
      }
      if (file !== m.file) {
        m.file = file;
        const sys = flagsOfInfo(splitName(file).info);
        const next = [...sys, ...m.flags.filter((f) => !isSystemFlag(f))];
        if (!sameFlags(next, m.flags) && file.startsWith("cur/")) {
          m.flags = next;
          m.modseq = ++this.ix.highestModseq;
        }
        changed = true;
      }
      kept.push(m);
    }
    const added = [...onDisk].map(([key, file]) => ({ key, file, stat: this.env.fs.stat(`${this.dir}/${file}`) }));
    added.sort((a, b) => (a.stat?.mtimeMs ?? 0) - (b.stat?.mtimeMs ?? 0) || (a.key < b.key ? -1 : 1));
    for (const a of added) {
      if (!a.stat) continue; // vanished meanwhile
      const uid = this.ix.uidNext++;
      kept.push({
        uid, key: a.key, file: a.file, size: sizeOfKey(a.key) ?? a.stat.size,
        flags: flagsOfInfo(splitName(a.file).info), internalDate: Math.floor(a.stat.mtimeMs), modseq: ++this.ix.highestModseq,
      });
      changed = true;
    }
    if (changed) {
      if (removed) this.ix.highestModseq++; // RFC 7162 §3.2.10: expunges advance HIGHESTMODSEQ
      this.setIndex({ ...this.ix, messages: kept.sort((a, b) => a.uid - b.uid) });
    }
    return changed;
  }

  /** the whole index as a new snapshot; then the journal is emptied */
  private async persist(): Promise<void> {
    await this.env.fs.replaceAtomic(`${this.dir}/${INDEX_FILE}`, encodeIndex(this.ix));
    if (this.journalled > 0) await this.env.fs.truncateDurable(`${this.dir}/${INDEX_LOG}`);
    this.journalled = 0;
  }

  /** make changes durable: appended to the journal, or a new snapshot once the journal is long */
  private journal(records: LogRecord[]): Promise<void> {
    if (this.journalled + records.length > Math.max(JOURNAL_MIN, this.ix.messages.length / 2)) return this.persist();
    this.journalled += records.length;
    return this.env.fs.appendDurable(`${this.dir}/${INDEX_LOG}`, encodeRecords(records));
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }
}

/** the journal may hold this many records, or half the folder's message count, before a new snapshot */
const JOURNAL_MIN = 256;

/** messages up to this size are read whole with one synchronous read */
const WHOLE_READ_MAX = 1024 * 1024;

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const parts: Uint8Array[] = [];
  for await (const c of it) parts.push(c);
  return parts;
}

const join = (parts: Uint8Array[]): Uint8Array => concatBytes(parts);

function toStored(m: IndexEntry): StoredMessage {
  return { uid: m.uid, key: m.key, size: m.size, flags: [...m.flags], internalDate: m.internalDate, modseq: m.modseq };
}

/** "\\seen" → "\\Seen"; drop duplicates, empty and "\\Recent" (never stored, RFC 3501 §2.3.2) */
function normaliseFlags(flags: string[]): string[] {
  const out: string[] = [];
  for (const f of flags) {
    if (!f || /[\s()\]{%*"\\]/.test(f.slice(1)) || f.toLowerCase() === "\\recent") continue;
    const canon = isSystemFlag(f) ? "\\" + f[1]!.toUpperCase() + f.slice(2).toLowerCase() : f;
    if (!out.some((o) => o.toLowerCase() === canon.toLowerCase())) out.push(canon);
  }
  return out;
}

function applyFlags(current: string[], given: string[], mode: "set" | "add" | "remove"): string[] {
  const has = (list: string[], f: string) => list.some((x) => x.toLowerCase() === f.toLowerCase());
  switch (mode) {
    case "set":
      return [...given];
    case "add":
      return [...current, ...given.filter((f) => !has(current, f))];
    case "remove":
      return current.filter((f) => !has(given, f));
    default: {
      const never: never = mode;
      throw new StoreError(`unknown flag mode ${String(never)}`);
    }
  }
}

function sameFlags(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a.map((x) => x.toLowerCase()));
  return b.every((x) => s.has(x.toLowerCase()));
}
