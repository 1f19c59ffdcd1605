// File operations of the mailbox store (Maildir): exclusive create + fsync, rename,
// directory fsync, listing, stat, unlink, streaming read, atomic small-file replace.
// Only src/runtime/ touches node:fs; the store takes a `MaildirFs` so tests can wrap it.
//
// Writes are synchronous into the page cache (like the spool); the slow durable steps
// (fsync of the file and of the directory) and reads are async.

import * as fs from "node:fs";

export interface FileStat {
  size: number;
  mtimeMs: number;
}

export interface MaildirFs {
  /** mkdir -p (mode 0700) */
  mkdirp(path: string): void;
  /** entry names of a directory; [] when it does not exist */
  readdir(path: string): string[];
  /** undefined when it does not exist */
  stat(path: string): FileStat | undefined;
  /**
   * Create `path` exclusively, write every chunk, fsync, close; resolves with the byte
   * count. On any failure the partial file is removed and the error rethrown.
   */
  writeNew(path: string, body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<number>;
  /** rename(2); throws ENOENT when `from` is gone */
  rename(from: string, to: string): void;
  /** fsync(2) a directory so created/renamed/unlinked names are durable */
  fsyncDir(path: string): Promise<void>;
  /** false when it was already gone */
  unlink(path: string): boolean;
  /** stream a file in chunks (never loads it whole) */
  read(path: string, chunkSize?: number): AsyncIterable<Uint8Array>;
  /** whole small file, or undefined when it does not exist */
  readSmall(path: string): Uint8Array | undefined;
  /** replace a small file atomically: tmp → fsync → rename → fsync dir */
  replaceAtomic(path: string, data: Uint8Array): Promise<void>;
  /**
   * Read a file expected to hold `len` bytes into buf[off…] with one read (buf needs
   * room for len + 1, to notice a longer file); the bytes read, undefined when missing.
   */
  readInto(path: string, buf: Uint8Array, off: number, len: number): number | undefined;
  /** append to a file (created when missing, its directory then fsync'd) and fdatasync it */
  appendDurable(path: string, data: Uint8Array): Promise<void>;
  /** empty a file and fsync it; nothing when it does not exist */
  truncateDurable(path: string): Promise<void>;
}

const READ_CHUNK = 64 * 1024;

function isNotFound(e: unknown): boolean {
  return (e as { code?: string }).code === "ENOENT";
}

function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())));
}

function fdatasyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

function readFd(fd: number, buf: Uint8Array, pos: number): Promise<number> {
  return new Promise((resolve, reject) => fs.read(fd, buf, 0, buf.length, pos, (err, n) => (err ? reject(err) : resolve(n))));
}

function writeAll(fd: number, chunk: Uint8Array): void {
  let off = 0;
  while (off < chunk.length) off += fs.writeSync(fd, chunk, off, chunk.length - off);
}

async function writeNew(path: string, body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<number> {
  const fd = fs.openSync(path, "wx", 0o600);
  let size = 0;
  let ok = false;
  try {
    for await (const chunk of body) {
      writeAll(fd, chunk);
      size += chunk.length;
    }
    await fsyncFd(fd);
    ok = true;
    return size;
  } finally {
    fs.closeSync(fd);
    if (!ok) {
      try {
        fs.unlinkSync(path);
      } catch {
        // already gone
      }
    }
  }
}

async function* readFile(path: string, chunkSize = READ_CHUNK): AsyncGenerator<Uint8Array> {
  const fd = fs.openSync(path, "r");
  try {
    let pos = 0;
    for (;;) {
      const buf = new Uint8Array(chunkSize);
      const n = await readFd(fd, buf, pos);
      if (n === 0) return;
      pos += n;
      yield n === buf.length ? buf : buf.subarray(0, n);
    }
  } finally {
    fs.closeSync(fd);
  }
}

async function fsyncDir(path: string): Promise<void> {
  const fd = fs.openSync(path, "r");
  try {
    await fsyncFd(fd);
  } finally {
    fs.closeSync(fd);
  }
}

let tmpCounter = 0;

export const nodeMaildirFs: MaildirFs = {
  mkdirp(path) {
    fs.mkdirSync(path, { recursive: true, mode: 0o700 });
  },
  readdir(path) {
    try {
      return fs.readdirSync(path);
    } catch (e) {
      if (isNotFound(e)) return [];
      throw e;
    }
  },
  stat(path) {
    try {
      const s = fs.statSync(path);
      return { size: s.size, mtimeMs: s.mtimeMs };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  },
  writeNew,
  rename(from, to) {
    fs.renameSync(from, to);
  },
  fsyncDir,
  unlink(path) {
    try {
      fs.unlinkSync(path);
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  },
  read: readFile,
  readInto(path, buf, off, len) {
    let fd: number;
    try {
      fd = fs.openSync(path, "r");
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    try {
      let got = 0;
      for (;;) {
        const n = fs.readSync(fd, buf, off + got, len + 1 - got, null);
        if (n <= 0) return got;
        got += n;
        if (got > len) return got;
      }
    } finally {
      fs.closeSync(fd);
    }
  },
  readSmall(path) {
    try {
      return fs.readFileSync(path);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  },
  async appendDurable(path, data) {
    let fd: number;
    let created = false;
    try {
      fd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_APPEND);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      fd = fs.openSync(path, "a", 0o600);
      created = true;
    }
    try {
      writeAll(fd, data);
      await fdatasyncFd(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (created) await fsyncDir(path.slice(0, Math.max(1, path.lastIndexOf("/"))));
  },
  async truncateDurable(path) {
    let fd: number;
    try {
      fd = fs.openSync(path, "r+");
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    try {
      fs.ftruncateSync(fd, 0);
      await fsyncFd(fd);
    } finally {
      fs.closeSync(fd);
    }
  },
  async replaceAtomic(path, data) {
    const tmp = `${path}.tmp${process.pid}.${++tmpCounter}`;
    await writeNew(tmp, [data]);
    try {
      fs.renameSync(tmp, path);
    } catch (e) {
      try {
        fs.unlinkSync(tmp);
      } catch {
        // ignore
      }
      throw e;
    }
    await fsyncDir(path.slice(0, Math.max(1, path.lastIndexOf("/"))));
  },
};
