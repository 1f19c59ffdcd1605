// The Maildir++ mail store: <root>/<domain>/<localpart>/ is a user's INBOX, with
// folders .Sent .Drafts .Junk .Trash created alongside. Folder handles are opened
// once per process and shared (one in-memory index per folder).

import { randomBytes } from "node:crypto";
import { type MaildirFs, nodeMaildirFs } from "../runtime/maildir-fs.ts";
import { type FolderEnv, MaildirFolder } from "./folder.ts";
import { DEFAULT_FOLDERS, folderDir, INBOX, isValidFolderName, mailboxPath } from "./names.ts";
import { type FolderHandle, type MailStore, StoreError, type UserMailbox } from "./types.ts";

export interface MailStoreOptions {
  fs?: MaildirFs;
  now?: () => number;
  /** our host name in Maildir file names */
  hostname?: string;
}

type Listener = (address: string, folder: string) => void;

export class MaildirStore implements MailStore {
  private boxes = new Map<string, Promise<MaildirMailbox>>();
  private listeners = new Set<Listener>();
  readonly fs: MaildirFs;
  readonly now: () => number;
  readonly hostname: string;

  constructor(readonly root: string, opts: MailStoreOptions = {}) {
    this.fs = opts.fs ?? nodeMaildirFs;
    this.now = opts.now ?? Date.now;
    this.hostname = opts.hostname ?? "localhost";
  }

  mailbox(address: string): Promise<UserMailbox> {
    return this.openMailbox(address);
  }

  /** the concrete mailbox (with usage() and createFolder()) */
  openMailbox(address: string): Promise<MaildirMailbox> {
    const a = address.toLowerCase();
    let box = this.boxes.get(a);
    if (!box) {
      const rel = mailboxPath(a);
      if (!rel) return Promise.reject(new StoreError(`not a usable mailbox address: ${JSON.stringify(address)}`));
      box = MaildirMailbox.open(this, a, `${this.root}/${rel}`);
      this.boxes.set(a, box);
      box.catch(() => this.boxes.delete(a));
    }
    return box;
  }

  onChange(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(address: string, folder: string): void {
    for (const fn of this.listeners) {
      try {
        fn(address, folder);
      } catch {
        // a listener's failure is not the writer's
      }
    }
  }
}

export class MaildirMailbox implements UserMailbox {
  private open = new Map<string, Promise<MaildirFolder>>();

  private constructor(private readonly store: MaildirStore, readonly address: string, readonly path: string) {}

  static async open(store: MaildirStore, address: string, path: string): Promise<MaildirMailbox> {
    const box = new MaildirMailbox(store, address, path);
    await box.createFolder(INBOX);
    for (const f of DEFAULT_FOLDERS) await box.createFolder(f);
    return box;
  }

  async folders(): Promise<string[]> {
    const names: string[] = [];
    for (const entry of this.store.fs.readdir(this.path)) {
      if (!entry.startsWith(".") || entry === "." || entry === "..") continue;
      const name = entry.slice(1);
      if (isValidFolderName(name) && this.store.fs.stat(`${this.path}/${entry}/cur`)) names.push(name);
    }
    return [INBOX, ...names.sort()];
  }

  folder(name: string): Promise<FolderHandle> {
    const dir = folderDir(name);
    if (dir === undefined) return Promise.reject(new StoreError(`invalid folder name ${JSON.stringify(name)}`));
    const canon = dir === "" ? INBOX : name;
    if (!this.open.has(canon) && !this.store.fs.stat(`${this.path}/${dir}/cur`.replace("//", "/"))) {
      return Promise.reject(new StoreError(`no folder ${JSON.stringify(name)} in ${this.address}`));
    }
    return this.openFolder(canon, dir);
  }

  createFolder(name: string): Promise<MaildirFolder> {
    const dir = folderDir(name);
    if (dir === undefined) return Promise.reject(new StoreError(`invalid folder name ${JSON.stringify(name)}`));
    return this.openFolder(dir === "" ? INBOX : name, dir);
  }

  async usage(): Promise<number> {
    let n = 0;
    for (const name of await this.folders()) n += ((await this.folder(name)) as MaildirFolder).usage();
    return n;
  }

  private openFolder(name: string, dir: string): Promise<MaildirFolder> {
    let f = this.open.get(name);
    if (!f) {
      const env: FolderEnv = {
        fs: this.store.fs,
        now: this.store.now,
        hostname: this.store.hostname,
        pid: typeof process !== "undefined" ? process.pid : 0,
        random: () => randomBytes(4).toString("hex"),
        changed: () => this.store.emit(this.address, name),
      };
      f = MaildirFolder.open(name, dir === "" ? this.path : `${this.path}/${dir}`, env);
      this.open.set(name, f);
      f.catch(() => this.open.delete(name));
    }
    return f;
  }
}

/** Open the store rooted at `root` (normally <dataDir>/mail). */
export function openMailStore(root: string, opts: MailStoreOptions = {}): MaildirStore {
  return new MaildirStore(root.replace(/\/+$/, ""), opts);
}
