// Starting the three SMTP listeners from config: smtp (MX), submission (STARTTLS +
// AUTH required), submissions (implicit TLS + AUTH required).

import type { Config } from "../../config/schema.ts";
import { parseHostPort } from "../../config/schema.ts";
import { cidrContains, parseCidr } from "../../core/cidr.ts";
import type { Logger } from "../../core/log.ts";
import type { Registry } from "../../core/metrics.ts";
import type { Directory } from "../../directory/types.ts";
import type { TlsOptions, Transport } from "../../runtime/types.ts";
import type { Spool } from "../../spool/types.ts";
import { parseClamdAddress } from "../../delivery/clamd.ts";
import { scanningWriter } from "../../delivery/scan-at-data.ts";
import { SmtpService } from "./listener.ts";
import type { ListenerKind, SessionPolicy } from "./policy.ts";

const LISTENERS: { kind: ListenerKind; implicitTls: boolean; requireAuth: boolean }[] = [
  { kind: "smtp", implicitTls: false, requireAuth: false },
  { kind: "submission", implicitTls: false, requireAuth: true }, // RFC 6409 §4.3
  { kind: "submissions", implicitTls: true, requireAuth: true }, // RFC 8314 §3.3
];

export interface SmtpDeps {
  transport: Transport;
  tls: TlsOptions;
  spool: Spool;
  directory: Directory;
  metrics: Registry;
  /** a message was committed: hand it to the queue */
  enqueue(id: string): void;
  log: Logger;
}

export async function startSmtp(config: Config, d: SmtpDeps): Promise<Map<ListenerKind, SmtpService>> {
  const trusted = config.relay.trustedNetworks.map(parseCidr);
  const connections = d.metrics.counter("tern_smtp_connections_total", "SMTP connections accepted by listener");
  const received = d.metrics.counter("tern_messages_received_total", "Messages spooled by listener");
  const receivedBytes = d.metrics.counter("tern_messages_received_bytes_total", "Bytes spooled by listener");
  // filters.clamd: scan at the end of DATA (554 5.7.1 for a virus) before the 250
  const clamd = config.filters.clamd ? parseClamdAddress(config.filters.clamd) : undefined;
  const scan = { timeoutMs: config.filters.clamdTimeout * 1000 };
  const begin = () => (clamd ? scanningWriter(d.spool, clamd, scan) : d.spool.begin());
  const out = new Map<ListenerKind, SmtpService>();
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
        isLocalDomain: d.directory.isLocalDomain,
        localUserExists: d.directory.userExists,
        isTrusted: (ip) => trusted.length > 0 && cidrContains(trusted, ip),
        authenticate: d.directory.authenticate,
        authFailureDelayMs: (n) => Math.min(250 * 2 ** (n - 1), 5000),
      };
      const labels = { listener: l.kind };
      const svc = new SmtpService({
        transport: d.transport, host, port, implicitTls: l.implicitTls, tls: d.tls, policy,
        begin,
        limits: config.limits,
        timeouts: { commandMs: config.timeouts.command * 1000, dataMs: config.timeouts.data * 1000 },
        log: (event, fields) => {
          if (event === "connect") connections.inc(labels);
          d.log.debug(event, fields);
        },
        onCommitted: (id, size) => {
          received.inc(labels);
          receivedBytes.inc(labels, size);
          d.log.info("queued", { id, size, listener: l.kind });
          d.enqueue(id);
        },
      });
      await svc.start();
      out.set(l.kind, svc);
    }
  } catch (e) {
    for (const s of out.values()) await s.stopListening();
    throw e;
  }
  return out;
}
