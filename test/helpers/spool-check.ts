// Checking what a (stopped) server left in its spool: bodies byte-exact, nothing partial.
import { openSpool } from "../../src/spool/index.ts";
import { spoolRenderers } from "../../src/http/batch-render.ts";
import type { QueuedMessage, Spool } from "../../src/spool/types.ts";

/** the Received header Tern prepends: "Received: ..." + folded lines + CRLF */
const RECEIVED = /^Received: [^\r\n]*(\r\n\t[^\r\n]*)*\r\n$/;

export async function readBody(spool: Spool, id: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of spool.readBody(id)) parts.push(c.slice());
  return Buffer.concat(parts);
}

/**
 * The body as the client sent it (after dot-unstuffing), with Tern's Received header
 * removed; throws when the stored body is not exactly Received + `original`.
 */
export function assertStored(stored: Uint8Array, original: Uint8Array, what: string): void {
  const n = stored.length - original.length;
  if (n <= 0) throw new Error(`${what}: stored ${stored.length} bytes, expected more than ${original.length}`);
  const tail = Buffer.from(stored.subarray(n));
  if (!tail.equals(Buffer.from(original))) {
    throw new Error(`${what}: stored body differs from what was sent (${stored.length} vs ${original.length} + header)`);
  }
  const head = Buffer.from(stored.subarray(0, n)).toString("latin1");
  if (!RECEIVED.test(head)) throw new Error(`${what}: unexpected bytes before the body: ${JSON.stringify(head.slice(0, 300))}`);
}

/** open the spool of a stopped server, run `fn`, close it */
export async function withSpool<T>(dataDir: string, fn: (spool: Spool, list: QueuedMessage[]) => Promise<T>): Promise<T> {
  const spool = await openSpool(dataDir, { renderers: spoolRenderers });
  try {
    return await fn(spool, spool.list());
  } finally {
    await spool.close();
  }
}
