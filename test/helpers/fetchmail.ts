// fetchmail against a POP3 port: every message fetched (STLS, no certificate check) and
// handed to an MDA that appends it to a file; the messages as fetchmail delivered them.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./run.ts";

export interface FetchmailRun {
  code: number | null;
  /** fetchmail's own output (stdout and stderr, -v) */
  log: string;
  /** each message as its MDA received it (LF line ends, fetchmail's Received added) */
  messages: string[];
}

export async function fetchmailAll(port: number, user: string, password: string): Promise<FetchmailRun> {
  const dir = mkdtempSync(join(tmpdir(), "tern-fetchmail-"));
  try {
    const rc = join(dir, "fetchmailrc");
    const outFile = join(dir, "out.mbox");
    writeFileSync(rc, [
      "set no syslog",
      `poll 127.0.0.1 protocol pop3 port ${port} timeout 20`,
      `  user "${user}" password "${password}"`,
      '  sslproto "tls1.2+" no sslcertck', // sslproto without ssl: STLS is required
      `  mda "sh -c 'cat >> ${outFile}; echo ==END== >> ${outFile}'"`,
      "  nokeep fetchall",
      "",
    ].join("\n"), { mode: 0o600 });
    const r = await run("fetchmail", ["-f", rc, "--nosyslog", "-v", "--pidfile", join(dir, "pid")], undefined, 60_000);
    let messages: string[] = [];
    try {
      messages = readFileSync(outFile, "latin1").split("==END==\n").filter((x) => x);
    } catch {
      // nothing delivered
    }
    return { code: r.code, log: r.stdout + r.stderr, messages };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
