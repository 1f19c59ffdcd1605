// Tern for the HTTP benchmark: SMTP and HTTP on free loopback ports, an API key made
// with `tern apikey add`, a silent resolver (127.0.0.1:9, never the machine's), the
// loopback trusted to relay, and the bench's remote domain suspended so that every
// message stays in the spool (ingest only) to be counted afterwards.

import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import {
  freePort, REPO, run, stopChild, suspendDomain, ternCommand, ternConfig, type TernRuntime, waitFree, waitListening,
} from "./lib/servers.ts";

export const REMOTE_DOMAIN = "bench-remote.example";

export interface HttpTern {
  readonly name: string;
  readonly smtpPort: number;
  readonly httpPort: number;
  readonly token: string;
  readonly pid: number;
  count(): Promise<number>;
  stop(): Promise<void>;
}

export function httpTernConfig(dataDir: string, smtpPort: number, httpPort: number): object {
  const base = ternConfig(dataDir, smtpPort) as { listen: Record<string, unknown> };
  return {
    ...base,
    listen: { ...base.listen, http: `127.0.0.1:${httpPort}` },
    relay: { trustedNetworks: ["127.0.0.0/8"] },
    dns: { servers: ["127.0.0.1:9"] },
    http: { spoolHighWater: 10_000_000 },
  };
}

/** SIGTERM (SIGKILL after 40 s), then its ports free (up to 20 s) */
async function stop(child: ChildProcess, name: string, ports: number[]): Promise<void> {
  await stopChild(child, name);
  for (const p of ports) await waitFree(p);
}

export async function startHttpTern(runtime: TernRuntime, dir: string): Promise<HttpTern> {
  mkdirSync(dir, { recursive: true });
  const smtpPort = await freePort();
  let httpPort = await freePort();
  while (httpPort === smtpPort) httpPort = await freePort();
  const dataDir = `${dir}/data`;
  const config = `${dir}/tern.json`;
  writeFileSync(config, JSON.stringify(httpTernConfig(dataDir, smtpPort, httpPort), null, 2));
  // the key is made before the server starts, through the CLI, as an operator would
  const [bin, pre] = ternCommand(runtime, config);
  const k = await run(bin, [...pre.slice(0, pre.indexOf("serve")), "apikey", "add", "bench", "--config", config], { cwd: REPO });
  const token = /token: (\S+)/.exec(k.out)?.[1];
  if (!token) throw new Error(`tern apikey add failed (${k.code}): ${k.err || k.out}`);
  const log = openSync(`${dir}/tern.log`, "a");
  const child = spawn(bin, pre, { cwd: REPO, stdio: ["ignore", log, log] });
  closeSync(log);
  const name = `tern-${runtime}`;
  try {
    for (const p of [smtpPort, httpPort]) await waitListening(p, name, child, 30000);
    if (!(await suspendDomain(dataDir, REMOTE_DOMAIN))) throw new Error("no control socket: cannot hold the bench domain");
  } catch (e) {
    await stop(child, name, [smtpPort, httpPort]);
    throw new Error(`${(e as Error).message}; see ${dir}/tern.log`);
  }
  return {
    name, smtpPort, httpPort, token, pid: child.pid!,
    count: async () => {
      const { scanSpool } = await import("../src/spool/index.ts");
      return (await scanSpool(dataDir)).length;
    },
    stop: () => stop(child, name, [smtpPort, httpPort]),
  };
}
