// Wiring: config → certificate → spool → directory → store → queue (local MDA +
// remote relay) → SMTP, POP3, IMAP and HTTP listeners.

import { join } from "node:path";
import type { Config } from "./config/schema.ts";
import { parseHostPort } from "./config/schema.ts";
import { createLogger, type Logger } from "./core/log.ts";
import { Registry } from "./core/metrics.ts";
import { localAgentFromConfig } from "./delivery/index.ts";
import { openConfiguredDirectory } from "./directory/open.ts";
import type { SqliteDirectory } from "./directory/sqlite.ts";
import { createResolver } from "./dns/index.ts";
import { type HttpService, startHttp } from "./http/index.ts";
import { startImap } from "./imap/index.ts";
import { startPop3 } from "./pop3/index.ts";
import type { Agents } from "./queue/context.ts";
import { type QueueService, startQueue } from "./queue/service.ts";
import { ensureCertificate } from "./runtime/cert.ts";
import type { SpoolFs } from "./runtime/fs.ts";
import { defaultTransport } from "./runtime/index.ts";
import type { Dialer, Transport } from "./runtime/types.ts";
import { createRemoteAgent } from "./smtp/client/index.ts";
import { startSmtp } from "./smtp/server/start.ts";
import { openSpool } from "./spool/index.ts";
import { spoolRenderers } from "./http/batch-render.ts";
import type { Spool } from "./spool/types.ts";
import { openMailStore } from "./store/index.ts";
import type { MailStore } from "./store/types.ts";
import { SuppressionStore } from "./suppress/store.ts";

export type ListenerName = "smtp" | "submission" | "submissions" | "pop3" | "pop3s" | "imap" | "imaps" | "http";

export interface RunningServer {
  /** bound ports by listener name (useful with port 0) */
  ports: Partial<Record<ListenerName, number>>;
  spool: Spool;
  /** the queue: scheduler, delivery event bus (queue.events), control socket */
  queue: QueueService;
  /** the mailbox store (Maildir++ under <dataDir>/mail) */
  store: MailStore;
  /** domains, users, aliases, API keys (<dataDir>/directory.db) */
  directory: SqliteDirectory;
  suppressions: SuppressionStore;
  metrics: Registry;
  /** graceful shutdown: stop accepting, finish or 421 transactions, commit, close */
  close(): Promise<void>;
}

export interface ServerDeps {
  transport?: Transport;
  logger?: Logger;
  /** delivery agents (tests inject fakes or {} to keep mail queued); default: local MDA + remote relay */
  agents?: Agents;
  /** file-system access for the spool (tests inject write/sync failures); default node:fs */
  spoolFs?: SpoolFs;
  /** outbound connections (tests redirect port 25 to a loopback receiver); default the runtime's */
  dialer?: Dialer;
}

/** a listener service (SMTP, POP3, IMAP) as shutdown sees it */
export interface Service {
  readonly port: number;
  readonly connections: number;
  stopListening(): Promise<void>;
  drain(force: boolean): void;
}

export async function startServer(config: Config, deps: ServerDeps = {}): Promise<RunningServer> {
  const log = deps.logger ?? createLogger(config.log.level);
  const transport = deps.transport ?? defaultTransport();
  const tls = await ensureCertificate(config);
  const spool = await openSpool(config.dataDir, { segmentSize: config.spool.segmentSize, fs: deps.spoolFs, renderers: spoolRenderers });
  log.info("spool open", { dataDir: config.dataDir, queued: spool.count });
  // <dataDir>/directory.db seeded from config; the tern CLI edits it while we run
  const directory = await openConfiguredDirectory(config);
  const suppressions = await SuppressionStore.open(join(config.dataDir, "suppressions.db"));
  const store: MailStore = openMailStore(join(config.dataDir, "mail"), { hostname: config.hostname });
  const metrics = new Registry();
  const debug = (event: string, fields: Record<string, unknown>) => log.debug(event, fields);

  // the queue (src/queue): scheduler → delivery agents; <dataDir>/events.log; <dataDir>/control.sock
  let queue: QueueService;
  const resolver = createResolver(config);
  const remote = deps.agents ? undefined : createRemoteAgent(config, { resolver, spool, dialer: deps.dialer });
  const local = deps.agents ? undefined : localAgentFromConfig(config, {
    directory, store, spool, onSpooled: (m) => queue.enqueue(m.id), log: debug,
  });
  const closeStores = async () => {
    remote?.close();
    suppressions.close();
    directory.close();
    await spool.close();
  };
  try {
    const agents: Agents = deps.agents ?? { remote, local };
    queue = await startQueue(config, {
      spool, agents, isLocalDomain: directory.isLocalDomain, log, isSuppressed: (a) => suppressions.has(a),
    });
  } catch (e) {
    await closeStores();
    throw e;
  }
  runtimeMetrics(metrics, { remote, resolver });

  const services: Service[] = [];
  const ports: RunningServer["ports"] = {};
  const listening = (name: ListenerName, addr: string, port: number) => {
    ports[name] = port;
    log.info("listening", { listener: name, address: `${parseHostPort(addr).host}:${port}`, transport: transport.name });
  };
  let http: HttpService | undefined;
  try {
    const smtp = await startSmtp(config, { transport, tls, spool, directory, metrics, enqueue: (id) => queue.enqueue(id), log });
    const pop3 = await startPop3(config, { transport, tls, store, authenticate: directory.authenticate, log: debug });
    const imap = await startImap(config, { transport, tls, store, authenticate: directory.authenticate, log: debug });
    for (const [name, svc] of [...smtp, ...pop3, ...imap] as [ListenerName, Service][]) {
      services.push(svc);
      listening(name, config.listen[name] as string, svc.port);
    }
    if (config.listen.http !== false) {
      const { host, port } = parseHostPort(config.listen.http);
      http = await startHttp(config, {
        host, port, spool, metrics, events: queue.events, scheduler: queue.scheduler,
        verifyApiKey: (t) => directory.verifyApiKey(t), enqueue: (ids) => queue.enqueueAll(ids), suppressions,
        log: (msg, fields) => log.warn(msg, fields),
      });
      listening("http", config.listen.http, http.port);
    }
  } catch (e) {
    for (const s of services) await s.stopListening();
    await http?.close();
    await queue.close(0);
    await closeStores();
    throw e;
  }

  let closing: Promise<void> | undefined;
  const graceMs = config.timeouts.shutdown * 1000;
  const close = () =>
    closing ??= (async () => {
      await http?.close();
      // the queue stops and stores its attempts in flight while the listeners drain
      await shutdown(services, graceMs, log, queue.close(graceMs));
      await closeStores();
      log.info("stopped", {});
    })();
  return { ports, spool, queue, store, directory, suppressions, metrics, close };
}

/** gauges read at scrape time from the relay's pool and the DNS cache */
function runtimeMetrics(m: Registry, s: { remote?: { stats(): { opened: number; reused: number; inUse: number; idle: number } }; resolver: { stats(): { hits: number; misses: number; entries: number } } }): void {
  if (s.remote) {
    const pool = () => s.remote!.stats();
    m.gauge("tern_outbound_connections_opened", "Outbound SMTP connections opened since start", () => [[{}, pool().opened]]);
    m.gauge("tern_outbound_connections_reused", "Outbound transactions on a reused pooled connection", () => [[{}, pool().reused]]);
    m.gauge("tern_outbound_connections", "Outbound SMTP connections by state", () => [[{ state: "in_use" }, pool().inUse], [{ state: "idle" }, pool().idle]]);
  }
  m.gauge("tern_dns_cache", "DNS cache hits, misses and entries", () => {
    const d = s.resolver.stats();
    return [[{ kind: "hits" }, d.hits], [{ kind: "misses" }, d.misses], [{ kind: "entries" }, d.entries]];
  });
}

async function shutdown(services: Service[], graceMs: number, log: Logger, queueClosed: Promise<void>): Promise<void> {
  log.info("shutting down", {});
  await Promise.all(services.map((s) => s.stopListening()));
  for (const s of services) s.drain(false);
  const deadline = Date.now() + graceMs;
  while (services.some((s) => s.connections > 0) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const s of services) s.drain(true);
  // let the forced 421s reach the clients before the process exits: wait for the
  // sockets to close (bounded: a peer that never reads cannot hold us)
  const closeBy = Date.now() + 2000;
  do await new Promise((r) => setTimeout(r, 20));
  while (services.some((s) => s.connections > 0) && Date.now() < closeBy);
  await queueClosed;
}
