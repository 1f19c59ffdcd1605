// The local delivery agent (MDA): spooled message → Maildir of each local user.
//
// Per message: read the header section once (bounded), scan with clamd when
// configured, then per recipient: alias expansion (local users + remote addresses),
// filters, quota, and a copy with Return-Path and Delivered-To prepended, streamed from
// the spool into tmp/ → fsync → new/. A recipient counts as delivered only after every
// local copy is durable. Remote alias targets are spooled as a new message (original
// sender) and handed to `onSpooled` so the scheduler relays them.

import type { DeliveryAgent, DeliveryResult, RecipientOutcome } from "../queue/types.ts";
import type { Envelope, QueuedMessage, Recipient, Spool } from "../spool/types.ts";
import type { UserMailbox } from "../store/types.ts";
import { type Connect, parseClamdAddress, type ScanResult, scanStream } from "./clamd.ts";
import { type CompiledRule, compileRules, decide, type FilterRule } from "./filters.ts";
import { DEFAULT_MAX_HEADER_BYTES, type Header, readHeaders } from "./headers.ts";

/** what the agent needs from the directory */
export interface LocalDirectory {
  expand(address: string): { local: string[]; remote: string[] } | undefined;
  getUser(address: string): { quota: number; advertisingFolder: boolean } | undefined;
}

/** what the agent needs from the store */
export interface LocalStore {
  mailbox(address: string): Promise<UserMailbox>;
}

export interface LocalDeliveryOptions {
  directory: LocalDirectory;
  store: LocalStore;
  spool: Pick<Spool, "readBody" | "begin">;
  rules?: FilterRule[];
  /** X-Spam-Flag: YES → Junk (default true) */
  spamToJunk?: boolean;
  /** clamd "host:port" or unix socket path; unset: no virus scan */
  clamd?: string;
  clamdTimeoutMs?: number;
  connect?: Connect;
  maxHeaderBytes?: number;
  /** a message spooled for remote alias targets (give it to the scheduler) */
  onSpooled?: (msg: QueuedMessage) => void;
  log?: (event: string, fields: Record<string, unknown>) => void;
}

// reply texts (RFC 3463 enhanced codes)
const R250_DELIVERED = "250 2.0.0 delivered";
const R250_DISCARDED = "250 2.0.0 discarded by filter";
const R451_LOCAL_ERROR = "451 4.3.0 local delivery failed"; // RFC 3463 §3.4 X.3.0
const R451_SCAN_ERROR = "451 4.7.0 virus scan failed"; // RFC 3463 X.7.0
const R452_MAILBOX_FULL = "452 4.2.2 mailbox full"; // RFC 3463 X.2.2
const R550_NO_USER = "550 5.1.1 no such user"; // RFC 3463 X.1.1
const R550_REJECTED = "550 5.7.1 rejected by filter"; // RFC 3463 X.7.1
const R554_LOOP = "554 5.4.6 mail forwarding loop"; // RFC 3463 X.4.6
const R554_VIRUS = "554 5.7.1 message contains a virus"; // RFC 3463 X.7.1

const failed = (reply: string): RecipientOutcome => ({ status: "failed", reply, enhanced: reply.split(" ")[1] });
const deferred = (reply: string): RecipientOutcome => ({ status: "deferred", reply });
const enc = new TextEncoder();

export class LocalDeliveryAgent implements DeliveryAgent {
  readonly name = "local";
  private readonly rules: CompiledRule[];

  constructor(private readonly o: LocalDeliveryOptions) {
    this.rules = compileRules(o.rules ?? []);
    if (o.clamd) parseClamdAddress(o.clamd); // fail at start, not per message
  }

  async deliver(msg: QueuedMessage, recipients: Recipient[]): Promise<DeliveryResult[]> {
    const all = (outcome: RecipientOutcome) => recipients.map((recipient) => ({ recipient, outcome }));
    let headers: Header[];
    try {
      headers = await readHeaders(this.o.spool.readBody(msg.id), this.o.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES);
    } catch (e) {
      return all(deferred(`${R451_LOCAL_ERROR}: cannot read the spooled message: ${(e as Error).message}`));
    }
    const scan = await this.scan(msg);
    switch (scan.status) {
      case "clean":
        break;
      case "infected":
        this.o.log?.("virus found", { id: msg.id, virus: scan.virus });
        return all(failed(`${R554_VIRUS} (${scan.virus})`));
      case "error":
        return all(deferred(`${R451_SCAN_ERROR}: ${scan.message}`));
      default: {
        const never: never = scan;
        throw new Error(`unknown scan result ${String(never)}`);
      }
    }
    const copies = new Map<string, Promise<RecipientOutcome>>();
    const remote = new Map<string, string[]>(); // remote target → recipients that reached it
    const plans = recipients.map((r) => this.plan(msg, r, headers, copies, remote));
    const forwarded = remote.size ? await this.forward(msg, [...remote.keys()], [...new Set([...remote.values()].flat())]) : undefined;
    const out: DeliveryResult[] = [];
    for (let i = 0; i < recipients.length; i++) {
      const p = plans[i]!;
      const parts = "outcome" in p ? [p.outcome] : await Promise.all(p.local.map((u) => copies.get(u)!));
      if (!("outcome" in p) && p.remote.length && forwarded) parts.push(forwarded);
      out.push({ recipient: recipients[i]!, outcome: combine(parts) });
    }
    return out;
  }

  private plan(
    msg: QueuedMessage, r: Recipient, headers: Header[],
    copies: Map<string, Promise<RecipientOutcome>>, remote: Map<string, string[]>,
  ): { outcome: RecipientOutcome } | { local: string[]; remote: string[] } {
    const rcpt = r.address.toLowerCase();
    // a copy we forwarded earlier came back: RFC 5321 §6.3 loop detection via Delivered-To
    if (headers.some((h) => h.name === "DELIVERED-TO" && h.value.toLowerCase() === rcpt)) return { outcome: failed(R554_LOOP) };
    const x = this.o.directory.expand(r.address);
    if (!x) return { outcome: failed(`${R550_NO_USER} <${r.address}>`) };
    for (const u of x.local) if (!copies.has(u)) copies.set(u, this.deliverCopy(msg, headers, r.address, u));
    for (const t of x.remote) remote.set(t, [...(remote.get(t) ?? []), r.address]);
    return x;
  }

  private async deliverCopy(msg: QueuedMessage, headers: Header[], rcpt: string, user: string): Promise<RecipientOutcome> {
    const u = this.o.directory.getUser(user);
    if (!u) return failed(`${R550_NO_USER} <${user}>`);
    const d = decide(this.rules, { headers, mailFrom: msg.envelope.mailFrom, rcpt, user, advertisingFolder: u.advertisingFolder }, {
      spamToJunk: this.o.spamToJunk ?? true,
    });
    if (d.action === "reject") return failed(R550_REJECTED);
    if (d.action === "discard") return { status: "delivered", reply: R250_DISCARDED };
    const prefix = enc.encode(`Return-Path: <${msg.envelope.mailFrom}>\r\nDelivered-To: ${user}\r\n`);
    try {
      const box = await this.o.store.mailbox(user);
      if (u.quota > 0 && (await box.usage()) + prefix.length + msg.size > u.quota) return deferred(`${R452_MAILBOX_FULL} <${user}>`);
      const folder = await box.createFolder(d.folder);
      const uid = await folder.append(prefixed(prefix, this.o.spool.readBody(msg.id)));
      this.o.log?.("delivered", { id: msg.id, user, folder: folder.name, uid });
      return { status: "delivered", reply: `${R250_DELIVERED} to ${user} ${folder.name}` };
    } catch (e) {
      return deferred(`${R451_LOCAL_ERROR} for <${user}>: ${(e as Error).message}`);
    }
  }

  /** spool one new message for the remote alias targets, from the original sender */
  private async forward(msg: QueuedMessage, targets: string[], via: string[]): Promise<RecipientOutcome> {
    const w = this.o.spool.begin();
    try {
      // Delivered-To of the alias lets us see the copy if it is forwarded back (loop)
      w.write(enc.encode(via.map((a) => `Delivered-To: ${a.toLowerCase()}\r\n`).join("")));
      for await (const chunk of this.o.spool.readBody(msg.id)) w.write(chunk);
      const env: Envelope = {
        ...msg.envelope,
        rcptTo: targets.map((address) => ({ address })),
        receivedAt: Date.now(),
      };
      const queued = await w.commit(env);
      this.o.onSpooled?.(queued);
      return { status: "delivered", reply: `250 2.0.0 forwarded to ${targets.length} remote address(es) as ${queued.id}` };
    } catch (e) {
      w.abort();
      return deferred(`${R451_LOCAL_ERROR}: cannot spool the forwarded copy: ${(e as Error).message}`);
    }
  }

  private scan(msg: QueuedMessage): Promise<ScanResult> {
    if (!this.o.clamd) return Promise.resolve({ status: "clean" });
    return scanStream(parseClamdAddress(this.o.clamd), this.o.spool.readBody(msg.id), {
      timeoutMs: this.o.clamdTimeoutMs,
      connect: this.o.connect,
    });
  }
}

async function* prefixed(prefix: Uint8Array, body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  yield prefix;
  yield* body;
}

/** one outcome for a recipient with several copies: any deferred → deferred; all failed → failed */
function combine(parts: RecipientOutcome[]): RecipientOutcome {
  const d = parts.find((p) => p.status === "deferred");
  if (d) return d;
  const ok = parts.find((p) => p.status === "delivered");
  return ok ?? parts[0]!;
}
