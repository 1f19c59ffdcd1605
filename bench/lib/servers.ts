// Starting and stopping the servers under test, each as its own process (tree):
// Tern on Bun, Tern on Deno, a private Postfix instance, smtp-sink.
// Every server binds 127.0.0.1 on a port we checked is free, and is stopped by PID.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, openSync, readdirSync, readFileSync, writeFileSync, closeSync, existsSync, chownSync, rmSync } from "node:fs";
import { connect as netConnect, createServer } from "node:net";
import { processTree } from "./procstat.ts";

export const REPO = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
export const BUN = `${REPO}/node_modules/.bin/bun`;
export const DENO = `${REPO}/node_modules/.bin/deno`;
export const RCPT = "rcpt@example.net";
export const SENDER = "sender@bench.example";

export interface Server {
  readonly name: string;
  readonly port: number;
  /** root of the process tree to measure */
  readonly pid: number;
  /** the process whose VmHWM is the server's peak RSS (single-process servers) */
  readonly mainPid: number;
  /** messages durably stored, when the server stores anything */
  count?(): Promise<number>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Ports in LISTEN state on any address (from /proc/net/tcp{,6}). */
export function listeningPorts(): Set<number> {
  const out = new Set<number>();
  for (const f of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(f, "latin1");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] !== "0A") continue; // TCP_LISTEN
      out.add(parseInt(cols[1]!.split(":")[1]!, 16));
    }
  }
  return out;
}

/** A loopback port nobody listens on (smtp-sink and Postfix use SO_REUSEPORT: check, never share). */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((res, rej) => {
      const s = createServer();
      s.once("error", rej);
      s.listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => res(p));
      });
    });
    if (!listeningPorts().has(port)) return port;
  }
  throw new Error("no free loopback port found");
}

/** Wait until something listens on 127.0.0.1:port; throws when `child` exits first or after `ms`. */
export async function waitListening(port: number, what: string, child?: ChildProcess, ms = 20000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (listeningPorts().has(port)) return;
    if (child && child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} before listening`);
    await sleep(25);
  }
  throw new Error(`${what} is not listening on 127.0.0.1:${port} after ${ms} ms`);
}

/** Wait until nothing listens on the port any more: false when it still does after `ms`. */
export async function waitFree(port: number, ms = 20000): Promise<boolean> {
  const end = Date.now() + ms;
  while (listeningPorts().has(port)) {
    if (Date.now() > end) return false;
    await sleep(25);
  }
  return true;
}

async function mustFree(port: number, what: string): Promise<void> {
  if (!(await waitFree(port))) throw new Error(`port ${port} still in use after stopping ${what}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !existsSync(`/proc/${pid}/stat`) ? false : !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "latin1"));
  } catch {
    return false;
  }
}

/** SIGTERM, SIGKILL after `graceMs`; resolves once the child has exited. */
export async function stopChild(child: ChildProcess, what: string, graceMs = 40000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const t = setTimeout(() => {
    process.stderr.write(`bench: ${what} (pid ${child.pid}) ignored SIGTERM for ${graceMs} ms: SIGKILL\n`);
    child.kill("SIGKILL");
  }, graceMs);
  await exited;
  clearTimeout(t);
}

/**
 * On SIGINT/SIGTERM: stop the server under test (`take()` hands it over, or null), remove
 * the bench's temporary directory `root`, exit 130.
 */
export function cleanupOnSignal(root: string, take: () => { name: string; stop(): Promise<void> } | null): void {
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      const srv = take();
      process.stderr.write(`bench: ${sig}: stopping ${srv?.name ?? "nothing"} and cleaning up\n`);
      void (srv ? srv.stop() : Promise.resolve()).finally(() => {
        rmSync(root, { recursive: true, force: true });
        process.exit(130);
      });
    });
  }
}

/** Run a command to completion (async), collecting stdout/stderr. */
export function run(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((res, rej) => {
    const c = spawn(cmd, args, { cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    c.stdout!.on("data", (b) => (out += b));
    c.stderr!.on("data", (b) => (err += b));
    c.once("error", rej);
    c.once("close", (code) => res({ code: code ?? -1, out, err }));
  });
}

// ---------------------------------------------------------------------------------
// Tern

export type TernRuntime = "bun" | "deno";

export interface TernOptions {
  runtime: TernRuntime;
  dir: string;
  maxMessageSize?: number;
  /** hold the bench domain in the queue (default true) */
  suspend?: boolean;
}

export function ternConfig(dataDir: string, port: number, maxMessageSize = 26214400): object {
  return {
    hostname: "tern.bench",
    dataDir,
    listen: {
      smtp: `127.0.0.1:${port}`,
      submission: false, submissions: false, pop3: false, pop3s: false, imap: false, imaps: false, http: false,
    },
    domains: ["example.net"],
    users: [{ address: RCPT, password: "bench-password" }],
    limits: { maxConnections: 2000, maxConnectionsPerIp: 2000, maxMessageSize },
    log: { level: "warn" },
  };
}

export function ternCommand(runtime: TernRuntime, config: string): [string, string[]] {
  return runtime === "bun"
    ? [BUN, ["src/main.ts", "serve", "--config", config]]
    : [DENO, ["run", "-A", "src/main.ts", "serve", "--config", config]];
}

/**
 * Ask a running Tern to hold the bench domain (`tern queue suspend example.net` over
 * <dataDir>/control.sock): like Postfix's defer_transports, messages are spooled and
 * not attempted, so the figure is ingest only and they stay in the spool to be counted.
 * Returns false when this build has no control socket (no queue wired: nothing to hold).
 */
export async function suspendDomain(dataDir: string, domain: string): Promise<boolean> {
  const path = `${dataDir}/control.sock`;
  const end = Date.now() + 5000;
  while (!existsSync(path)) {
    if (Date.now() > end) return false;
    await sleep(25);
  }
  const reply = await new Promise<string>((res, rej) => {
    const sock = netConnect(path);
    let buf = "";
    sock.once("error", rej);
    sock.on("data", (b) => {
      buf += b;
      if (buf.includes("\n")) {
        sock.end();
        res(buf.trim());
      }
    });
    sock.write(JSON.stringify({ cmd: "suspend", args: [domain] }) + "\n");
  });
  if (!/"ok":true/.test(reply)) throw new Error(`suspend ${domain} via ${path} failed: ${reply}`);
  return true;
}

export async function startTern(o: TernOptions): Promise<Server> {
  const port = await freePort();
  mkdirSync(o.dir, { recursive: true });
  const dataDir = `${o.dir}/data`;
  const config = `${o.dir}/tern.json`;
  writeFileSync(config, JSON.stringify(ternConfig(dataDir, port, o.maxMessageSize), null, 2));
  const log = openSync(`${o.dir}/tern.log`, "a");
  const [cmd, args] = ternCommand(o.runtime, config);
  const child = spawn(cmd, args, { cwd: REPO, stdio: ["ignore", log, log] });
  closeSync(log);
  const name = `tern-${o.runtime}`;
  try {
    await waitListening(port, name, child);
    if (o.suspend !== false) await suspendDomain(dataDir, "example.net");
  } catch (e) {
    await stopChild(child, name);
    throw new Error(`${(e as Error).message}; see ${o.dir}/tern.log`);
  }
  return {
    name,
    port,
    pid: child.pid!,
    mainPid: child.pid!,
    count: async () => {
      const { scanSpool } = await import("../../src/spool/index.ts");
      return (await scanSpool(dataDir)).length;
    },
    stop: async () => {
      await stopChild(child, name);
      await mustFree(port, name);
    },
  };
}

// ---------------------------------------------------------------------------------
// smtp-sink: in memory, no disk; the ceiling

export async function startSink(dir: string): Promise<Server> {
  const port = await freePort();
  mkdirSync(dir, { recursive: true });
  const log = openSync(`${dir}/smtp-sink.log`, "a");
  const child = spawn("smtp-sink", ["-u", "nobody", "-c", `127.0.0.1:${port}`, "1024"], { stdio: ["ignore", log, log] });
  closeSync(log);
  await waitListening(port, "smtp-sink", child);
  return {
    name: "smtp-sink",
    port,
    pid: child.pid!,
    mainPid: child.pid!,
    stop: async () => {
      await stopChild(child, "smtp-sink");
      await mustFree(port, "smtp-sink");
    },
  };
}

// ---------------------------------------------------------------------------------
// Postfix: a private instance (postfix -c DIR), accepting into its queue, delivery deferred

const POSTFIX_SERVICES = `pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`;

export function postfixMainCf(dir: string, inFlowDelay: string): string {
  return [
    "compatibility_level = 3.6",
    `queue_directory = ${dir}/queue`,
    `data_directory = ${dir}/data`,
    "mail_owner = postfix",
    "setgid_group = postdrop",
    "inet_interfaces = 127.0.0.1",
    "inet_protocols = ipv4",
    "myhostname = postfix.bench",
    "mydestination =",
    "relayhost = [127.0.0.1]:9",
    "smtp_dns_support_level = disabled",
    "smtpd_peername_lookup = no",
    "mynetworks = 127.0.0.0/8",
    "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination",
    `maillog_file = ${dir}/maillog`,
    `maillog_file_prefixes = ${dir}`,
    "defer_transports = smtp",
    `in_flow_delay = ${inFlowDelay}`,
    "alias_maps =",
    "alias_database =",
    "biff = no",
    "",
  ].join("\n");
}

const POSTFIX_QUEUES = ["incoming", "active", "deferred", "hold"];

function countFiles(dir: string): number {
  let n = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) n += e.isDirectory() ? countFiles(`${dir}/${e.name}`) : 1;
  return n;
}

export async function startPostfix(dir: string, inFlowDelay: string): Promise<Server> {
  const port = await freePort();
  const conf = `${dir}/conf`;
  mkdirSync(conf, { recursive: true });
  mkdirSync(`${dir}/queue`, { recursive: true });
  mkdirSync(`${dir}/data`, { recursive: true });
  chownSync(`${dir}/data`, Number((await run("id", ["-u", "postfix"])).out.trim()), -1);
  writeFileSync(`${conf}/main.cf`, postfixMainCf(dir, inFlowDelay));
  writeFileSync(`${conf}/master.cf`, `127.0.0.1:${port} inet n - n - - smtpd\n${POSTFIX_SERVICES}`);
  const r = await run("postfix", ["-c", conf, "start"]);
  if (r.code !== 0) throw new Error(`postfix -c ${conf} start failed (${r.code}): ${r.err || r.out}; see ${dir}/maillog`);
  const pidFile = `${dir}/queue/pid/master.pid`;
  const end = Date.now() + 20000;
  while (!existsSync(pidFile) && Date.now() < end) await sleep(25);
  const master = Number(readFileSync(pidFile, "latin1").trim());
  await waitListening(port, "postfix");
  const name = `postfix-ifd${inFlowDelay}`;
  return {
    name,
    port,
    pid: master,
    mainPid: master,
    count: async () => {
      // wait until nothing is in flight (incoming/active drained) and the count is stable
      let last = -1;
      for (let i = 0; i < 200; i++) {
        const inFlight = countFiles(`${dir}/queue/incoming`) + countFiles(`${dir}/queue/active`);
        const n = POSTFIX_QUEUES.reduce((a, q) => a + countFiles(`${dir}/queue/${q}`), 0);
        if (inFlight === 0 && n === last) return n;
        last = n;
        await sleep(100);
      }
      return last;
    },
    stop: async () => {
      await run("postfix", ["-c", conf, "stop"]);
      const end = Date.now() + 30000;
      while (processTree(master).some(alive) && Date.now() < end) await sleep(50);
      if (alive(master)) {
        process.stderr.write(`bench: postfix master ${master} still alive: SIGKILL\n`);
        process.kill(master, "SIGKILL");
      }
      await mustFree(port, name);
    },
  };
}
