// The configuration schema (zod v4). Every key has a default, so `{}` is a valid config
// that serves a newcomer on loopback, unprivileged ports, data under ./data.
// Objects are strict: unknown keys are errors. Error messages say what was expected;
// load.ts prefixes them with the key path.

import { hostname as osHostname } from "node:os";
import { z } from "zod";
import { isCidr, isIp } from "../core/cidr.ts";
import { isPasswordHash } from "../core/password.ts";
import { httpConfigSchema, webhooksConfigSchema } from "../http/config.ts";
import { dnsConfigSchema, routesConfigSchema, smarthostConfigSchema } from "../dns/config.ts";
import { outboundConfigSchema } from "../smtp/client/config.ts";
import { queueConfigSchema } from "../queue/config.ts";

function defaultHostname(): string {
  try {
    const h = osHostname();
    if (h && h.trim()) return h.trim().toLowerCase();
  } catch {
    // Deno without --allow-sys, or no hostname: fall through
  }
  return "localhost";
}

// ---------------------------------------------------------------------------------
// host:port

/** A listen address: host (name, IPv4, or bracketed IPv6) and port. */
export interface HostPort {
  /** IPv6 addresses are returned without brackets ("::1") */
  host: string;
  port: number;
}

const HOSTNAME_RE = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/** Parse "host:port"; undefined when invalid. Port 0 ("pick a free port") is allowed. */
export function tryParseHostPort(s: string): HostPort | undefined {
  if (typeof s !== "string") return undefined;
  let host: string;
  let portStr: string;
  if (s.startsWith("[")) {
    const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(s);
    if (!m) return undefined;
    host = m[1]!;
    portStr = m[2]!;
    if (host.includes(".") && !host.includes(":")) return undefined; // [1.2.3.4] is not IPv6
    if (!isIp(host)) return undefined;
  } else {
    const i = s.lastIndexOf(":");
    if (i <= 0) return undefined;
    host = s.slice(0, i);
    portStr = s.slice(i + 1);
    if (host.includes(":")) return undefined; // bare IPv6 needs brackets
    if (!isIp(host) && !HOSTNAME_RE.test(host)) return undefined;
  }
  if (!/^\d{1,5}$/.test(portStr)) return undefined;
  const port = Number(portStr);
  if (port > 65535) return undefined;
  return { host, port };
}

/** Parse "127.0.0.1:2525" / "[::1]:2525" / "localhost:25" → {host, port}. Throws on invalid. */
export function parseHostPort(s: string): HostPort {
  const hp = tryParseHostPort(s);
  if (!hp) throw new Error(`expected "host:port", got ${JSON.stringify(s)}`);
  return hp;
}

// ---------------------------------------------------------------------------------
// building blocks

const show = (v: unknown): string => {
  if (v === undefined) return "nothing";
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + "..." : s;
  } catch {
    return String(v);
  }
};

const listenAddr = (def: string) =>
  z
    .custom<string | false>((v) => v === false || (typeof v === "string" && tryParseHostPort(v) !== undefined), {
      error: (iss) => `expected "host:port" or false, got ${show(iss.input)}`,
    })
    .default(def);

const posInt = (def: number) => {
  const msg = "expected a positive integer";
  return z.int({ error: msg }).min(1, { error: msg }).default(def);
};

const seconds = (def: number) => {
  const msg = "expected a positive number of seconds";
  return z.number({ error: msg }).positive({ error: msg }).finite({ error: msg }).default(def);
};

const section = <T extends z.core.$ZodLooseShape>(shape: T) =>
  z.strictObject(shape, { error: "expected an object" }).prefault({} as never);

const DOMAIN_MSG = "expected a domain name";
const domainName = z
  .string({ error: DOMAIN_MSG })
  .refine((s) => HOSTNAME_RE.test(s) && !s.endsWith("."), { error: DOMAIN_MSG })
  .transform((s) => s.toLowerCase());

const ADDRESS_MSG = "expected an address user@domain";
const address = z
  .string({ error: ADDRESS_MSG })
  .refine(
    (s) => {
      const at = s.lastIndexOf("@");
      if (at <= 0 || at === s.length - 1) return false;
      const local = s.slice(0, at);
      const domain = s.slice(at + 1);
      return !/[\s<>]/.test(local) && HOSTNAME_RE.test(domain) && !domain.endsWith(".");
    },
    { error: ADDRESS_MSG },
  )
  // the domain part is case-insensitive: lower-case it; the local part is kept as given
  .transform((s) => {
    const at = s.lastIndexOf("@");
    return s.slice(0, at) + "@" + s.slice(at + 1).toLowerCase();
  });

const user = z
  .strictObject(
    {
      address,
      password: z.string({ error: "expected a string" }).min(1, { error: "expected a non-empty string" }).optional(),
      passwordHash: z
        .string({ error: "expected a string" })
        .refine(isPasswordHash, { error: 'expected a scrypt PHC string "$scrypt$ln=..,r=..,p=..$salt$hash"' })
        .optional(),
      /** mailbox quota in bytes, 0 = unlimited (local delivery defers with 4.2.2 when over) */
      quota: z.int({ error: "expected a whole number of bytes (0 = unlimited)" }).min(0, { error: "expected a whole number of bytes (0 = unlimited)" }).optional(),
      /** file bulk/list mail (Precedence: bulk|list, List-Unsubscribe) into the "Advertising" folder */
      advertisingFolder: z.boolean({ error: "expected true or false" }).optional(),
    },
    { error: "expected an object { address, password | passwordHash }" },
  )
  .superRefine((u, ctx) => {
    const n = (u.password !== undefined ? 1 : 0) + (u.passwordHash !== undefined ? 1 : 0);
    if (n !== 1) {
      ctx.addIssue({
        code: "custom",
        path: ["password"],
        message:
          n === 0 ? "expected exactly one of password or passwordHash, got neither" : "expected exactly one of password or passwordHash, got both",
      });
    }
  });

const CIDR_MSG = 'expected a CIDR like "10.0.0.0/8" or "2001:db8::/32"';
const cidr = z.string({ error: CIDR_MSG }).refine(isCidr, { error: CIDR_MSG });

const PATH_MSG = "expected a file path";
const filePath = z.string({ error: PATH_MSG }).min(1, { error: PATH_MSG });

const REGEX_MSG = "expected a regular expression";
const regexString = z.string({ error: REGEX_MSG }).refine((v) => {
  try {
    new RegExp(v, "i");
    return true;
  } catch {
    return false;
  }
}, { error: REGEX_MSG });
const FOLDER_MSG = 'expected a folder name like "Junk" or "Lists.Tern"';
const folderName = z.string({ error: FOLDER_MSG }).regex(/^(?!\.)(?!.*\.\.)(?!.*\.$)[^\/\x00-\x1f\x7f]{1,200}$/, { error: FOLDER_MSG });
const CLAMD_MSG = 'expected "host:port" or a unix socket path';

const filterRule = z
  .strictObject(
    {
      match: z
        .strictObject(
          {
            header: z.strictObject({ name: z.string({ error: "expected a header name" }).min(1), pattern: regexString }, { error: "expected { name, pattern }" }).optional(),
            envelopeFrom: regexString.optional(),
            envelopeTo: regexString.optional(),
          },
          { error: "expected an object { header?, envelopeFrom?, envelopeTo? }" },
        )
        .refine((m) => m.header || m.envelopeFrom !== undefined || m.envelopeTo !== undefined, { error: "expected at least one of header, envelopeFrom, envelopeTo" }),
      action: z.enum(["folder", "reject", "discard"], { error: 'expected one of "folder", "reject", "discard"' }),
      folder: folderName.optional(),
    },
    { error: "expected an object { match, action, folder? }" },
  )
  .superRefine((r, ctx) => {
    if (r.action === "folder" && r.folder === undefined) ctx.addIssue({ code: "custom", path: ["folder"], message: 'expected a folder name (action is "folder")' });
  });

// ---------------------------------------------------------------------------------
// the schema

export const configSchema = z.strictObject(
  {
    /** our name in the SMTP greeting, EHLO, Received headers, generated certificate */
    hostname: domainName.default(defaultHostname),
    /** where the spool, mailboxes, database and generated certificate live (relative to the cwd) */
    dataDir: z.string({ error: "expected a directory path" }).min(1, { error: "expected a directory path" }).default("./data"),
    listen: section({
      smtp: listenAddr("127.0.0.1:2525"),
      submission: listenAddr("127.0.0.1:2587"),
      submissions: listenAddr("127.0.0.1:2465"),
      pop3: listenAddr("127.0.0.1:2110"),
      pop3s: listenAddr("127.0.0.1:2995"),
      imap: listenAddr("127.0.0.1:2143"),
      imaps: listenAddr("127.0.0.1:2993"),
      http: listenAddr("127.0.0.1:8025"),
    }),
    tls: section({
      /** PEM certificate chain file; with key. Neither: a self-signed one in <dataDir>/tls */
      cert: filePath.optional(),
      key: filePath.optional(),
    }).superRefine((t, ctx) => {
      if ((t.cert === undefined) !== (t.key === undefined)) {
        const missing = t.cert === undefined ? "cert" : "key";
        const other = missing === "cert" ? "key" : "cert";
        ctx.addIssue({ code: "custom", path: [missing], message: `expected a file path (tls.${other} is set; set both or neither)` });
      }
    }),
    /** local domains: mail for these is delivered to mailboxes */
    domains: z.array(domainName, { error: "expected a list of domain names" }).default(["localhost"]),
    users: z.array(user, { error: "expected a list of users" }).default([]),
    relay: section({
      /** clients in these networks may relay without authenticating */
      trustedNetworks: z.array(cidr, { error: "expected a list of CIDRs" }).default([]),
      /** send all remote mail through this host (bypasses MX lookup; routes still win) */
      smarthost: smarthostConfigSchema.optional(),
    }),
    /** name servers, query timeout, cache size for MX/A/AAAA lookups */
    dns: dnsConfigSchema,
    /** static routes: "example.com" or "*.example.org" → "host:port" (bypass MX lookup) */
    routes: routesConfigSchema,
    /** outbound SMTP client: connection pool, per-destination limits, timeouts (src/smtp/client) */
    outbound: outboundConfigSchema,
    auth: section({
      /** offer AUTH and accept plaintext passwords without TLS (testing only) */
      allowInsecure: z.boolean({ error: "expected true or false" }).default(false),
    }),
    limits: section({
      maxMessageSize: posInt(26214400),
      maxRecipients: posInt(1000),
      maxConnections: posInt(1000),
      maxConnectionsPerIp: posInt(100),
      /** bad commands before 421 */
      maxErrors: posInt(10),
      maxAuthFailures: posInt(3),
      maxLineLength: posInt(4096),
    }),
    timeouts: section({
      command: seconds(300),
      data: seconds(180),
      shutdown: seconds(30),
      /** POP3 autologout (RFC 1939 §3: at least 10 minutes) */
      pop3Idle: seconds(600),
    }),
    /** outbound scheduling: retry backoff, maximum age, delay DSNs, concurrency */
    queue: queueConfigSchema,
    /** the HTTP API (listen.http): spool high-water mark for 429, status history size */
    http: httpConfigSchema,
    /** delivery-event webhooks: [{url, secret, events?}] (HMAC-SHA256 signed batches) */
    webhooks: webhooksConfigSchema,
    spool: section({
      segmentSize: posInt(67108864),
    }),
    /** local delivery filters (src/delivery/filters.ts) and virus scanning */
    filters: section({
      rules: z.array(filterRule, { error: "expected a list of filter rules" }).default([]),
      /** X-Spam-Flag: YES → the Junk folder */
      spamToJunk: z.boolean({ error: "expected true or false" }).default(true),
      /** clamd "host:port" or unix socket path; unset: no virus scan */
      clamd: z
        .string({ error: CLAMD_MSG })
        .refine((v) => v.startsWith("/") || v.startsWith("./") || tryParseHostPort(v) !== undefined, { error: CLAMD_MSG })
        .optional(),
      clamdTimeout: seconds(30),
    }),
    log: section({
      level: z.enum(["debug", "info", "warn", "error"], { error: 'expected one of "debug", "info", "warn", "error"' }).default("info"),
    }),
  },
  { error: "expected an object" },
);

/** The validated, fully defaulted configuration. */
export type Config = z.output<typeof configSchema>;
/** What a user writes: every key optional. */
export type ConfigInput = z.input<typeof configSchema>;
/** Names of the listeners in `listen`. */
export type ListenerName = keyof Config["listen"];

/** Identity helper for tern.config.ts: gives editor completion and type checking. */
export function defineConfig(c: ConfigInput): ConfigInput {
  return c;
}
