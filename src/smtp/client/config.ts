// Config schema piece for the outbound SMTP client: `outbound` (zod v4).
// src/config/schema.ts places it; the messages say what is expected. Times in seconds.

import { z } from "zod";

const posInt = (def?: number) => {
  const msg = "expected a positive integer";
  const t = z.int({ error: msg }).min(1, { error: msg });
  return def === undefined ? t.optional() : t.default(def);
};

const seconds = (def?: number) => {
  const msg = "expected a positive number of seconds";
  const t = z.number({ error: msg }).positive({ error: msg }).finite({ error: msg });
  return def === undefined ? t.optional() : t.default(def);
};

const rate = (def?: number) => {
  const msg = "expected messages per second (0 = unlimited)";
  const t = z.number({ error: msg }).min(0, { error: msg }).finite({ error: msg });
  return def === undefined ? t.optional() : t.default(def);
};

const HELO_MSG = "expected a host name for EHLO";
const heloName = z
  .string({ error: HELO_MSG })
  .regex(/^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$|^\[[0-9A-Fa-f:.]+\]$/, { error: HELO_MSG });

/** per destination key ("mx:...", "route:host:port") or recipient domain */
const destinationOverride = z.strictObject(
  {
    maxConnectionsPerDestination: posInt(),
    maxMessagesPerConnection: posInt(),
    maxRecipientsPerTransaction: posInt(),
    messagesPerSecond: rate(),
    idleTimeout: seconds(),
  },
  { error: "expected an object of outbound limits" },
);

/** `outbound`: connection pool, per-destination limits, RFC 5321 §4.5.3.2 timeouts. */
export const outboundConfigSchema = z
  .strictObject(
    {
      maxConnectionsPerDestination: posInt(10),
      maxMessagesPerConnection: posInt(100),
      maxRecipientsPerTransaction: posInt(100),
      messagesPerSecond: rate(0),
      idleTimeout: seconds(30),
      connectTimeout: seconds(30),
      /** EHLO name; default: the top-level `hostname` */
      heloName: heloName.optional(),
      timeouts: z
        .strictObject(
          {
            greeting: seconds(300),
            mail: seconds(300),
            rcpt: seconds(300),
            dataInit: seconds(120),
            dataBlock: seconds(180),
            dataEnd: seconds(600),
          },
          { error: "expected an object" },
        )
        .prefault({}),
      destinations: z.record(z.string(), destinationOverride, { error: "expected a map of destination → limits" }).default({}),
    },
    { error: "expected an object" },
  )
  .prefault({});

export type OutboundConfigOutput = z.output<typeof outboundConfigSchema>;
