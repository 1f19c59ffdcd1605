// Runtime detection and the default network layer for the current runtime.
// bun-net.ts and bun-dialer.ts never touch `Bun` at import time: importing them on Deno is safe.
import { bunTransport } from "./bun-net.ts";
import { bunDialer } from "./bun-dialer.ts";
import { nodeDialer, nodeTransport } from "./node-net.ts";
import type { Dialer, Transport } from "./types.ts";

export type { Conn, ConnHandler, Dialer, Listener, TlsOptions, Transport } from "./types.ts";
export { bunTransport } from "./bun-net.ts";
export { bunDialer } from "./bun-dialer.ts";
export { nodeDialer, nodeTransport } from "./node-net.ts";

export function runtimeName(): "bun" | "deno" | "node" {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  if (typeof g.Bun !== "undefined") return "bun";
  if (typeof g.Deno !== "undefined") return "deno";
  return "node";
}

function envTransport(): string | undefined {
  try {
    return globalThis.process?.env?.TERN_TRANSPORT || undefined;
  } catch {
    return undefined; // Deno without --allow-env
  }
}

/** Transports usable on this runtime (Bun: bun and node; elsewhere: node). */
export function allTransports(): Transport[] {
  return runtimeName() === "bun" ? [bunTransport, nodeTransport] : [nodeTransport];
}

/** Bun → bunTransport, else nodeTransport; env TERN_TRANSPORT=node|bun overrides. */
export function defaultTransport(): Transport {
  const want = envTransport();
  if (want) {
    const t = allTransports().find((t) => t.name === want);
    if (!t) throw new Error(`TERN_TRANSPORT=${want} is not available on ${runtimeName()}`);
    return t;
  }
  return runtimeName() === "bun" ? bunTransport : nodeTransport;
}

/** Dialers usable on this runtime (Bun: bun and node; elsewhere: node). */
export function allDialers(): Dialer[] {
  return runtimeName() === "bun" ? [bunDialer, nodeDialer] : [nodeDialer];
}

/** Bun → bunDialer (Bun.connect), else nodeDialer (node:net/node:tls); env TERN_DIALER=node|bun overrides. */
export function defaultDialer(): Dialer {
  let want: string | undefined;
  try {
    want = globalThis.process?.env?.TERN_DIALER || undefined;
  } catch {
    want = undefined; // Deno without --allow-env
  }
  if (want === "node") return nodeDialer;
  if (want === "bun" || runtimeName() === "bun") {
    if (runtimeName() !== "bun") throw new Error(`TERN_DIALER=bun is not available on ${runtimeName()}`);
    return bunDialer;
  }
  return nodeDialer;
}
