// Shared bits of the outbound relay end-to-end tests: polling, events.log, spool bodies.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { DeliveryEvent } from "../../src/queue/types.ts";
import type { Spool } from "../../src/spool/types.ts";
import type { ConfigInput } from "../../src/config/schema.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll `cond` every 20 ms until it holds; fail naming `what` after `ms`. */
export async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(20);
  }
}

/** The lines of <dataDir>/events.log so far (a torn last line is skipped). */
export function readEvents(dataDir: string): DeliveryEvent[] {
  const path = join(dataDir, "events.log");
  if (!existsSync(path)) return [];
  const out: DeliveryEvent[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as DeliveryEvent);
    } catch {
      // the last line may be half-written while we read
    }
  }
  return out;
}

export async function spooledBody(spool: Spool, id: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of spool.readBody(id)) parts.push(c.slice());
  return Buffer.concat(parts);
}

/** The queue id in a "250 2.0.0 queued as ID" reply. */
export function idOf(reply: string): string {
  const m = /queued as (\S+)/.exec(reply);
  if (!m) throw new Error(`no queue id in ${JSON.stringify(reply)}`);
  return m[1]!;
}

/** A Tern in this process with its real delivery agents (local MDA + remote relay) running. */
export function startRelay(over: ConfigInput = {}, dir?: string): Promise<TestServer> {
  return startTestServer(over, undefined, dir, { deliver: true });
}
