// FETCH of whole messages (BODY[], BODY.PEEK[], RFC822) without a buffer per message:
// each response is written into one output buffer — its text encoded in place, the
// message file read straight after its literal header — and the buffer goes to the
// connection as one write when full. The response is rendered exactly as the general
// path renders it (renderOne), with a stand-in of the message's listed size where the
// bytes go; if the file turns out not to have that size (changed by another program),
// the message is left to the general path.

import type { FetchItem } from "../proto/imap/fetch-items.ts";
import { Out } from "../proto/imap/response.ts";
import type { FolderHandle, StoredMessage } from "../store/types.ts";
import type { Ctx } from "./context.ts";

/** messages larger than this take the general path */
export const DIRECT_MAX = 256 * 1024;
const BUFFER = 512 * 1024;
/** zeros standing in for message bytes while rendering (never written out) */
const STAND_IN = new Uint8Array(DIRECT_MAX);
const enc = new TextEncoder();

type Readable = FolderHandle & Required<Pick<FolderHandle, "readInto">>;

/** can the items of this FETCH go the direct way? (whole message bytes, nothing parsed from them) */
export function directItems(items: FetchItem[], folder: FolderHandle): folder is Readable {
  if (!folder.readInto) return false;
  let whole = 0;
  for (const i of items) {
    switch (i.kind) {
      case "body":
        if (i.partial || i.section.part.length > 0 || i.section.text.kind !== "all") return false;
        whole++;
        break;
      case "rfc822":
        if (i.which !== "") return false;
        whole++;
        break;
      case "envelope":
      case "bodystructure":
        return false; // parsed from the bytes
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
  return whole > 0;
}

export class DirectWriter {
  private buf = new Uint8Array(BUFFER);
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
    const need = m.size * out.pieces.filter((p) => typeof p !== "string").length + textBytes(out) + 1;
    if (this.pos + need > this.buf.length) this.flush(Math.max(BUFFER, need));
    const start = this.pos;
    for (const p of out.pieces) {
      if (typeof p === "string") {
        this.pos += enc.encodeInto(p, this.buf.subarray(this.pos)).written;
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
    if (this.pos === 0) return;
    const o = new Out();
    o.pieces.push(this.buf.subarray(0, this.pos));
    this.ctx.emit(o);
    this.pos = 0;
  }

  /** hand the buffered responses to the session (in order with what it sends next) */
  flush(nextSize = BUFFER): void {
    if (this.pos > 0) {
      const o = new Out();
      o.pieces.push(this.buf.subarray(0, this.pos));
      this.ctx.emit(o);
      this.pos = 0;
      // reused only when the connection kept none of it (a fresh buffer costs more than the reads)
      if (this.ctx.flushOutput() && nextSize <= this.buf.length) return;
      this.buf = new Uint8Array(Math.max(BUFFER, nextSize));
    } else if (nextSize > this.buf.length) this.buf = new Uint8Array(nextSize);
  }
}

/** an upper bound of the UTF-8 size of the text pieces */
function textBytes(out: Out): number {
  let n = 0;
  for (const p of out.pieces) if (typeof p === "string") n += p.length * 3;
  return n;
}
