// FETCH without a buffer per message, for the common item sets: metadata (FLAGS, UID,
// INTERNALDATE, RFC822.SIZE, MODSEQ), a cached ENVELOPE, and whole messages (BODY[],
// BODY.PEEK[], RFC822). Responses are written into one output buffer — text encoded in
// place, cached ENVELOPE bytes copied, a message file read straight after its literal
// header — and the buffer goes to the connection as one write when full (and back to
// a pool once the connection has released it). Each response is rendered exactly as the
// general path renders it (renderOne), with a stand-in of the message's listed size
// where its bytes go; if the file turns out not to have that size (changed by another
// program), or the ENVELOPE is not cached yet, the message takes the general path.

import type { FetchItem } from "../proto/imap/fetch-items.ts";
import type { Out } from "../proto/imap/response.ts";
import type { FolderHandle, StoredMessage } from "../store/types.ts";
import type { Ctx } from "./context.ts";

/** messages larger than this take the general path */
export const DIRECT_MAX = 256 * 1024;
/** output buffer size; responses go out once this much is waiting (FLUSH) */
const BUFFER = 128 * 1024;
export const DIRECT_FLUSH = 64 * 1024;
/** buffers the connections released, for the next flush or FETCH (a fresh large buffer costs page faults) */
const spare: Uint8Array[] = [];
const SPARE_MAX = 8;
const take = (size: number): Uint8Array => {
  const b = spare.pop();
  return b && b.length >= size ? b : new Uint8Array(Math.max(BUFFER, size));
};
const giveBack = (b: Uint8Array): void => {
  if (spare.length < SPARE_MAX) spare.push(b);
};
/** zeros standing in for message bytes while rendering (never written out) */
const STAND_IN = new Uint8Array(DIRECT_MAX);
const enc = new TextEncoder();
const EMPTY_BUF = new Uint8Array(0);

type Readable = FolderHandle & Required<Pick<FolderHandle, "readInto">>;

/** can the items of this FETCH go the direct way? (nothing parsed from the message bytes) */
export function directItems(items: FetchItem[], folder: FolderHandle): folder is Readable {
  if (!folder.readInto) return false;
  for (const i of items) {
    switch (i.kind) {
      case "body":
        if (i.partial || i.section.part.length > 0 || i.section.text.kind !== "all") return false;
        break;
      case "rfc822":
        if (i.which !== "") return false;
        break;
      case "bodystructure":
        return false; // parsed from the bytes
      case "envelope": // from the cache (a miss takes the general path)
      case "flags":
      case "uid":
      case "internaldate":
      case "size":
      case "modseq":
        break;
      default: {
        const never: never = i;
        throw new Error(`bad fetch item ${String(never)}`);
      }
    }
  }
  return true;
}

export class DirectWriter {
  private buf = take(BUFFER);
  private pos = 0;

  constructor(private readonly ctx: Ctx, private readonly folder: Readable) {}

  /** bytes waiting in the buffer */
  get pending(): number {
    return this.pos;
  }

  /** the stand-in for `m`'s bytes, or undefined when `m` must take the general path */
  standIn(m: StoredMessage): Uint8Array | undefined {
    return m.size <= DIRECT_MAX ? STAND_IN.subarray(0, m.size) : undefined;
  }

  /**
   * Write the response `out` (rendered with standIn(m)); "ok", "gone" (the message was
   * removed: nothing written) or "changed" (its size is not the listed one: nothing written).
   */
  add(out: Out, m: StoredMessage): "ok" | "gone" | "changed" {
    const need = sizeOf(out) + 1;
    if (this.pos + need > this.buf.length) this.flush(Math.max(BUFFER, need));
    const start = this.pos;
    for (const p of out.pieces) {
      if (typeof p === "string") {
        this.pos += enc.encodeInto(p, this.buf.subarray(this.pos)).written;
        continue;
      }
      if (p.buffer !== STAND_IN.buffer) {
        this.buf.set(p, this.pos); // response text kept as bytes (a cached ENVELOPE)
        this.pos += p.length;
        continue;
      }
      const n = this.folder.readInto(m.uid, this.buf, this.pos);
      if (n === undefined || n !== m.size) {
        this.pos = start;
        return n === undefined ? "gone" : "changed";
      }
      this.pos += n;
    }
    return "ok";
  }

  /** the last responses to the session; the writer is done */
  end(): void {
    if (this.pos > 0) this.sendPending();
    else giveBack(this.buf); // never sent: free at once
  }

  /** hand the buffered responses to the session (in order with what it sends next) */
  flush(nextSize = BUFFER): void {
    if (this.pos > 0) this.sendPending();
    else if (this.buf.length >= nextSize) return;
    else giveBack(this.buf);
    this.buf = take(nextSize); // the one just sent, when the connection has released it already
  }

  /** what the buffer holds, to the connection now; the buffer goes back to the pool once released */
  private sendPending(): void {
    if (this.pos === 0) return;
    const buf = this.buf;
    this.ctx.send(buf.subarray(0, this.pos), () => giveBack(buf));
    this.buf = EMPTY_BUF;
    this.pos = 0;
  }
}

/** an upper bound of the response's size (UTF-8 text at most 3 bytes per UTF-16 unit) */
function sizeOf(out: Out): number {
  let n = 0;
  for (const p of out.pieces) n += typeof p === "string" ? p.length * 3 : p.length;
  return n;
}
