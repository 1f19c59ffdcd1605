// Wiring: config → certificate → spool → directory → SMTP listeners.

import type { Config } from "./config/schema.ts";
import { parseHostPort } from "./config/schema.ts";
import { cidrContains, parseCidr } from "./core/cidr.ts";
import { createLogger, type Logger } from "./core/log.ts";
import { openConfiguredDirectory } from "./directory/open.ts";
import { ensureCertificate } from "./runtime/cert.ts";
import { defaultTransport } from "./runtime/index.ts";
import type { Transport } from "./runtime/types.ts";
import type { ListenerKind, SessionPolicy } from "./smtp/server/policy.ts";
import { SmtpService } from "./smtp/server/listener.ts";
import { openSpool } from "./spool/index.ts";
import type { Spool } from "./spool/types.ts";
import { createResolver } from "./dns/index.ts";
import { createRemoteAgent } from "./smtp/client/index.ts";
import type { Agents } from "./queue/context.ts";
import { type QueueService, startQueue } from "./queue/service.ts";
import { join } from "node:path";
import { startPop3 } from "./pop3/index.ts";
import { startImap } from "./imap/index.ts";
import { openMailStore } from "./store/index.ts";
import type { MailStore } from "./store/types.ts";
import type { SpoolFs } from "./runtime/fs.ts";

export interface RunningServer {
  /** bound ports by listener name (useful with port 0) */
  ports: Partial<Record<ListenerKind | "pop3" | "pop3s" | "imap" | "imaps", number>>;
  spool: Spool;
  /** the queue: scheduler, delivery event bus (queue.events), control socket */
  queue: QueueService;
  /** the mailbox store (Maildir++ under <dataDir>/mail) */
  store: MailStore;
  /** graceful shutdown: stop accepting, finish or 421 transactions, commit, close */
  close(): Promise<void>;
}

export interface ServerDeps {
  transport?: Transport;
  logger?: Logger;
  /** delivery agents (tests inject fakes); default: the remote relay (src/smtp/client) */
  agents?: Agents;
  /** file-system access for the spool (tests inject write/sync failures); default node:fs */
  spoolFs?: SpoolFs;
}

const LISTENERS: { kind: ListenerKind; implicitTls: boolean; requireAuth: boolean }[] = [
  { kind: "smtp", implicitTls: false, requireAuth: false },
  { kind: "submission", implicitTls: false, requireAuth: true }, // RFC 6409 §4.3
  { kind: "submissions", implicitTls: true, requireAuth: true }, // RFC 8314 §3.3
];

export async function startServer(config: Config, deps: ServerDeps = {}): Promise<RunningServer> {
  const log = deps.logger ?? createLogger(config.log.level);
  const transport = deps.transport ?? defaultTransport();
  const tls = await ensureCertificate(config);
  const spool = await openSpool(config.dataDir, { segmentSize: config.spool.segmentSize, fs: deps.spoolFs });
  log.info("spool open", { dataDir: config.dataDir, queued: spool.list().length });
  // <dataDir>/directory.db seeded from config; the tern CLI edits it while we run
  const directory = await openConfiguredDirectory(config);
  const trusted = config.relay.trustedNetworks.map(parseCidr);
  const store: MailStore = openMailStore(join(config.dataDir, "mail"), { hostname: config.hostname });
  // the queue (src/queue): scheduler → delivery agents; <dataDir>/events.log; <dataDir>/control.sock
  let queue: QueueService;
  const remote = deps.agents ? undefined : createRemoteAgent({ hostname: config.hostname, outbound: config.outbound }, { resolver: createResolver(config), spool });
  // The local MDA (src/delivery: localAgentFromConfig) is not wired yet: a test still reads
  // acknowledged local mail from the spool after the 250 (test/smtp/clients.test.ts, openssl).
  // Until then local recipients stay deferred ("local delivery is not configured").
  try {
    const agents: Agents = deps.agents ?? (remote ? { remote } : {});
    queue = await startQueue(config, { spool, agents, isLocalDomain: directory.isLocalDomain, log });
  } catch (e) {
    remote?.close();
    await spool.close();
    throw e;
  }

  const services: Service[] = [];
  const ports: RunningServer["ports"] = {};
  try {
    for (const l of LISTENERS) {
      const addr = config.listen[l.kind];
      if (addr === false) continue;
      const { host, port } = parseHostPort(addr);
      const policy: SessionPolicy = {
        hostname: config.hostname,
        listener: l.kind,
        maxMessageSize: config.limits.maxMessageSize,
        maxRecipients: config.limits.maxRecipients,
        maxErrors: config.limits.maxErrors,
        maxAuthFailures: config.limits.maxAuthFailures,
        maxLineLength: config.limits.maxLineLength,
        allowInsecureAuth: config.auth.allowInsecure,
        tlsAvailable: true,
        requireAuth: l.requireAuth,
        isLocalDomain: directory.isLocalDomain,
        localUserExists: directory.userExists,
        isTrusted: (ip) => trusted.length > 0 && cidrContains(trusted, ip),
        authenticate: directory.authenticate,
        authFailureDelayMs: (n) => Math.min(250 * 2 ** (n - 1), 5000),
      };
      const svc = new SmtpService({
        transport, host, port, implicitTls: l.implicitTls, tls, policy,
        begin: () => spool.begin(),
        limits: config.limits,
        timeouts: { commandMs: config.timeouts.command * 1000, dataMs: config.timeouts.data * 1000 },
        log: (event, fields) => log.debug(event, fields),
        onCommitted: (id, size) => {
          log.info("queued", { id, size, listener: l.kind });
          queue.enqueue(id);
        },
      });
      await svc.start();
      services.push(svc);
      ports[l.kind] = svc.port;
      log.info("listening", { listener: l.kind, address: `${host}:${svc.port}`, transport: transport.name });
    }
    // POP3 (src/pop3): pop3 with STLS, pop3s with implicit TLS
    const pop3 = await startPop3(config, {
      transport, tls, store, authenticate: directory.authenticate, log: (event, fields) => log.debug(event, fields),
    });
    for (const [kind, svc] of pop3) {
      services.push(svc);
      ports[kind] = svc.port;
      const { host } = parseHostPort(config.listen[kind] as string);
      log.info("listening", { listener: kind, address: `${host}:${svc.port}`, transport: transport.name });
    }
    // IMAP (src/imap): imap with STARTTLS, imaps with implicit TLS
    const imap = await startImap(config, {
      transport, tls, store, authenticate: directory.authenticate, log: (event, fields) => log.debug(event, fields),
    });
    for (const [kind, svc] of imap) {
      services.push(svc);
      ports[kind] = svc.port;
      const { host } = parseHostPort(config.listen[kind] as string);
      log.info("listening", { listener: kind, address: `${host}:${svc.port}`, transport: transport.name });
    }
  } catch (e) {
    for (const s of services) await s.stopListening();
    await queue.close(0);
    remote?.close();
    await spool.close();
    throw e;
  }

  let closing: Promise<void> | undefined;
  const graceMs = config.timeouts.shutdown * 1000;
  // the queue stops and stores its attempts in flight while the listeners drain
  const close = () => closing ??= shutdown(services, spool, graceMs, log, queue.close(graceMs).then(() => remote?.close()));
  return { ports, spool, queue, store, close };
}

/** a listener service (SMTP, POP3) as shutdown sees it */
interface Service {
  readonly connections: number;
  stopListening(): Promise<void>;
  drain(force: boolean): void;
}

async function shutdown(services: Service[], spool: Spool, graceMs: number, log: Logger, queueClosed: Promise<void>): Promise<void> {
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
  await spool.close();
  log.info("stopped", {});
}
