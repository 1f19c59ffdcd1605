// Delivery-event webhooks: events are batched per endpoint, signed with HMAC-SHA256,
// and retried with exponential backoff. A slow or dead endpoint never slows delivery
// (push() only appends to a bounded buffer) and never grows memory without bound
// (past `maxBuffered` the oldest events are dropped and counted).

import { createHmac } from "node:crypto";

export interface WebhookEndpoint {
  url: string;
  secret: string;
  /** event types to send; empty/undefined = all */
  events?: string[];
}

export interface WebhookEvent {
  type: string;
  [k: string]: unknown;
}

/** the one network call, injected (src/runtime/http-client.ts in production) */
export type PostFn = (url: string, body: string, headers: Record<string, string>) => Promise<number>;

export interface WebhookOptions {
  post: PostFn;
  now?: () => number;
  batchSize?: number; // events per POST (default 100)
  flushMs?: number; // max wait before a partial batch is sent (default 1000)
  maxBuffered?: number; // per endpoint (default 10000)
  maxAttempts?: number; // per batch (default 8)
  backoffMs?: number; // first retry delay (default 1000), doubling, capped at 5 min
  onDrop?: (endpoint: string, n: number) => void;
}

/** `X-Tern-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` */
export function sign(secret: string, timestamp: number, body: string): string {
  const mac = createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
  return `t=${timestamp},v1=${mac}`;
}

class EndpointQueue {
  private buf: WebhookEvent[] = [];
  private sending = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  dropped = 0;
  delivered = 0;
  failedBatches = 0;

  constructor(readonly ep: WebhookEndpoint, private readonly o: Required<Omit<WebhookOptions, "onDrop">> & Pick<WebhookOptions, "onDrop">) {}

  push(e: WebhookEvent): void {
    if (this.ep.events?.length && !this.ep.events.includes(e.type)) return;
    this.buf.push(e);
    if (this.buf.length > this.o.maxBuffered) {
      const n = this.buf.length - this.o.maxBuffered;
      this.buf.splice(0, n);
      this.dropped += n;
      this.o.onDrop?.(this.ep.url, n);
    }
    this.schedule(this.buf.length >= this.o.batchSize ? 0 : this.o.flushMs);
  }

  private schedule(ms: number): void {
    if (this.sending) return;
    if (this.timer && ms > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.send();
    }, ms);
  }

  private async send(): Promise<void> {
    if (this.sending || this.buf.length === 0) return;
    this.sending = true;
    const batch = this.buf.splice(0, this.o.batchSize);
    const body = JSON.stringify({ events: batch });
    let delay = this.o.backoffMs;
    for (let attempt = 1; attempt <= this.o.maxAttempts; attempt++) {
      const t = Math.floor(this.o.now() / 1000);
      const status = await this.o.post(this.ep.url, body, {
        "content-type": "application/json",
        "x-tern-signature": sign(this.ep.secret, t, body),
        "x-tern-attempt": String(attempt),
      }).catch(() => 0);
      if (status >= 200 && status < 300) {
        this.delivered += batch.length;
        break;
      }
      if (attempt === this.o.maxAttempts) {
        this.failedBatches++;
        break;
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 300_000);
    }
    this.sending = false;
    if (this.buf.length) this.schedule(this.buf.length >= this.o.batchSize ? 0 : this.o.flushMs);
  }

  get idle(): boolean {
    return !this.sending && this.buf.length === 0;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

export class Webhooks {
  private readonly queues: EndpointQueue[];

  constructor(endpoints: WebhookEndpoint[], opts: WebhookOptions) {
    const o = {
      now: Date.now, batchSize: 100, flushMs: 1000, maxBuffered: 10_000, maxAttempts: 8, backoffMs: 1000, ...opts,
    };
    this.queues = endpoints.map((ep) => new EndpointQueue(ep, o));
  }

  /** is any endpoint configured? */
  get active(): boolean {
    return this.queues.length > 0;
  }

  push(e: WebhookEvent): void {
    for (const q of this.queues) q.push(e);
  }

  stats(): { url: string; delivered: number; dropped: number; failedBatches: number }[] {
    return this.queues.map((q) => ({ url: q.ep.url, delivered: q.delivered, dropped: q.dropped, failedBatches: q.failedBatches }));
  }

  get idle(): boolean {
    return this.queues.every((q) => q.idle);
  }

  close(): void {
    for (const q of this.queues) q.stop();
  }
}
