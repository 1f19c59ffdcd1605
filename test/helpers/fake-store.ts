// An in-memory MailStore (src/store/types.ts) for POP3/IMAP session tests.
import type { FolderHandle, MailStore, StoredMessage, UserMailbox } from "../../src/store/types.ts";

const enc = new TextEncoder();

interface Entry {
  meta: StoredMessage;
  bytes: Uint8Array;
}

export class FakeFolder implements FolderHandle {
  uidNext = 1;
  highestModseq = 1;
  readonly entries: Entry[] = [];
  /** read() yields chunks of this size */
  chunkSize = 7;
  /** make read() fail: "open" before the first chunk, "middle" after it */
  failRead: "open" | "middle" | undefined;
  failExpunge = false;
  expunged: number[][] = [];
  reads = 0;
  openReaders = 0;

  constructor(readonly name: string, readonly uidValidity = 1700000000) {}

  list(): StoredMessage[] {
    return this.entries.map((e) => ({ ...e.meta, flags: [...e.meta.flags] }));
  }

  refresh(): Promise<void> {
    return Promise.resolve();
  }

  async *read(uid: number): AsyncIterable<Uint8Array> {
    this.reads++;
    const e = this.entries.find((x) => x.meta.uid === uid);
    if (!e || this.failRead === "open") throw new Error(`no message with uid ${uid}`);
    this.openReaders++;
    try {
      for (let i = 0; i < e.bytes.length; i += this.chunkSize) {
        await Promise.resolve();
        if (this.failRead === "middle" && i > 0) throw new Error("disk error");
        yield e.bytes.slice(i, i + this.chunkSize);
      }
    } finally {
      this.openReaders--;
    }
  }

  setFlags(uids: number[], flags: string[], mode: "set" | "add" | "remove"): Promise<StoredMessage[]> {
    const out: StoredMessage[] = [];
    for (const e of this.entries) {
      if (!uids.includes(e.meta.uid)) continue;
      const f = new Set(mode === "set" ? [] : e.meta.flags);
      for (const x of flags) mode === "remove" ? f.delete(x) : f.add(x);
      e.meta.flags = [...f];
      e.meta.modseq = ++this.highestModseq;
      out.push({ ...e.meta });
    }
    return Promise.resolve(out);
  }

  async expunge(uids: number[]): Promise<void> {
    await Promise.resolve();
    if (this.failExpunge) throw new Error("expunge failed");
    this.expunged.push([...uids]);
    for (const uid of uids) {
      const i = this.entries.findIndex((e) => e.meta.uid === uid);
      if (i >= 0) this.entries.splice(i, 1);
    }
  }

  async append(body: AsyncIterable<Uint8Array> | Uint8Array, flags: string[] = [], internalDate = Date.now()): Promise<number> {
    let bytes: Uint8Array;
    if (body instanceof Uint8Array) bytes = body.slice();
    else {
      const parts: Uint8Array[] = [];
      for await (const p of body) parts.push(p.slice());
      bytes = concat(parts);
    }
    const uid = this.uidNext++;
    this.entries.push({
      meta: { uid, key: `msg${uid}`, size: bytes.length, flags: [...flags], internalDate, modseq: ++this.highestModseq },
      bytes,
    });
    return uid;
  }

  /** test helper: add a message given as text */
  add(text: string | Uint8Array): Promise<number> {
    return this.append(typeof text === "string" ? enc.encode(text) : text);
  }
}

export class FakeMailbox implements UserMailbox {
  readonly byName = new Map<string, FakeFolder>();
  constructor(readonly address: string) {
    for (const f of ["INBOX", "Sent", "Drafts", "Junk", "Trash"]) this.byName.set(f, new FakeFolder(f));
  }
  folders(): Promise<string[]> {
    return Promise.resolve([...this.byName.keys()]);
  }
  folder(name: string): Promise<FolderHandle> {
    const f = this.byName.get(name);
    return f ? Promise.resolve(f) : Promise.reject(new Error(`no folder ${name}`));
  }
  createFolder(name: string): Promise<FolderHandle> {
    let f = this.byName.get(name);
    if (!f) this.byName.set(name, f = new FakeFolder(name));
    return Promise.resolve(f);
  }
  usage(): Promise<number> {
    let n = 0;
    for (const f of this.byName.values()) for (const e of f.entries) n += e.meta.size;
    return Promise.resolve(n);
  }
  get inbox(): FakeFolder {
    return this.byName.get("INBOX")!;
  }
}

export class FakeStore implements MailStore {
  readonly boxes = new Map<string, FakeMailbox>();
  failOpen = false;
  private readonly listeners = new Set<(a: string, f: string) => void>();

  box(address: string): FakeMailbox {
    const key = address.toLowerCase();
    let b = this.boxes.get(key);
    if (!b) this.boxes.set(key, b = new FakeMailbox(key));
    return b;
  }

  mailbox(address: string): Promise<UserMailbox> {
    if (this.failOpen) return Promise.reject(new Error("store unavailable"));
    return Promise.resolve(this.box(address));
  }

  onChange(fn: (address: string, folder: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
