// The HTTP service as the server runs it: the hono app on `listen.http`, fed by the
// queue's event bus (history, metrics, webhooks, automatic suppressions).

import type { Registry } from "../core/metrics.ts";
import type { EventBus } from "../core/events.ts";
import { computeStats } from "../queue/stats.ts";
import type { DeliveryEvent } from "../queue/types.ts";
import { type HttpServer, serveHttp } from "../runtime/http.ts";
import { postJson } from "../runtime/http-client.ts";
import { queueIdTime } from "../spool/id.ts";
import type { Spool } from "../spool/types.ts";
import type { SuppressionStore } from "../suppress/store.ts";
import { type ApiKey, createApi, type QueueControl } from "./app.ts";
import type { HttpConfig, WebhooksConfig } from "./config.ts";
import { History } from "./history.ts";
import { summarise } from "./queue-summary.ts";
import { Webhooks } from "./webhooks.ts";

export interface HttpServiceConfig {
  hostname: string;
  listen: { http: string | false };
  limits: { maxMessageSize: number };
  http: HttpConfig;
  webhooks: WebhooksConfig;
}

export interface SchedulerControl {
  flush(): number;
  suspend(domain: string): void;
  resume(domain: string): number;
  stats(): { suspended: string[] };
}

export interface HttpServiceDeps {
  host: string;
  port: number;
  spool: Spool;
  metrics: Registry;
  verifyApiKey(token: string): ApiKey | undefined;
  events: EventBus<DeliveryEvent>;
  scheduler: SchedulerControl;
  /** hand messages committed together to the scheduler */
  enqueue(ids: readonly string[]): void;
  suppressions: SuppressionStore;
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

export interface HttpService {
  readonly port: number;
  readonly webhooks: Webhooks;
  close(): Promise<void>;
}

const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400, 86400];

export async function startHttp(config: HttpServiceConfig, deps: HttpServiceDeps): Promise<HttpService> {
  const history = new History<DeliveryEvent>(config.http.historySize);
  const webhooks = new Webhooks(config.webhooks, {
    post: postJson,
    onDrop: (url, n) => deps.log?.("webhook events dropped (endpoint too slow)", { url, n }),
  });
  const { metrics, spool } = deps;
  const deliveries = metrics.counter("tern_deliveries_total", "Delivery outcomes per recipient by result and agent");
  const latency = metrics.histogram("tern_delivery_latency_seconds", "Time from spooling to final delivery", LATENCY_BUCKETS);
  metrics.gauge("tern_queue_recipients", "Recipients in the spool by state", () => {
    const s = computeStats(spool.list(), Date.now());
    return Object.entries(s.recipients).map(([state, n]) => [{ state }, n]);
  });
  metrics.gauge("tern_queue_messages", "Messages in the spool", () => [[{}, spool.count]]);

  const unsubscribe = deps.events.subscribe((ev) => {
    history.add(ev.id, ev);
    if (ev.recipient && ev.agent) deliveries.inc({ result: ev.type, agent: ev.agent });
    if (ev.type === "delivered") {
      const spooledAt = queueIdTime(ev.id); // queue ids carry their spooling time
      if (Number.isFinite(spooledAt)) latency.observe(Math.max(0, ev.time - spooledAt) / 1000);
    }
    // permanent failures suppress the address (RFC 5321 5xx at RCPT/DATA)
    if (ev.type === "bounced" && ev.recipient && /^5\d\d/.test(ev.reply ?? "")) {
      deps.suppressions.add(ev.recipient, `bounced: ${(ev.reply ?? "").slice(0, 200)}`);
    }
    if (webhooks.active && ev.type !== "dsn" && ev.type !== "dropped") webhooks.push({ ...ev });
  });

  const queue: QueueControl = {
    summary: () => summarise(spool.list(), Date.now(), new Set(deps.scheduler.stats().suspended)),
    suspend: (d) => (deps.scheduler.suspend(d), true),
    resume: (d) => (deps.scheduler.resume(d), true),
    flush: () => (deps.scheduler.flush(), true),
  };
  const app = createApi({
    hostname: config.hostname,
    spool,
    metrics,
    maxMessageSize: config.limits.maxMessageSize,
    spoolHighWater: config.http.spoolHighWater,
    verifyApiKey: (t) => Promise.resolve(deps.verifyApiKey(t) ?? null),
    onQueued: (qs) => deps.enqueue(qs.map((q) => q.id)),
    history: (id) => history.get(id),
    queue,
    suppressions: {
      list: () => deps.suppressions.list(),
      add: (a, r) => deps.suppressions.add(a, r),
      remove: (a) => deps.suppressions.remove(a),
    },
  });
  let server: HttpServer;
  try {
    // the JSON of a maximal message with base64 attachments, times the batch factor
    server = await serveHttp(deps.host, deps.port, (req, env) => app.fetch(req, env), config.limits.maxMessageSize * 4 + 65536);
  } catch (e) {
    unsubscribe();
    webhooks.close();
    throw e;
  }
  return {
    port: server.port,
    webhooks,
    close: async () => {
      unsubscribe();
      await server.close();
      webhooks.close();
    },
  };
}
