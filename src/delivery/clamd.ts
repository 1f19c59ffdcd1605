// Virus scanning with clamd's INSTREAM command: "zINSTREAM\0", then the body as
// chunks each prefixed with its length (4 bytes, big-endian), then a zero-length
// chunk; clamd answers "stream: OK", "stream: <name> FOUND" or "... ERROR".

import { type ByteStream, connectStream, type StreamTarget } from "../runtime/stream-socket.ts";

export type ScanResult = { status: "clean" } | { status: "infected"; virus: string } | { status: "error"; message: string };

export type Connect = (target: StreamTarget, timeoutMs: number) => Promise<ByteStream>;

const COMMAND = new TextEncoder().encode("zINSTREAM\0");
const TERMINATOR = new Uint8Array(4);
/** clamd's default StreamMaxLength is 25 MiB; chunks this size keep its buffers small */
const MAX_CHUNK = 64 * 1024;

/** "host:port" or a unix socket path */
export function parseClamdAddress(addr: string): StreamTarget {
  if (addr.startsWith("/") || addr.startsWith("./")) return { path: addr };
  const i = addr.lastIndexOf(":");
  const port = Number(addr.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`filters.clamd: expected "host:port" or a unix socket path, got ${JSON.stringify(addr)}`);
  }
  return { host: addr.slice(0, i).replace(/^\[(.*)\]$/, "$1"), port };
}

/** the 4-byte big-endian length prefix of an INSTREAM chunk */
export function chunkHeader(len: number): Uint8Array {
  const h = new Uint8Array(4);
  new DataView(h.buffer).setUint32(0, len, false);
  return h;
}

/** interpret clamd's answer (NUL- or newline-terminated) */
export function parseClamdReply(bytes: Uint8Array): ScanResult {
  const text = new TextDecoder().decode(bytes).replace(/[\0\r\n]+$/, "").trim();
  if (/^stream: OK$/.test(text)) return { status: "clean" };
  const found = /^stream: (.+) FOUND$/.exec(text);
  if (found) return { status: "infected", virus: found[1]! };
  return { status: "error", message: `clamd answered ${JSON.stringify(text.slice(0, 200))}` };
}

export async function scanStream(
  target: StreamTarget,
  body: AsyncIterable<Uint8Array>,
  opts: { timeoutMs?: number; connect?: Connect } = {},
): Promise<ScanResult> {
  let conn: ByteStream | undefined;
  try {
    conn = await (opts.connect ?? connectStream)(target, opts.timeoutMs ?? 30_000);
    conn.write(COMMAND);
    for await (const chunk of body) {
      for (let off = 0; off < chunk.length; off += MAX_CHUNK) {
        const part = chunk.subarray(off, Math.min(chunk.length, off + MAX_CHUNK));
        conn.write(chunkHeader(part.length));
        if (!conn.write(part)) await conn.drain();
      }
    }
    conn.write(TERMINATOR);
    conn.end();
    return parseClamdReply(await conn.response(4096));
  } catch (e) {
    conn?.destroy();
    return { status: "error", message: `clamd: ${(e as Error).message}` };
  }
}
