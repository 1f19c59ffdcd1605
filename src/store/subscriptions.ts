// Per-user IMAP subscriptions (RFC 3501 §6.3.6-7), persisted in the user's Maildir as
// "tern-subscriptions": one folder name per line (UTF-8), replaced atomically.
// The server never drops a name on its own (RFC 3501 §6.3.6): only UNSUBSCRIBE and
// DELETE (which unsubscribes the deleted name) remove one.

import type { MaildirFs } from "../runtime/maildir-fs.ts";
import { StoreError } from "./types.ts";

export const SUBSCRIPTIONS_FILE = "tern-subscriptions";

export class Subscriptions {
  private names: Set<string> | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly fs: MaildirFs, private readonly path: string) {}

  /** subscribed names, sorted */
  list(): string[] {
    return [...this.load()].sort();
  }

  set(name: string, on: boolean): Promise<void> {
    if (typeof name !== "string" || name.length === 0 || /[\r\n\x00]/.test(name)) {
      return Promise.reject(new StoreError(`invalid folder name to (un)subscribe: ${JSON.stringify(name)}`));
    }
    const run = this.chain.then(() => this.apply(name, on));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async apply(name: string, on: boolean): Promise<void> {
    const names = this.load();
    if (names.has(name) === on) return;
    const next = new Set(names);
    if (on) next.add(name);
    else next.delete(name);
    const text = [...next].sort().map((n) => n + "\n").join("");
    await this.fs.replaceAtomic(`${this.path}/${SUBSCRIPTIONS_FILE}`, new TextEncoder().encode(text));
    this.names = next; // only after the file is durable
  }

  private load(): Set<string> {
    if (!this.names) {
      const bytes = this.fs.readSmall(`${this.path}/${SUBSCRIPTIONS_FILE}`);
      const text = bytes ? new TextDecoder().decode(bytes) : "";
      this.names = new Set(text.split("\n").filter((l) => l.length > 0));
    }
    return this.names;
  }
}
