// The Maildir++ mail store: <root>/<domain>/<localpart>/ is a user's INBOX, with
// folders .Sent .Drafts .Junk .Trash created alongside. Folder handles are opened
// once per process and shared (one in-memory index per folder).

import { randomBytes } from "node:crypto";
import { type MaildirFs, nodeMaildirFs } from "../runtime/maildir-fs.ts";
import { removeTree } from "../runtime/maildir-tree.ts";
import { type FolderEnv, MaildirFolder } from "./folder.ts";
import { deleteFolderDir, type HierarchyEnv, renameFolderDirs, sweepTrash } from "./hierarchy.ts";
import { Subscriptions } from "./subscriptions.ts";
import { DEFAULT_FOLDERS, folderDir, INBOX, isValidFolderName, mailboxPath } from "./names.ts";
import { type FolderHandle, type MailStore, StoreError, type UserMailbox } from "./types.ts";

export interface MailStoreOptions {
  fs?: MaildirFs;
  now?: () => number;
  /** our host name in Maildir file names */
  hostname?: string;
  /** rm -rf of a deleted folder's directory (tests may wrap it) */
  removeTree?: (path: string) => Promise<void>;
}

type Listener = (address: string, folder: string) => void;

export class MaildirStore implements MailStore {
  private boxes = new Map<string, Promise<MaildirMailbox>>();
  private listeners = new Set<Listener>();
  readonly fs: MaildirFs;
  readonly now: () => number;
  readonly hostname: string;
  readonly removeTree: (path: string) => Promise<void>;

  constructor(readonly root: string, opts: MailStoreOptions = {}) {
    this.fs = opts.fs ?? nodeMaildirFs;
    this.removeTree = opts.removeTree ?? removeTree;
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
  private readonly subs: Subscriptions;
  /** DELETE/RENAME of this mailbox's folders run one at a time */
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(private readonly store: MaildirStore, readonly address: string, readonly path: string) {
    this.subs = new Subscriptions(store.fs, path);
  }

  static async open(store: MaildirStore, address: string, path: string): Promise<MaildirMailbox> {
    const box = new MaildirMailbox(store, address, path);
    await box.createFolder(INBOX);
    await sweepTrash(box.hierarchyEnv());
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

  /** IMAP DELETE: the folder's messages go, its sub-folders stay (RFC 3501 §6.3.4) */
  deleteFolder(name: string): Promise<void> {
    return this.serial(async () => {
      await this.settle(name);
      await deleteFolderDir(this.hierarchyEnv(), name);
      this.open.delete(name);
      this.store.emit(this.address, name);
    });
  }

  /** IMAP RENAME: "A" → "B" also moves "A.x" → "B.x" (RFC 3501 §6.3.5); subscriptions follow */
  renameFolder(from: string, to: string): Promise<void> {
    return this.serial(async () => {
      for (const name of [...this.open.keys()]) if (name === from || name.startsWith(from + ".")) await this.settle(name);
      const moves = await renameFolderDirs(this.hierarchyEnv(), from, to);
      const subscribed = new Set(this.subs.list());
      for (const [o, n] of moves) {
        this.open.delete(o);
        if (subscribed.has(o)) {
          await this.subs.set(n, true);
          await this.subs.set(o, false);
        }
        this.store.emit(this.address, o);
      }
    });
  }

  subscriptions(): Promise<string[]> {
    return Promise.resolve(this.subs.list());
  }

  setSubscribed(name: string, on: boolean): Promise<void> {
    return this.subs.set(name.toUpperCase() === INBOX ? INBOX : name, on);
  }

  private hierarchyEnv(): HierarchyEnv {
    return { fs: this.store.fs, path: this.path, removeTree: this.store.removeTree, unique: () => randomBytes(8).toString("hex") };
  }

  /** wait for the open handle's pending writes before its directory moves */
  private async settle(name: string): Promise<void> {
    const f = this.open.get(name);
    if (f) await (await f.catch(() => undefined))?.idle();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
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
