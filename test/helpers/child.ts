// Run `tern` as a child process (the same runtime as the test: bun, or deno run -A),
// learn its ports from the "listening" log lines, signal it, read its memory use.
// Always async spawn: a test may run a server in its own process too.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { testCert } from "./cert.ts";

export const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url).href);
export const isDeno = "Deno" in globalThis;

/** command and argv that run `tern <args>` on the current runtime */
export function ternCommand(args: string[]): [string, string[]] {
  return [process.execPath, [...(isDeno ? ["run", "-A"] : []), MAIN, ...args]];
}

/** the environment without TERN_* (so the host's settings never leak into a test) */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("TERN_") && v !== undefined) env[k] = v;
  return { ...env, NO_COLOR: "1", ...extra };
}

export function tmpDir(prefix = "tern-child-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Write a JSON config for a child server: smtp on loopback port 0, every other
 * listener off unless `over.listen` says otherwise (no fixed ports in tests), local domain
 * tern.test with user alice@tern.test, loopback trusted for relay.
 */
export function writeConfig(dir: string, dataDir: string, over: Record<string, unknown> = {}): string {
  const { listen, ...rest } = over as { listen?: Record<string, unknown> };
  const config = {
    hostname: "mx.tern.test",
    dataDir,
    listen: { smtp: "127.0.0.1:0", submission: false, submissions: false, pop3: false, pop3s: false, imap: false, imaps: false, http: false, ...listen },
    // never the machine's resolver in tests: only loopback (nothing answers on port 9 → tempfail)
    dns: { servers: ["127.0.0.1:9"], timeoutMs: 300 },
    domains: ["tern.test"],
    users: [{ address: "alice@tern.test", password: "s3cret-pass" }],
    relay: { trustedNetworks: ["127.0.0.0/8"] },
    ...rest,
  };
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/**
 * The test certificate as PEM files in `dir`, for `tls: { cert, key }` in a child's
 * config (a child then skips generating its own key, which takes a while).
 */
export async function certFiles(dir: string): Promise<{ cert: string; key: string }> {
  const pem = await testCert();
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  writeFileSync(cert, pem.cert);
  writeFileSync(key, pem.key, { mode: 0o600 });
  return { cert, key };
}

export interface Exit {
  code: number | null;
  signal: string | null;
}

export interface ChildServer {
  proc: ChildProcess;
  pid: number;
  /** port by listener name, from the "listening" log lines */
  ports: Record<string, number>;
  /** everything written to stderr so far */
  stderr(): string;
  exited: Promise<Exit>;
  kill(signal: NodeJS.Signals): void;
}

/**
 * Start `tern serve --config FILE` and wait until every listener in `want` logged
 * {"msg":"listening","listener":NAME,"address":"HOST:PORT"}.
 */
export function startChild(config: string, want: string[] = ["smtp"], env: Record<string, string> = {}): Promise<ChildServer> {
  const [cmd, argv] = ternCommand(["serve", "--config", config]);
  const proc = spawn(cmd, argv, { env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  let pending = "";
  const ports: Record<string, number> = {};
  const exited = new Promise<Exit>((resolve) => proc.on("exit", (code, signal) => resolve({ code, signal })));
  proc.stdout!.on("data", () => {});
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`tern serve did not start listening:\n${err}`));
    }, 60_000);
    proc.stderr!.on("data", (d: Uint8Array) => {
      const s = Buffer.from(d).toString("utf8");
      err += s;
      pending += s;
      let nl: number;
      while ((nl = pending.indexOf("\n")) !== -1) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        const ev = parseLog(line);
        if (ev?.msg === "listening" && typeof ev.listener === "string" && typeof ev.address === "string") {
          ports[ev.listener] = Number(ev.address.slice(ev.address.lastIndexOf(":") + 1));
        }
      }
      if (want.every((w) => ports[w] !== undefined)) {
        clearTimeout(guard);
        resolve({
          proc,
          pid: proc.pid!,
          ports,
          stderr: () => err,
          exited,
          // process.kill, not proc.kill: Deno's ChildProcess reports the signal it sent
          // as the cause of exit even when the child handled it and exited 0
          kill: (sig) => {
            if (proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid!, sig);
          },
        });
      }
    });
    exited.then((x) => {
      clearTimeout(guard);
      reject(new Error(`tern serve exited (${x.code ?? x.signal}) before listening:\n${err}`));
    });
  });
}

function parseLog(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** run `tern <args>` to completion (async spawn) */
export function runTern(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<RunResult> {
  const [cmd, argv] = ternCommand(args);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { env: cleanEnv(env), cwd, stdio: ["ignore", "pipe", "pipe"] });
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    child.stdout!.on("data", (d: Uint8Array) => out.push(d));
    child.stderr!.on("data", (d: Uint8Array) => err.push(d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") });
    });
  });
}

/** VmRSS / VmHWM of a process in KiB (Linux /proc); undefined elsewhere */
export function memoryOf(pid: number): { rssKb: number; hwmKb: number } | undefined {
  let s: string;
  try {
    s = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(s)?.[1] ?? NaN);
  return { rssKb: field("VmRSS"), hwmKb: field("VmHWM") };
}

/** reset VmHWM to the current RSS (Linux ≥ 4.0); false when not permitted */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}
