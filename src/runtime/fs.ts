// File-system access for the spool (and anything else that needs raw, positional,
// durable file I/O). Only src/runtime/ touches node:fs; everything else goes through
// `SpoolFs`, so tests can wrap it to count syncs or inject write/sync failures.
//
// Conventions: file handles are plain numbers (fds). Appends are synchronous
// positional writes (they land in the page cache; ordering stays simple); the
// slow, durable operations (datasync, directory fsync) and reads are async so the
// event loop keeps running while the disk works. Errors are thrown/rejected as the
// underlying node:fs errors (with `.code`).

import * as fs from "node:fs";

export interface SpoolFs {
  /** mkdir -p */
  mkdirp(path: string): void;
  /** names (not paths) of the entries of a directory */
  readdir(path: string): string[];
  /** Create a new file exclusively (fails if it exists), opened read+write. */
  create(path: string): number;
  /** Open an existing file read-only. */
  openRead(path: string): number;
  /** Positional write; returns bytes written (may be fewer than asked). */
  write(fd: number, buf: Uint8Array, off: number, len: number, pos: number): number;
  /** Positional read; resolves with bytes read (0 at end of file). */
  read(fd: number, buf: Uint8Array, off: number, len: number, pos: number): Promise<number>;
  /** The same, synchronous (small bodies: the spool's recent segments are in the page cache). */
  readSync?(fd: number, buf: Uint8Array, off: number, len: number, pos: number): number;
  /** fdatasync(2) */
  datasync(fd: number): Promise<void>;
  /** fsync(2) of a directory, making created/unlinked names durable */
  fsyncDir(path: string): Promise<void>;
  /** ftruncate(2) */
  truncate(fd: number, len: number): void;
  /** current size of an open file */
  size(fd: number): number;
  close(fd: number): void;
  unlink(path: string): void;
  /** whole small file, or undefined when it does not exist */
  readSmallFile(path: string): Uint8Array | undefined;
  /** write a small file (replacing it) and fsync it */
  writeSmallFile(path: string, data: Uint8Array): Promise<void>;
}

function datasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.fdatasync(fd, (err) => (err ? reject(err) : resolve()));
  });
}

function fsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.fsync(fd, (err) => (err ? reject(err) : resolve()));
  });
}

/** The real file system (node:fs, works on Bun and Deno). */
export const nodeSpoolFs: SpoolFs = {
  mkdirp(path) {
    fs.mkdirSync(path, { recursive: true });
  },
  readdir(path) {
    return fs.readdirSync(path);
  },
  create(path) {
    return fs.openSync(path, "wx+", 0o600);
  },
  openRead(path) {
    return fs.openSync(path, "r");
  },
  write(fd, buf, off, len, pos) {
    return fs.writeSync(fd, buf, off, len, pos);
  },
  read(fd, buf, off, len, pos) {
    return new Promise((resolve, reject) => {
      fs.read(fd, buf, off, len, pos, (err, n) => (err ? reject(err) : resolve(n)));
    });
  },
  readSync(fd, buf, off, len, pos) {
    return fs.readSync(fd, buf, off, len, pos);
  },
  datasync,
  async fsyncDir(path) {
    const fd = fs.openSync(path, "r");
    try {
      await fsync(fd);
    } finally {
      fs.closeSync(fd);
    }
  },
  truncate(fd, len) {
    fs.ftruncateSync(fd, len);
  },
  size(fd) {
    return fs.fstatSync(fd).size;
  },
  close(fd) {
    fs.closeSync(fd);
  },
  unlink(path) {
    fs.unlinkSync(path);
  },
  readSmallFile(path) {
    try {
      return fs.readFileSync(path);
    } catch (e) {
      if ((e as { code?: string }).code === "ENOENT") return undefined;
      throw e;
    }
  },
  async writeSmallFile(path, data) {
    const fd = fs.openSync(path, "w", 0o600);
    try {
      let off = 0;
      while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off, off);
      await fsync(fd);
    } finally {
      fs.closeSync(fd);
    }
  },
};
