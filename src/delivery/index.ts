// Public entry of local delivery (the MDA).
export { LocalDeliveryAgent, type LocalDeliveryOptions, type LocalDirectory, type LocalStore } from "./local.ts";
export { compileRules, type FilterRule, ADVERTISING_FOLDER, JUNK_FOLDER } from "./filters.ts";
export { parseClamdAddress, scanStream, type ScanResult } from "./clamd.ts";

import type { Config } from "../config/schema.ts";
import type { QueuedMessage, Spool } from "../spool/types.ts";
import { LocalDeliveryAgent as Agent, type LocalDirectory, type LocalStore } from "./local.ts";

/** The local agent as configured by `filters` (what server.ts hands the scheduler as agents.local). */
export function localAgentFromConfig(
  config: Pick<Config, "filters">,
  deps: {
    directory: LocalDirectory;
    store: LocalStore;
    spool: Pick<Spool, "readBody" | "begin">;
    onSpooled?: (msg: QueuedMessage) => void;
    log?: (event: string, fields: Record<string, unknown>) => void;
  },
): Agent {
  return new Agent({
    ...deps,
    rules: config.filters.rules,
    spamToJunk: config.filters.spamToJunk,
    clamd: config.filters.clamd,
    clamdTimeoutMs: config.filters.clamdTimeout * 1000,
  });
}
