// Queue commands for the control channel (tern queue flush|retry|delete|stats|
// suspend|resume): request in, JSON-able result out; errors name what is wrong.

import type { Scheduler } from "./scheduler.ts";

export interface ControlCommand {
  cmd: string;
  args: string[];
}

export class CommandError extends Error {
  override name = "CommandError";
}

const COMMANDS = "flush, retry ID, delete ID, stats, suspend DOMAIN, resume DOMAIN";

function one(c: ControlCommand, what: string): string {
  if (c.args.length !== 1 || c.args[0] === "") throw new CommandError(`${c.cmd}: expected one ${what}`);
  return c.args[0]!;
}

function none(c: ControlCommand): void {
  if (c.args.length !== 0) throw new CommandError(`${c.cmd}: unexpected argument "${c.args[0]}"`);
}

export async function queueCommand(sched: Scheduler, c: ControlCommand): Promise<unknown> {
  switch (c.cmd) {
    case "flush":
      none(c);
      return { scheduled: sched.flush() };
    case "retry": {
      const id = one(c, "queue id");
      if (!sched.retry(id)) throw new CommandError(`retry: no message ${id} in the queue`);
      return { scheduled: 1 };
    }
    case "delete": {
      const id = one(c, "queue id");
      if (!(await sched.delete(id))) throw new CommandError(`delete: no message ${id} in the queue`);
      return { deleted: 1 };
    }
    case "stats":
      none(c);
      return sched.stats();
    case "suspend": {
      const d = one(c, "domain").toLowerCase();
      sched.suspend(d);
      return { suspended: d };
    }
    case "resume": {
      const d = one(c, "domain").toLowerCase();
      return { resumed: d, scheduled: sched.resume(d) };
    }
    default:
      throw new CommandError(`unknown command "${c.cmd}" (known: ${COMMANDS})`);
  }
}
