// The IMAP benchmark's servers, each its own process (tree) on a free loopback port,
// stopped by PID: Tern (Bun or Deno) with only listen.imap on, and a private Dovecot
// instance (`dovecot -F -c FILE`, own base_dir, passwd-file passdb/userdb, Maildir).

import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import {
  freePort, REPO, run, type Server, stopChild, ternCommand, type TernRuntime, waitFree, waitListening,
} from "./lib/servers.ts";

export const BENCH_USER = "bench@example.net";
export const BENCH_PASS = "bench-password";

/** SIGTERM (SIGKILL after 20 s), then its port free (up to 10 s) */
async function stop(child: ChildProcess, port: number, what: string): Promise<void> {
  await stopChild(child, what, 20000);
  await waitFree(port, 10000);
}

/** Tern's config for the bench: IMAP only, plaintext LOGIN on loopback, no real DNS */
export function ternImapConfig(dataDir: string, port: number): object {
  return {
    hostname: "tern.bench",
    dataDir,
    listen: {
      smtp: false, submission: false, submissions: false, pop3: false, pop3s: false,
      imap: `127.0.0.1:${port}`, imaps: false, http: false,
    },
    auth: { allowInsecure: true }, // loopback bench only
    dns: { servers: ["127.0.0.1:9"] }, // never the machine's resolver
    domains: ["example.net"],
    users: [{ address: BENCH_USER, password: BENCH_PASS }],
    limits: { maxConnections: 1000, maxConnectionsPerIp: 1000 },
    log: { level: "warn" },
  };
}

/** <dataDir>/mail/example.net/bench: the user's Maildir in Tern's store */
export const ternMaildir = (dataDir: string) => `${dataDir}/mail/example.net/bench`;

export async function startTernImap(runtime: TernRuntime, dir: string, dataDir: string): Promise<Server> {
  const port = await freePort();
  mkdirSync(dir, { recursive: true });
  const config = `${dir}/tern-imap-${runtime}.json`;
  writeFileSync(config, JSON.stringify(ternImapConfig(dataDir, port), null, 2));
  const logPath = `${dir}/tern-${runtime}.log`;
  const log = openSync(logPath, "a");
  const [cmd, args] = ternCommand(runtime, config);
  const child = spawn(cmd, args, { cwd: REPO, stdio: ["ignore", log, log] });
  closeSync(log);
  const name = `tern-${runtime}`;
  try {
    await waitListening(port, name, child, 30000);
  } catch (e) {
    await stop(child, port, name);
    throw new Error(`${(e as Error).message}; see ${logPath}`);
  }
  return { name, port, pid: child.pid!, mainPid: child.pid!, stop: () => stop(child, port, name) };
}

export function dovecotConf(dir: string, port: number): string {
  return `# private Dovecot for the IMAP benchmark (loopback only)
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
info_log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u ${dir}/passwd
}
mail_location = maildir:~/Maildir
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0600
  }
  unix_listener stats-writer {
    mode = 0600
  }
}
`;
}

/** `home` holds Maildir/ (a copy of Tern's); it and the mail belong to `uid`:`gid` */
export async function startDovecot(dir: string, home: string, uid: number, gid: number): Promise<Server> {
  const port = await freePort();
  for (const d of ["run", "state"]) mkdirSync(`${dir}/${d}`, { recursive: true });
  writeFileSync(`${dir}/passwd`, `${BENCH_USER}:{PLAIN}${BENCH_PASS}:${uid}:${gid}::${home}::\n`);
  const conf = `${dir}/dovecot.conf`;
  writeFileSync(conf, dovecotConf(dir, port));
  const chown = await run("chown", ["-R", `${uid}:${gid}`, home]);
  if (chown.code !== 0) throw new Error(`chown ${home}: ${chown.err}`);
  const logPath = `${dir}/dovecot.out`;
  const log = openSync(logPath, "a");
  const child = spawn("dovecot", ["-F", "-c", conf], { stdio: ["ignore", log, log] });
  closeSync(log);
  try {
    await waitListening(port, "dovecot", child, 30000);
  } catch (e) {
    await stop(child, port, "dovecot");
    throw new Error(`${(e as Error).message}; see ${dir}/dovecot.log`);
  }
  return { name: "dovecot", port, pid: child.pid!, mainPid: child.pid!, stop: () => stop(child, port, "dovecot") };
}
