// Resolved options of the outbound relay (from config `outbound.*`), in milliseconds.

export interface Timeouts {
  connect: number;
  greeting: number; // RFC 5321 §4.5.3.2.1: 5 min
  mail: number; // §4.5.3.2.2: 5 min (also EHLO, STARTTLS, AUTH, RSET)
  rcpt: number; // §4.5.3.2.3: 5 min
  dataInit: number; // §4.5.3.2.4: 2 min
  dataBlock: number; // §4.5.3.2.5: 3 min
  dataEnd: number; // §4.5.3.2.6: 10 min
}

export interface Limits {
  maxConnections: number;
  maxMessagesPerConnection: number;
  maxRecipientsPerTransaction: number;
  /** 0 = unlimited */
  messagesPerSecond: number;
  idleTimeoutMs: number;
}

export interface ClientOptions {
  heloName: string;
  timeouts: Timeouts;
  /** extra CA (PEM) trusted for "verify" TLS policy (tests, private PKI) */
  tlsCa?: string;
}

/** `outbound` config as written (seconds), every key optional. */
export interface OutboundConfig {
  maxConnectionsPerDestination?: number;
  maxMessagesPerConnection?: number;
  maxRecipientsPerTransaction?: number;
  messagesPerSecond?: number;
  idleTimeout?: number;
  connectTimeout?: number;
  heloName?: string;
  timeouts?: Partial<Record<Exclude<keyof Timeouts, "connect">, number>>;
  destinations?: Record<string, DestinationOverride>;
  tlsCa?: string;
}

export interface DestinationOverride {
  maxConnectionsPerDestination?: number;
  maxMessagesPerConnection?: number;
  maxRecipientsPerTransaction?: number;
  messagesPerSecond?: number;
  idleTimeout?: number;
}

export const DEFAULTS = {
  maxConnectionsPerDestination: 10,
  maxMessagesPerConnection: 100,
  maxRecipientsPerTransaction: 100,
  messagesPerSecond: 0,
  idleTimeout: 30,
  connectTimeout: 30,
  timeouts: { greeting: 300, mail: 300, rcpt: 300, dataInit: 120, dataBlock: 180, dataEnd: 600 },
} as const;

const ms = (s: number): number => Math.max(1, Math.round(s * 1000));

export function clientOptions(o: OutboundConfig, hostname: string): ClientOptions {
  const t = { ...DEFAULTS.timeouts, ...o.timeouts };
  return {
    heloName: o.heloName ?? hostname,
    timeouts: {
      connect: ms(o.connectTimeout ?? DEFAULTS.connectTimeout),
      greeting: ms(t.greeting),
      mail: ms(t.mail),
      rcpt: ms(t.rcpt),
      dataInit: ms(t.dataInit),
      dataBlock: ms(t.dataBlock),
      dataEnd: ms(t.dataEnd),
    },
    tlsCa: o.tlsCa,
  };
}

/** Limits for a destination: `destinations[key]`, else `destinations[domain]`, over the defaults. */
export function limitsFor(o: OutboundConfig, key: string, domain: string): Limits {
  const d = o.destinations?.[key] ?? o.destinations?.[domain] ?? {};
  const pick = <K extends keyof DestinationOverride>(k: K): number =>
    (d[k] ?? o[k] ?? DEFAULTS[k]) as number;
  return {
    maxConnections: pick("maxConnectionsPerDestination"),
    maxMessagesPerConnection: pick("maxMessagesPerConnection"),
    maxRecipientsPerTransaction: pick("maxRecipientsPerTransaction"),
    messagesPerSecond: pick("messagesPerSecond"),
    idleTimeoutMs: ms(pick("idleTimeout")),
  };
}
