// Tern for the HTTP benchmark: SMTP and HTTP on free loopback ports, an API key made
// with `tern apikey add`, a silent resolver (127.0.0.1:9, never the machine's), the
// loopback trusted to relay, and the bench's remote domain suspended so that every
// message stays in the spool (ingest only) to be counted afterwards.

import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import { freePort, listeningPorts, REPO, run, suspendDomain, ternCommand, ternConfig, type TernRuntime } from "./lib/servers.ts";

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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

async function waitPorts(ports: number[], child: ChildProcess, what: string, ms = 30000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const open = listeningPorts();
    if (ports.every((p) => open.has(p))) return;
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} before listening`);
    if (Date.now() > end) throw new Error(`${what} is not listening on ${ports.join(", ")} after ${ms} ms`);
    await sleep(25);
  }
}

async function stop(child: ChildProcess, ports: number[]): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 40000);
    await exited;
    clearTimeout(t);
  }
  const end = Date.now() + 20000;
  while (ports.some((p) => listeningPorts().has(p)) && Date.now() < end) await sleep(25);
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
  const keyArgs = runtime === "bun" ? ["src/main.ts"] : ["run", "-A", "src/main.ts"];
  const k = await run(bin, [...keyArgs, "apikey", "add", "bench", "--config", config], { cwd: REPO });
  const token = /token: (\S+)/.exec(k.out)?.[1];
  if (!token) throw new Error(`tern apikey add failed (${k.code}): ${k.err || k.out}`);
  const log = openSync(`${dir}/tern.log`, "a");
  const child = spawn(bin, pre, { cwd: REPO, stdio: ["ignore", log, log] });
  closeSync(log);
  const name = `tern-${runtime}`;
  try {
    await waitPorts([smtpPort, httpPort], child, name);
    if (!(await suspendDomain(dataDir, REMOTE_DOMAIN))) throw new Error("no control socket: cannot hold the bench domain");
  } catch (e) {
    await stop(child, [smtpPort, httpPort]);
    throw new Error(`${(e as Error).message}; see ${dir}/tern.log`);
  }
  return {
    name, smtpPort, httpPort, token, pid: child.pid!,
    count: async () => {
      const { scanSpool } = await import("../src/spool/index.ts");
      return (await scanSpool(dataDir)).length;
    },
    stop: () => stop(child, [smtpPort, httpPort]),
  };
}
