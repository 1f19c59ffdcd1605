// <dataDir>/events.log: one JSON object per line, appended in batches. Lines that
// arrive while a write is in progress are joined into the next single write, so a
// burst of events costs one write(2), not one per event. Not fsync'd: the spool is
// the durable record; this log is for people and tools (tail -f, jq).

import { type FileHandle, mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";

export interface EventLog {
  readonly path: string;
  /** queue one line (never throws; a failing disk is reported through onError) */
  append(event: unknown): void;
  /** resolves when everything appended so far is written */
  flush(): Promise<void>;
  close(): Promise<void>;
}

const enc = new TextEncoder();

export async function openEventLog(path: string, onError: (e: unknown) => void = () => {}): Promise<EventLog> {
  await mkdir(dirname(path), { recursive: true });
  const fh: FileHandle = await open(path, "a", 0o640);
  let pending: string[] = [];
  let writing: Promise<void> | undefined;
  let closed = false;

  const writeLoop = async (): Promise<void> => {
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      try {
        await fh.write(enc.encode(batch.join("")));
      } catch (e) {
        onError(e);
      }
    }
    writing = undefined;
  };

  const kick = () => {
    writing ??= Promise.resolve().then(writeLoop);
  };

  return {
    path,
    append(event) {
      if (closed) return;
      let line: string;
      try {
        line = JSON.stringify(event);
      } catch (e) {
        onError(e);
        return;
      }
      pending.push(line + "\n");
      kick();
    },
    async flush() {
      while (writing !== undefined) await writing;
    },
    async close() {
      if (closed) return;
      closed = true;
      while (writing !== undefined) await writing;
      await fh.close();
    },
  };
}
