// An in-memory MailStore for IMAP session tests: shared folder handles, UIDs,
// MODSEQ, onChange, and the optional folder management members.
import { type FolderHandle, type MailStore, StoreError, type StoredMessage, type UserMailbox } from "../../src/store/types.ts";

const DEFAULTS = ["INBOX", "Sent", "Drafts", "Junk", "Trash"];

export class FakeFolder implements FolderHandle {
  uidValidity: number;
  uidNext = 1;
  /** a fake folder is "opened" empty: every message is new to IMAP's \Recent */
  readonly openUidNext = 1;
  highestModseq = 1;
  msgs: StoredMessage[] = [];
  bodies = new Map<number, Uint8Array>();

  constructor(public name: string, validity: number, private readonly changed: () => void) {
    this.uidValidity = validity;
  }
  list(): StoredMessage[] {
    return this.msgs.map((m) => ({ ...m, flags: [...m.flags] }));
  }
  refresh(): Promise<void> {
    return Promise.resolve();
  }
  async *read(uid: number): AsyncIterable<Uint8Array> {
    const b = this.bodies.get(uid);
    if (!b) throw new StoreError(`no message ${uid}`);
    yield b;
  }
  setFlags(uids: number[], flags: string[], mode: "set" | "add" | "remove"): Promise<StoredMessage[]> {
    const out: StoredMessage[] = [];
    const want = new Set(uids);
    for (const m of this.msgs) {
      if (!want.has(m.uid)) continue;
      const before = m.flags.join(" ");
      const lower = flags.map((f) => f.toLowerCase());
      if (mode === "set") m.flags = [...new Set(flags)];
      else if (mode === "add") for (const f of flags) !m.flags.some((x) => x.toLowerCase() === f.toLowerCase()) && m.flags.push(f);
      else m.flags = m.flags.filter((x) => !lower.includes(x.toLowerCase()));
      if (m.flags.join(" ") !== before) m.modseq = ++this.highestModseq;
      out.push({ ...m, flags: [...m.flags] });
    }
    this.changed();
    return Promise.resolve(out);
  }
  expunge(uids: number[]): Promise<void> {
    const gone = new Set(uids);
    this.msgs = this.msgs.filter((m) => !gone.has(m.uid));
    for (const u of uids) this.bodies.delete(u);
    this.highestModseq++;
    this.changed();
    return Promise.resolve();
  }
  async append(body: AsyncIterable<Uint8Array> | Uint8Array, flags: string[] = [], internalDate?: number): Promise<number> {
    let bytes: Uint8Array;
    if (body instanceof Uint8Array) bytes = body.slice();
    else {
      const parts: Uint8Array[] = [];
      for await (const c of body) parts.push(c);
      bytes = Buffer.concat(parts);
    }
    const uid = this.uidNext++;
    this.bodies.set(uid, bytes);
    this.msgs.push({ uid, key: `k${uid}`, size: bytes.length, flags: [...flags], internalDate: internalDate ?? Date.now(), modseq: ++this.highestModseq });
    this.changed();
    return uid;
  }
}

export class FakeMailbox implements UserMailbox {
  readonly folderMap = new Map<string, FakeFolder>();
  subs = new Set<string>(DEFAULTS);
  private validity = 1000;
  constructor(readonly address: string, private readonly emit: (f: string) => void) {
    for (const f of DEFAULTS) this.make(f);
  }
  private make(name: string): FakeFolder {
    const f = new FakeFolder(name, this.validity++, () => this.emit(f.name));
    this.folderMap.set(name, f);
    return f;
  }
  private canon(name: string): string {
    return name.toUpperCase() === "INBOX" ? "INBOX" : name;
  }
  folders(): Promise<string[]> {
    return Promise.resolve(["INBOX", ...[...this.folderMap.keys()].filter((n) => n !== "INBOX").sort()]);
  }
  folder(name: string): Promise<FolderHandle> {
    const f = this.folderMap.get(this.canon(name));
    return f ? Promise.resolve(f) : Promise.reject(new StoreError(`no folder ${name}`));
  }
  /** synchronous access for tests */
  get(name: string): FakeFolder {
    return this.folderMap.get(this.canon(name))!;
  }
  createFolder(name: string): Promise<FolderHandle> {
    if (!name || name.startsWith(".") || name.endsWith(".") || name.includes("..") || name.includes("/")) {
      return Promise.reject(new StoreError(`invalid folder name ${name}`));
    }
    return Promise.resolve(this.folderMap.get(this.canon(name)) ?? this.make(name));
  }
  usage(): Promise<number> {
    let n = 0;
    for (const f of this.folderMap.values()) for (const m of f.msgs) n += m.size;
    return Promise.resolve(n);
  }
  deleteFolder(name: string): Promise<void> {
    if (this.canon(name) === "INBOX" || !this.folderMap.delete(name)) return Promise.reject(new StoreError(`cannot delete ${name}`));
    return Promise.resolve();
  }
  renameFolder(from: string, to: string): Promise<void> {
    for (const [n, f] of [...this.folderMap]) {
      if (n !== from && !n.startsWith(from + ".")) continue;
      const nn = to + n.slice(from.length);
      this.folderMap.delete(n);
      f.name = nn;
      f.uidValidity = this.validity++;
      this.folderMap.set(nn, f);
    }
    return Promise.resolve();
  }
  subscriptions(): Promise<string[]> {
    return Promise.resolve([...this.subs]);
  }
  setSubscribed(name: string, on: boolean): Promise<void> {
    if (on) this.subs.add(name);
    else this.subs.delete(name);
    return Promise.resolve();
  }
}

export class FakeImapStore implements MailStore {
  readonly boxes = new Map<string, FakeMailbox>();
  private listeners = new Set<(a: string, f: string) => void>();
  mailbox(address: string): Promise<UserMailbox> {
    return Promise.resolve(this.box(address));
  }
  box(address: string): FakeMailbox {
    const a = address.toLowerCase();
    let b = this.boxes.get(a);
    if (!b) {
      b = new FakeMailbox(a, (f) => this.emit(a, f));
      this.boxes.set(a, b);
    }
    return b;
  }
  onChange(fn: (address: string, folder: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  emit(address: string, folder: string): void {
    for (const fn of this.listeners) fn(address, folder);
  }
}
