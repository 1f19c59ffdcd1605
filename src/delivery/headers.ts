// Read only the header section of a spooled message (bounded), for filters and loop
// detection. The body is never loaded: reading stops at the blank line or the cap.

import { fieldValue, findBodyStart, parseFields } from "../mime/header.ts";

export interface Header {
  /** upper case */
  name: string;
  /** unfolded, trimmed */
  value: string;
}

export const DEFAULT_MAX_HEADER_BYTES = 64 * 1024;

/** index of the end of the header section (after the blank line) in buf[0, len), or -1 */
function headerEnd(buf: Uint8Array, from: number, len: number): number {
  if (buf[0] === 0x0a || (buf[0] === 0x0d && buf[1] === 0x0a)) return 0; // no header fields at all
  let i = Math.max(0, from);
  for (;;) {
    const lf = buf.indexOf(0x0a, i);
    if (lf < 0 || lf >= len) return -1;
    if (buf[lf + 1] === 0x0a || (buf[lf + 1] === 0x0d && buf[lf + 2] === 0x0a)) return lf;
    i = lf + 1;
  }
}

/** the fields of the header section; a section longer than maxBytes is cut at maxBytes */
export async function readHeaders(body: AsyncIterable<Uint8Array>, maxBytes = DEFAULT_MAX_HEADER_BYTES): Promise<Header[]> {
  const buf = new Uint8Array(maxBytes + 2);
  let len = 0;
  for await (const chunk of body) {
    const n = Math.min(chunk.length, buf.length - len);
    buf.set(chunk.subarray(0, n), len);
    const from = len - 2;
    len += n;
    if (headerEnd(buf, from, len) >= 0 || len >= maxBytes) break; // stops the spool read
  }
  const view = buf.subarray(0, Math.min(len, maxBytes));
  const end = findBodyStart(view, 0, view.length);
  return parseFields(view, 0, end).map((f) => ({ name: f.name, value: fieldValue(view, f) }));
}
