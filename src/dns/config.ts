// Config schema pieces for resolution: `dns`, `routes`, `relay.smarthost` (zod v4).
// src/config/schema.ts places them; the messages say what is expected.

import { z } from "zod";
import { isIp } from "../core/cidr.ts";
import { isHostName, isRoutePattern, parseNameServer, parseRouteTarget } from "./spec.ts";

const show = (v: unknown): string => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + "..." : s;
};

const posInt = (def: number) => {
  const msg = "expected a positive integer";
  return z.int({ error: msg }).min(1, { error: msg }).default(def);
};

const SERVER_MSG = 'expected a name server IP, optionally with a port ("1.1.1.1", "1.1.1.1:5353", "[::1]:53")';
const nameServer = z.string({ error: SERVER_MSG }).refine((s) => parseNameServer(s) !== undefined, {
  error: (iss) => `${SERVER_MSG}, got ${show(iss.input)}`,
});

/** `dns`: name servers (default: /etc/resolv.conf), query timeout, cache size. */
export const dnsConfigSchema = z
  .strictObject(
    {
      servers: z.array(nameServer, { error: "expected a list of name servers" }).optional(),
      timeoutMs: posInt(3000),
      cacheSize: posInt(10000),
    },
    { error: "expected an object" },
  )
  .prefault({});

const PATTERN_MSG = 'expected a domain or "*.domain"';
const TARGET_MSG = 'expected "host", "host:port" or "[ip]:port"';

/** A JSON text (from an environment variable, TERN_ROUTES='{...}') is parsed; anything else passes. */
function fromJsonText(v: unknown): unknown {
  if (typeof v !== "string") return v;
  try {
    return JSON.parse(v);
  } catch {
    return v; // the record check reports it
  }
}

/** `routes`: { "example.com": "host:port", "*.example.org": "[10.0.0.1]:2525" }. */
export const routesConfigSchema = z
  .preprocess(fromJsonText, z.record(
    z.string().refine(isRoutePattern, { error: (iss) => `${PATTERN_MSG}, got ${show(iss.input)}` }),
    z.string({ error: TARGET_MSG }).refine((s) => parseRouteTarget(s) !== undefined, {
      error: (iss) => `${TARGET_MSG}, got ${show(iss.input)}`,
    }),
    {
      error: (iss) =>
        iss.code === "invalid_key" ? `${PATTERN_MSG} as the key, got ${show(iss.input)}` : 'expected an object { "domain": "host:port" }',
    },
  ))
  .default({});

const HOST_MSG = "expected a host name or IP address";
const smarthostHost = z
  .string({ error: HOST_MSG })
  .transform((s) => (s.startsWith("[") && s.endsWith("]") ? s.slice(1, -1) : s))
  .refine((s) => isIp(s) || isHostName(s), { error: (iss) => `${HOST_MSG}, got ${show(iss.input)}` });

const PORT_MSG = "expected a port number 1-65535";
const TLS_MSG = 'expected one of "none", "opportunistic", "required", "verify"';
const nonEmpty = z.string({ error: "expected a non-empty string" }).min(1, { error: "expected a non-empty string" });

/** `relay.smarthost`: send all remote mail through this host. Port: 587, or 465 with implicitTls. */
export const smarthostConfigSchema = z
  .strictObject(
    {
      host: smarthostHost,
      port: z.int({ error: PORT_MSG }).min(1, { error: PORT_MSG }).max(65535, { error: PORT_MSG }).optional(),
      tls: z.enum(["none", "opportunistic", "required", "verify"], { error: TLS_MSG }).default("required"),
      implicitTls: z.boolean({ error: "expected true or false" }).optional(),
      auth: z.strictObject({ user: nonEmpty, password: nonEmpty }, { error: "expected an object { user, password }" }).optional(),
    },
    { error: "expected an object { host, port?, tls?, implicitTls?, auth? }" },
  )
  .superRefine((s, ctx) => {
    if (s.implicitTls && s.tls === "none") {
      ctx.addIssue({ code: "custom", path: ["tls"], message: 'expected "required" or "verify" with implicitTls (got "none")' });
    }
  })
  .transform((s) => ({ ...s, port: s.port ?? (s.implicitTls ? 465 : 587) }));
