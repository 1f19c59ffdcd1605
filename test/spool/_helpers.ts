// Shared helpers for the spool tests (not a test file itself).
import { concatBytes } from "../../src/core/bytes.ts";
import * as nfs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeSpoolFs, type SpoolFs } from "../../src/runtime/fs.ts";
import type { Envelope, Spool } from "../../src/spool/types.ts";

export function tmpDataDir(): string {
  return nfs.mkdtempSync(join(tmpdir(), "tern-spool-"));
}

export function rmDir(dir: string): void {
  nfs.rmSync(dir, { recursive: true, force: true });
}

export function envelope(from = "alice@example.org", to = ["bob@example.net"]): Envelope {
  return {
    mailFrom: from,
    rcptTo: to.map((address) => ({ address })),
    body: "8BITMIME",
    client: { address: "127.0.0.1", port: 40000, helo: "client.example", listener: "smtp" },
    receivedAt: 1_700_000_000_000,
  };
}

export async function readAll(spool: Spool, id: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of spool.readBody(id)) parts.push(p);
  return concatBytes(parts);
}

export function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

export function text(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}

export function segFiles(dataDir: string): string[] {
  return nfs.readdirSync(join(dataDir, "spool")).filter((n) => n.endsWith(".log")).sort();
}

function eio(what: string): Error {
  const e = new Error(`EIO: injected ${what} failure`) as Error & { code: string };
  e.code = "EIO";
  return e;
}

/** A wrapping fs that counts calls and fails writes/syncs on demand. */
export interface TestFs {
  fs: SpoolFs;
  datasyncs: number;
  writes: number;
  bytesRead: number;
  failWrites: number; // fail the next N writes
  /** fail writes for which this returns true */
  failWriteIf?: (len: number) => boolean;
  failSyncs: number; // fail the next N datasyncs
  failTruncate: boolean;
  /** resolve datasync at once without touching the disk */
  instantSync: boolean;
}

export function testFs(): TestFs {
  const t: TestFs = {
    datasyncs: 0,
    writes: 0,
    bytesRead: 0,
    failWrites: 0,
    failSyncs: 0,
    failTruncate: false,
    instantSync: false,
    fs: undefined as unknown as SpoolFs,
  };
  t.fs = {
    ...nodeSpoolFs,
    write(fd, buf, off, len, pos) {
      t.writes++;
      if (t.failWrites > 0) {
        t.failWrites--;
        throw eio("write");
      }
      if (t.failWriteIf?.(len)) throw eio("write");
      return nodeSpoolFs.write(fd, buf, off, len, pos);
    },
    readSync(fd, buf, off, len, pos) {
      const n = nodeSpoolFs.readSync!(fd, buf, off, len, pos);
      t.bytesRead += n;
      return n;
    },
    async read(fd, buf, off, len, pos) {
      const n = await nodeSpoolFs.read(fd, buf, off, len, pos);
      t.bytesRead += n;
      return n;
    },
    datasync(fd) {
      t.datasyncs++;
      if (t.failSyncs > 0) {
        t.failSyncs--;
        return Promise.reject(eio("fdatasync"));
      }
      if (t.instantSync) return Promise.resolve();
      return nodeSpoolFs.datasync(fd);
    },
    truncate(fd, len) {
      if (t.failTruncate) throw eio("truncate");
      nodeSpoolFs.truncate(fd, len);
    },
  };
  return t;
}
