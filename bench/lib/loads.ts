// The two load generators, run as child processes: smtp-source (Postfix; no pipelining,
// one round trip per command) and bench/smtp-load.ts (ours; pipelined).

import { BUN, REPO, RCPT, run, SENDER } from "./servers.ts";

export type LoadKind = "smtp-source" | "smtp-load";

export interface LoadRun {
  sent: number;
  /** accepted per the generator (smtp-source cannot tell: it counts sent) */
  accepted: number;
  seconds: number;
  msgsPerSec: number;
  latencyMs?: { p50: number; p90: number; p99: number; max: number };
  errors: string[];
  command: string;
}

export interface LoadSpec {
  port: number;
  sessions: number;
  messages: number;
  size: number;
}

export function loadCommand(kind: LoadKind, s: LoadSpec): [string, string[]] {
  switch (kind) {
    case "smtp-source":
      return [
        "smtp-source",
        ["-4", "-s", String(s.sessions), "-m", String(s.messages), "-d", "-l", String(s.size),
          "-f", SENDER, "-t", RCPT, "-M", "bench.local", `127.0.0.1:${s.port}`],
      ];
    case "smtp-load":
      return [
        BUN,
        ["bench/smtp-load.ts", "--json", "--port", String(s.port), "--sessions", String(s.sessions),
          "--messages", String(s.messages), "--size", String(s.size), "--from", SENDER, "--to", RCPT],
      ];
  }
}

export function showCommand(cmd: string, args: string[]): string {
  return [cmd.replace(`${REPO}/`, "./"), ...args].join(" ");
}

export async function runLoad(kind: LoadKind, s: LoadSpec): Promise<LoadRun> {
  const [cmd, args] = loadCommand(kind, s);
  const command = showCommand(cmd, args);
  const t0 = performance.now();
  const { code, out, err } = await run(cmd, args, { cwd: REPO });
  const seconds = (performance.now() - t0) / 1000;
  const errors = err.split("\n").filter((l) => l.trim() !== "").slice(0, 10);
  switch (kind) {
    case "smtp-source": {
      if (code !== 0) errors.unshift(`smtp-source exited with code ${code}`);
      return { sent: s.messages, accepted: s.messages, seconds, msgsPerSec: s.messages / seconds, errors, command };
    }
    case "smtp-load": {
      let r;
      try {
        r = JSON.parse(out.trim().split("\n").pop() ?? "");
      } catch {
        return { sent: s.messages, accepted: 0, seconds, msgsPerSec: 0, errors: [`smtp-load gave no result (code ${code})`, ...errors], command };
      }
      return {
        sent: r.sent,
        accepted: r.accepted,
        seconds: r.seconds,
        msgsPerSec: r.msgsPerSec,
        latencyMs: r.latencyMs,
        errors: [...r.errors, ...errors],
        command,
      };
    }
  }
}
