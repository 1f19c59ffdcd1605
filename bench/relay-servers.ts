// The processes of the relay benchmark: smtp-sink as the destination (with its -c
// counters read live), Tern relaying to it (routes), and a private Postfix relaying to it
// (relayhost). Built on bench/lib/servers.ts; every process is stopped by its PID.

import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import {
  freePort, REPO, run, type Server, startPostfix, stopChild, type TernRuntime, ternCommand, waitFree, waitListening,
} from "./lib/servers.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const DOMAIN_COUNT = 10;
export const domains = (n = DOMAIN_COUNT) => Array.from({ length: n }, (_, i) => `d${i}.relay.bench`);

// ---------------------------------------------------------------------------------
// smtp-sink with live counters

export interface Sink {
  port: number;
  pid: number;
  /** messages accepted so far ("mesg=" of -c) */
  messages(): number;
  /** SMTP sessions that have ended so far ("sess=" of -c): the connections it saw, once all are closed */
  sessions(): number;
  /** resolve once messages() ≥ n */
  waitMessages(n: number, timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

export async function startCountingSink(dir: string): Promise<Sink> {
  const port = await freePort();
  mkdirSync(dir, { recursive: true });
  const root = process.getuid?.() === 0;
  const child = spawn("smtp-sink", [...(root ? ["-u", "nobody"] : []), "-c", `127.0.0.1:${port}`, "1024"], { stdio: ["ignore", "pipe", "pipe"] });
  let mesg = 0;
  let sess = 0;
  let tail = "";
  let waiter: { n: number; resolve: (ok: boolean) => void } | undefined;
  const onData = (b: Uint8Array) => {
    // "sess=S quit=Q mesg=M" records separated by \r; keep a partial record for the next chunk
    const text = tail + Buffer.from(b).toString("latin1");
    const cut = text.lastIndexOf("\r");
    tail = cut < 0 ? text : text.slice(cut + 1);
    const done = cut < 0 ? "" : text.slice(0, cut);
    const m = /sess=(\d+) quit=\d+ mesg=(\d+)$/.exec(done);
    if (m) {
      sess = Number(m[1]);
      mesg = Number(m[2]);
    }
    if (waiter && mesg >= waiter.n) waiter.resolve(true);
  };
  child.stdout!.on("data", onData);
  const errLog = openSync(`${dir}/smtp-sink.err`, "a");
  child.stderr!.on("data", (b: Uint8Array) => writeFileSync(errLog, b));
  await waitListening(port, "smtp-sink", child, 30000);
  return {
    port,
    pid: child.pid!,
    messages: () => mesg,
    sessions: () => sess,
    waitMessages: (n, timeoutMs) => {
      if (mesg >= n) return Promise.resolve(true);
      return new Promise((resolve) => {
        const t = setTimeout(() => resolve(false), timeoutMs);
        waiter = { n, resolve: (ok) => (clearTimeout(t), (waiter = undefined), resolve(ok)) };
      });
    },
    stop: async () => {
      await stopChild(child, "smtp-sink");
      closeSync(errLog);
      await waitFree(port);
    },
  };
}

// ---------------------------------------------------------------------------------
// Tern relaying every bench domain to the sink (config `routes`)

export function ternRelayConfig(dataDir: string, port: number, sinkPort: number): object {
  return {
    hostname: "tern.bench",
    dataDir,
    listen: {
      smtp: `127.0.0.1:${port}`,
      submission: false, submissions: false, pop3: false, pop3s: false, imap: false, imaps: false, http: false,
    },
    // never the machine's resolver: nothing answers on loopback port 9; routes bypass DNS anyway
    dns: { servers: ["127.0.0.1:9"], timeoutMs: 300 },
    domains: ["tern.bench"],
    relay: { trustedNetworks: ["127.0.0.0/8"] },
    routes: Object.fromEntries(domains().map((d) => [d, `127.0.0.1:${sinkPort}`])),
    // what a user relaying bulk mail to one host would raise: connections are reused for
    // many messages, 20 at once to the one destination (Postfix's default concurrency)
    outbound: { maxConnectionsPerDestination: 20, maxMessagesPerConnection: 100000 },
    queue: { concurrency: 1000 },
    limits: { maxConnections: 2000, maxConnectionsPerIp: 2000 },
    log: { level: "warn" },
  };
}

export async function startTernRelay(runtime: TernRuntime, dir: string, sinkPort: number): Promise<Server> {
  const port = await freePort();
  mkdirSync(dir, { recursive: true });
  const config = `${dir}/tern.json`;
  writeFileSync(config, JSON.stringify(ternRelayConfig(`${dir}/data`, port, sinkPort), null, 2));
  const log = openSync(`${dir}/tern.log`, "a");
  const [cmd, args] = ternCommand(runtime, config);
  const child = spawn(cmd, args, { cwd: REPO, stdio: ["ignore", log, log] });
  closeSync(log);
  const name = `tern-${runtime}`;
  const stop = async () => {
    await stopChild(child, name);
    await waitFree(port);
  };
  try {
    await waitListening(port, name, child, 30000);
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}; see ${dir}/tern.log`);
  }
  return { name, port, pid: child.pid!, mainPid: child.pid!, stop };
}

// ---------------------------------------------------------------------------------
// Postfix relaying everything to the sink: relayhost = [127.0.0.1]:SINK

/**
 * The private Postfix of bench/lib/servers.ts (ingest only: relayhost port 9,
 * defer_transports = smtp), switched to relaying to the sink and reloaded before any mail.
 */
export async function startPostfixRelay(dir: string, sinkPort: number): Promise<Server> {
  const pf = await startPostfix(dir, "0");
  const mainCf = `${dir}/conf/main.cf`;
  const cf = readFileSync(mainCf, "utf8")
    .replace(/^relayhost = .*$/m, `relayhost = [127.0.0.1]:${sinkPort}`)
    .replace(/^defer_transports = .*\n/m, "");
  writeFileSync(mainCf, cf);
  const r = await run("postfix", ["-c", `${dir}/conf`, "reload"]);
  if (r.code !== 0) {
    await pf.stop();
    throw new Error(`postfix reload failed: ${r.err || r.out}`);
  }
  await sleep(500); // the master re-reads main.cf and restarts its services
  return { ...pf, name: "postfix" };
}
