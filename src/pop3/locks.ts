// RFC 1939 §4: the server acquires an exclusive lock on the maildrop when a session
// enters the TRANSACTION state. One registry per process, shared by the pop3 and
// pop3s listeners (the whole store lives in this one process).

export class MaildropLocks {
  private readonly held = new Set<string>();

  /** true when the lock was free and is now ours */
  acquire(address: string): boolean {
    const key = address.toLowerCase();
    if (this.held.has(key)) return false;
    this.held.add(key);
    return true;
  }

  release(address: string): void {
    this.held.delete(address.toLowerCase());
  }

  isLocked(address: string): boolean {
    return this.held.has(address.toLowerCase());
  }

  get size(): number {
    return this.held.size;
  }
}
