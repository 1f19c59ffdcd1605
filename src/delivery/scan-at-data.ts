// Virus scanning at the end of DATA (filters.clamd): the message is committed to the
// spool, streamed back to clamd, and only then answered. Infected → removed from the
// spool and refused with 554 5.7.1; clamd unreachable → removed and 451 4.7.0 (the
// client retries; mail is never accepted unscanned). If the process dies between the
// commit and the verdict, the message stays queued and local delivery scans it again.

import type { StreamTarget } from "../runtime/stream-socket.ts";
import { CommitRejected, type Spool, type SpoolWriter } from "../spool/types.ts";
import { type Connect, scanStream } from "./clamd.ts";

export function scanningWriter(
  spool: Spool,
  target: StreamTarget,
  opts: { timeoutMs?: number; connect?: Connect } = {},
): SpoolWriter {
  const w = spool.begin();
  return {
    get id() {
      return w.id;
    },
    get size() {
      return w.size;
    },
    write: (chunk) => w.write(chunk),
    abort: () => w.abort(),
    commit: async (envelope) => {
      const q = await w.commit(envelope);
      const verdict = await scanStream(target, spool.readBody(q.id), opts);
      switch (verdict.status) {
        case "clean":
          return q;
        case "infected":
          await spool.remove(q.id);
          throw new CommitRejected(554, "5.7.1", `message refused: virus ${verdict.virus} found`);
        case "error":
          await spool.remove(q.id);
          throw new CommitRejected(451, "4.7.0", "virus scanner unavailable, try again later");
        default: {
          const never: never = verdict;
          throw new Error(`bad verdict ${JSON.stringify(never)}`);
        }
      }
    },
  };
}
