// Shared set-up for local delivery tests: a real spool, directory and Maildir store in a temp dir.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalDeliveryAgent, type LocalDeliveryOptions } from "../../src/delivery/local.ts";
import { openDirectory, type SqliteDirectory } from "../../src/directory/sqlite.ts";
import { openSpool } from "../../src/spool/index.ts";
import type { Envelope, QueuedMessage, Spool } from "../../src/spool/types.ts";
import { type MaildirStore, openMailStore } from "../../src/store/index.ts";

export interface World {
  dir: string;
  spool: Spool;
  directory: SqliteDirectory;
  store: MaildirStore;
  spooled: QueuedMessage[];
  agent(opts?: Partial<LocalDeliveryOptions>): LocalDeliveryAgent;
  queue(mailFrom: string, rcpts: string[], body: string | Uint8Array): Promise<QueuedMessage>;
  /** whole message text of every message in a folder, by uid */
  texts(address: string, folder?: string): Promise<string[]>;
  close(): Promise<void>;
}

export async function world(): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), "tern-mda-"));
  const spool = await openSpool(dir);
  const directory = await openDirectory(join(dir, "directory.db"));
  const store = openMailStore(join(dir, "mail"), { hostname: "mx.test" });
  const spooled: QueuedMessage[] = [];
  return {
    dir, spool, directory, store, spooled,
    agent: (opts = {}) => new LocalDeliveryAgent({ directory, store, spool, onSpooled: (m) => spooled.push(m), ...opts }),
    async queue(mailFrom, rcpts, body) {
      const w = spool.begin();
      w.write(typeof body === "string" ? new TextEncoder().encode(body) : body);
      const env: Envelope = {
        mailFrom,
        rcptTo: rcpts.map((address) => ({ address })),
        client: { address: "127.0.0.1", port: 1, helo: "test", listener: "smtp" },
        receivedAt: Date.now(),
      };
      return w.commit(env);
    },
    async texts(address, folder = "INBOX") {
      const f = await (await store.mailbox(address)).folder(folder);
      await f.refresh();
      const out: string[] = [];
      for (const m of f.list()) {
        const parts: Uint8Array[] = [];
        for await (const c of f.read(m.uid)) parts.push(c);
        out.push(Buffer.concat(parts).toString("latin1"));
      }
      return out;
    },
    async close() {
      await spool.close();
      directory.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
