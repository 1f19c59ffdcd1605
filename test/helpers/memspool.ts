// An in-memory SpoolWriter factory for session tests (can be told to fail).
import { type Envelope, type QueuedMessage, SpoolError, type SpoolWriter } from "../../src/spool/types.ts";

export class MemSpool {
  committed: { id: string; envelope: Envelope; body: Uint8Array }[] = [];
  aborted = 0;
  failNext = false;
  private n = 0;

  begin = (): SpoolWriter => {
    const id = `Q${++this.n}`;
    const parts: Uint8Array[] = [];
    let size = 0;
    let done = false;
    const spool = this;
    return {
      id,
      get size() {
        return size;
      },
      write(chunk) {
        parts.push(chunk.slice());
        size += chunk.length;
      },
      commit(envelope): Promise<QueuedMessage> {
        if (done) throw new Error("commit after end");
        done = true;
        if (spool.failNext) {
          spool.failNext = false;
          return Promise.reject(new SpoolError("disk full"));
        }
        const body = new Uint8Array(size);
        let o = 0;
        for (const p of parts) {
          body.set(p, o);
          o += p.length;
        }
        spool.committed.push({ id, envelope, body });
        return Promise.resolve({ id, envelope, size, committedAt: Date.now() });
      },
      abort() {
        if (!done) spool.aborted++;
        done = true;
      },
    };
  };
}
