// Public entry of the outbound SMTP client: the remote DeliveryAgent with its pool.
//
//   const remote = createRemoteAgent(config, { resolver, spool });
//   const results = await remote.deliver(msg, recipients);
//   remote.stats(); remote.close();

import { hostname as osHostname } from "node:os";
import type { DestinationResolver } from "../../dns/types.ts";
import type { DeliveryAgent } from "../../queue/types.ts";
import { defaultDialer } from "../../runtime/index.ts";
import type { Dialer } from "../../runtime/types.ts";
import type { Spool } from "../../spool/types.ts";
import { RemoteAgent } from "./agent.ts";
import { clientOptions, type OutboundConfig } from "./options.ts";
import type { PoolStats } from "./pool.ts";

export type { OutboundConfig, DestinationOverride } from "./options.ts";
export { DEFAULTS as OUTBOUND_DEFAULTS } from "./options.ts";
export type { PoolStats } from "./pool.ts";

export interface RemoteAgentConfig {
  /** our host name; the EHLO name unless outbound.heloName is set */
  hostname?: string;
  outbound?: OutboundConfig;
}

export interface RemoteAgentDeps {
  resolver: DestinationResolver;
  /** default: defaultDialer() from src/runtime */
  dialer?: Dialer;
  spool: Pick<Spool, "readBody">;
  /** clock in ms (default Date.now) */
  now?: () => number;
}

export interface RemoteDeliveryAgent extends DeliveryAgent {
  readonly name: "remote";
  /** QUIT idle pooled connections; later deliveries are deferred */
  close(): void;
  stats(): PoolStats;
}

function hostName(): string {
  try {
    return osHostname() || "localhost";
  } catch {
    return "localhost";
  }
}

export function createRemoteAgent(config: RemoteAgentConfig, deps: RemoteAgentDeps): RemoteDeliveryAgent {
  const out = config.outbound ?? {};
  const opts = clientOptions(out, config.hostname ?? hostName());
  return new RemoteAgent(out, opts, {
    resolver: deps.resolver,
    dialer: deps.dialer ?? defaultDialer(),
    spool: deps.spool,
    now: deps.now ?? Date.now,
  });
}
