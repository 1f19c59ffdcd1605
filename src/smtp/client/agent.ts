// The remote DeliveryAgent: recipients grouped by destination (resolver), split into
// transactions of at most maxRecipientsPerTransaction, each sent over a pooled
// connection; on a connection-level failure the undecided recipients go to the next
// MX target, and are deferred when none is left.

import { isIP } from "node:net";
import { isSafePath } from "../../proto/smtp/client-command.ts";
import type { Destination, DestinationResolver, MxTarget } from "../../dns/types.ts";
import type { DeliveryAgent, DeliveryResult, RecipientOutcome } from "../../queue/types.ts";
import type { QueuedMessage, Recipient, Spool } from "../../spool/types.ts";
import type { Dialer } from "../../runtime/types.ts";
import { type ClientOptions, limitsFor, type OutboundConfig } from "./options.ts";
import { type DestinationPool, Pool, type PoolStats } from "./pool.ts";
import { openSession, type Session, type SessionTarget } from "./session.ts";
import { runTransaction, type TxResult } from "./transaction.ts";

type HostsDestination = Extract<Destination, { kind: "hosts" }>;

export interface AgentDeps {
  resolver: DestinationResolver;
  dialer: Dialer;
  spool: Pick<Spool, "readBody" | "readBodyInto">;
  now: () => number;
}

interface Group {
  dest: HostsDestination;
  domain: string;
  rcpts: Recipient[];
}

const failed = (reply: string, enhanced: string): RecipientOutcome => ({ status: "failed", reply, enhanced });

/** A deferral reply for a failure that is not an SMTP reply (RFC 3463 codes). */
function deferredReply(error: string): string {
  return /^[45]\d\d /.test(error) ? error : `451 4.4.1 ${error}`;
}

export class RemoteAgent implements DeliveryAgent {
  readonly name = "remote" as const;
  readonly pool: Pool;

  constructor(private readonly cfg: OutboundConfig, private readonly opts: ClientOptions, private readonly deps: AgentDeps) {
    this.pool = new Pool(deps.now);
  }

  async deliver(msg: QueuedMessage, recipients: Recipient[]): Promise<DeliveryResult[]> {
    const out: DeliveryResult[] = [];
    if (!isSafePath(msg.envelope.mailFrom)) {
      return recipients.map((recipient) => ({ recipient, outcome: failed("553 5.1.7 bad sender address", "5.1.7") }));
    }
    const groups = await this.group(recipients, out);
    const batches: Promise<DeliveryResult[]>[] = [];
    for (const g of groups) {
      const max = this.poolFor(g).limits.maxRecipientsPerTransaction;
      for (let i = 0; i < g.rcpts.length; i += max) {
        batches.push(this.deliverBatch(g, msg, g.rcpts.slice(i, i + max)));
      }
    }
    for (const r of await Promise.all(batches)) out.push(...r);
    return out;
  }

  stats(): PoolStats {
    return this.pool.stats();
  }

  close(): void {
    this.pool.close();
  }

  private poolFor(g: Group): DestinationPool {
    return this.pool.destination(g.dest.key, () => limitsFor(this.cfg, g.dest.key, g.domain));
  }

  /** Resolve each recipient domain once; group by destination key (RFC 5321 §5.1). */
  private async group(recipients: Recipient[], out: DeliveryResult[]): Promise<Group[]> {
    const byDomain = new Map<string, Recipient[]>();
    for (const r of recipients) {
      const at = r.address.lastIndexOf("@");
      if (at <= 0 || at === r.address.length - 1 || !isSafePath(r.address)) {
        out.push({ recipient: r, outcome: failed("553 5.1.3 bad recipient address syntax", "5.1.3") });
        continue;
      }
      const d = r.address.slice(at + 1).toLowerCase();
      (byDomain.get(d) ?? byDomain.set(d, []).get(d)!).push(r);
    }
    const byKey = new Map<string, Group>();
    await Promise.all([...byDomain].map(async ([domain, rcpts]) => {
      const dest = await this.resolve(domain);
      if (dest.kind !== "hosts") {
        for (const recipient of rcpts) out.push({ recipient, outcome: nonHostOutcome(dest, domain) });
        return;
      }
      const g = byKey.get(dest.key);
      if (g) g.rcpts.push(...rcpts);
      else byKey.set(dest.key, { dest, domain, rcpts: [...rcpts] });
    }));
    return [...byKey.values()];
  }

  private async resolve(domain: string): Promise<Destination> {
    try {
      return await this.deps.resolver.resolve(domain);
    } catch (e) {
      return { kind: "tempfail", reason: `cannot resolve ${domain}: ${(e as Error).message}` };
    }
  }

  private async deliverBatch(g: Group, msg: QueuedMessage, rcpts: Recipient[]): Promise<DeliveryResult[]> {
    const p = this.poolFor(g);
    if (p.bucket) await p.bucket.take();
    const lease = await this.pool.acquire(p);
    if (lease.closed) return defer(rcpts, "421 4.3.2 outbound relay is shutting down");
    let session = lease.session;
    const results: DeliveryResult[] = [];
    let remaining = rcpts;
    let lastError = "no MX target to try";
    const step = (s: Session, tx: TxResult): void => {
      s.messages++;
      results.push(...tx.done);
      remaining = tx.retry;
      if (tx.error) lastError = `${s.host}: ${tx.error}`;
      if (!tx.reusable) {
        s.sc.destroy("dropped after an error");
        session = undefined;
      }
    };
    try {
      if (session) {
        this.pool.reused++;
        step(session, await runTransaction(session, this.tx(msg, remaining, true), this.opts));
      }
      for (const target of g.dest.targets) {
        if (remaining.length === 0) break;
        for (const address of await this.addresses(target, (e) => (lastError = e))) {
          if (remaining.length === 0) break;
          const r = await openSession(this.deps.dialer, this.sessionTarget(g.dest, target, address), this.opts);
          if (!r.ok) {
            lastError = `${target.host}: ${r.error.message}`;
            continue;
          }
          this.pool.opened++;
          session = r.session;
          step(session, await runTransaction(session, this.tx(msg, remaining, false), this.opts));
        }
      }
    } finally {
      this.pool.release(p, session);
    }
    if (remaining.length > 0) results.push(...defer(remaining, deferredReply(lastError)));
    return results;
  }

  private tx(msg: QueuedMessage, rcpts: Recipient[], reused: boolean) {
    const spool = this.deps.spool;
    return {
      msg, rcpts, reused,
      body: () => spool.readBody(msg.id),
      readInto: spool.readBodyInto ? (buf: Uint8Array, off: number) => spool.readBodyInto!(msg.id, buf, off) : undefined,
    };
  }

  private sessionTarget(d: HostsDestination, t: MxTarget, address: string): SessionTarget {
    return { host: t.host, address, port: t.port, tls: d.tls, implicitTls: d.implicitTls, auth: d.auth };
  }

  /** IP literals as they are; names through the resolver (A then AAAA). */
  private async addresses(t: MxTarget, onError: (e: string) => void): Promise<string[]> {
    const h = t.host.startsWith("[") && t.host.endsWith("]") ? t.host.slice(1, -1) : t.host;
    if (isIP(h)) return [h];
    try {
      const a = await this.deps.resolver.addresses(h);
      if (a.length === 0) onError(`${t.host}: host has no address`);
      return a;
    } catch (e) {
      onError(`${t.host}: cannot resolve: ${(e as Error).message}`);
      return [];
    }
  }
}

function defer(rcpts: Recipient[], reply: string): DeliveryResult[] {
  return rcpts.map((recipient) => ({ recipient, outcome: { status: "deferred", reply } }));
}

function nonHostOutcome(d: Exclude<Destination, HostsDestination>, domain: string): RecipientOutcome {
  switch (d.kind) {
    case "nullmx": // RFC 7505 §3.2
      return failed(`556 5.1.10 ${domain} does not accept mail (null MX)`, "5.1.10");
    case "nxdomain": // RFC 3463 §3.2: bad destination system address
      return failed(`550 5.1.2 domain ${domain} does not exist`, "5.1.2");
    case "tempfail":
      return { status: "deferred", reply: `451 4.4.3 ${d.reason}` };
    default:
      return d satisfies never;
  }
}
