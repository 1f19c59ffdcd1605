// `tern queue flush|retry ID|delete ID|stats|suspend DOMAIN|resume DOMAIN`: ask the
// running server over <dataDir>/control.sock and print the answer.
// (`tern queue ls` reads the spool offline: src/main.ts.)

import { ControlUnavailable, controlRequest } from "../runtime/control.ts";
import { controlSocketPath } from "./service.ts";
import type { QueueStats } from "./stats.ts";

export const CONTROL_SUBCOMMANDS = ["flush", "retry", "delete", "stats", "suspend", "resume"] as const;
export type ControlSubcommand = (typeof CONTROL_SUBCOMMANDS)[number];

export function isControlSubcommand(s: string | undefined): s is ControlSubcommand {
  return CONTROL_SUBCOMMANDS.includes(s as ControlSubcommand);
}

export interface CliIo {
  out(s: string): void;
  err(s: string): void;
}

/** Problems with the arguments (exit 2), or undefined when they are fine. */
export function checkArgs(sub: ControlSubcommand, rest: string[]): string | undefined {
  switch (sub) {
    case "flush":
    case "stats":
      return rest.length ? `queue ${sub}: unexpected argument "${rest[0]}"` : undefined;
    case "retry":
    case "delete":
      return rest.length === 1 ? undefined : `queue ${sub}: expected one queue id`;
    case "suspend":
    case "resume":
      return rest.length === 1 ? undefined : `queue ${sub}: expected one domain`;
  }
}

/** a compact age: 42s, 5m, 3h12m, 2d4h */
export function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

function formatStats(s: QueueStats): string {
  const r = s.recipients;
  const lines = [
    `messages:    ${s.messages} (${s.inFlight} in flight)`,
    `recipients:  ${r.queued} queued, ${r.deferred} deferred, ${r.delivered} delivered, ${r.bounced} bounced, ${r.expired} expired`,
    `oldest:      ${s.messages ? age(s.oldestAgeMs) : "-"}`,
    `next:        ${s.nextAttemptAt !== undefined ? new Date(s.nextAttemptAt).toISOString() : "-"}`,
    `suspended:   ${s.suspended.length ? s.suspended.join(", ") : "-"}`,
  ];
  const domains = Object.entries(s.deferredByDomain).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (domains.length) {
    lines.push("deferred by domain:");
    for (const [d, n] of domains) lines.push(`  ${String(n).padStart(6)}  ${d}`);
  }
  return lines.join("\n") + "\n";
}

function formatResult(sub: ControlSubcommand, rest: string[], result: unknown): string {
  const o = (result ?? {}) as Record<string, number | string>;
  switch (sub) {
    case "stats":
      return formatStats(result as QueueStats);
    case "flush":
      return `${o.scheduled} message(s) scheduled for delivery now\n`;
    case "retry":
      return `${rest[0]} scheduled for delivery now\n`;
    case "delete":
      return `${rest[0]} deleted (no bounce sent)\n`;
    case "suspend":
      return `delivery to ${o.suspended} suspended (until resume or restart)\n`;
    case "resume":
      return `delivery to ${o.resumed} resumed; ${o.scheduled} message(s) scheduled\n`;
  }
}

/** Run one control subcommand against the server using `dataDir`; returns the exit code. */
export async function queueControl(sub: ControlSubcommand, rest: string[], opts: { dataDir: string; json: boolean }, io: CliIo): Promise<number> {
  const path = controlSocketPath(opts.dataDir);
  try {
    const res = await controlRequest(path, { cmd: sub, args: rest });
    if (!res.ok) {
      io.err(`tern: queue ${sub}: ${res.error}\n`);
      return 1;
    }
    io.out(opts.json ? JSON.stringify(res.result, null, 2) + "\n" : formatResult(sub, rest, res.result));
    return 0;
  } catch (e) {
    const why = e instanceof ControlUnavailable ? e.message : `control channel error: ${(e as Error).message}`;
    io.err(`tern: queue ${sub}: ${why}\n`);
    return 1;
  }
}
