// Example Tern configuration. Copy to tern.config.ts (loaded automatically from the
// working directory) or pass it with `tern serve --config FILE`. Every key is optional;
// the values below are the defaults unless marked "example". `tern check-config`
// validates a file and prints a summary.
//
// Environment variables override any key (handy in containers):
//   TERN_HOSTNAME=mx.example.com  TERN_DATA_DIR=/var/lib/tern
//   TERN_LISTEN__SMTP=0.0.0.0:25  TERN_LISTEN__HTTP=false
//   TERN_LIMITS__MAX_MESSAGE_SIZE=1000000
//   TERN_RELAY__TRUSTED_NETWORKS=10.0.0.0/8,192.168.0.0/16
//   TERN_USERS='[{"address":"me@example.com","password":"secret"}]'

import { defineConfig } from "./src/config/schema.ts";

export default defineConfig({
  // Our name in the SMTP greeting, EHLO and Received: headers, and the CN of the
  // generated certificate. Default: the machine's hostname (or "localhost").
  hostname: "mx.example.com", // example

  // Spool, mailboxes, database and generated certificate live here (relative to the cwd).
  dataDir: "./data",

  // "host:port" (IPv6 as "[::1]:2525"), or false to disable a listener.
  // Port 0 picks a free port (tests).
  listen: {
    smtp: "127.0.0.1:2525", // MX traffic (port 25 in production)
    submission: "127.0.0.1:2587", // MUAs, STARTTLS + AUTH (587)
    submissions: "127.0.0.1:2465", // MUAs, implicit TLS + AUTH (465)
    pop3: "127.0.0.1:2110",
    pop3s: "127.0.0.1:2995",
    imap: "127.0.0.1:2143",
    imaps: "127.0.0.1:2993",
    http: "127.0.0.1:8025", // HTTP API, /metrics, /healthz
  },

  // PEM files, both or neither. Neither: a self-signed certificate is generated on
  // first start in <dataDir>/tls/{cert,key}.pem.
  tls: {
    // cert: "/etc/letsencrypt/live/mx.example.com/fullchain.pem",
    // key: "/etc/letsencrypt/live/mx.example.com/privkey.pem",
  },

  // Local domains: mail for these is delivered to mailboxes (lower-cased).
  domains: ["localhost", "example.com"], // default ["localhost"]

  // Mailbox users. Exactly one of password (plain, for testing) or passwordHash
  // (a scrypt PHC string, see src/core/password.ts hashPassword()). Default [].
  users: [
    { address: "alice@example.com", password: "change me" }, // example
    // { address: "bob@example.com", passwordHash: "$scrypt$ln=13,r=8,p=1$...$..." },
  ],

  relay: {
    // Clients in these networks may relay to any domain without AUTH (IPv4/IPv6 CIDRs).
    trustedNetworks: [], // e.g. ["10.0.0.0/8", "fd00::/8"]
  },

  auth: {
    // Offer AUTH and accept plaintext passwords on connections without TLS.
    // Only for testing on loopback.
    allowInsecure: false,
  },

  limits: {
    maxMessageSize: 26214400, // bytes (25 MiB), announced in EHLO SIZE
    maxRecipients: 1000, // RCPT TO per transaction
    maxConnections: 1000, // concurrent connections, all listeners
    maxConnectionsPerIp: 100,
    maxErrors: 10, // bad commands before 421 and disconnect
    maxAuthFailures: 3, // failed AUTH attempts before disconnect
    maxLineLength: 4096, // bytes per command line
  },

  timeouts: {
    command: 300, // seconds waiting for the next command
    data: 180, // seconds waiting for the next DATA chunk
    shutdown: 30, // seconds to let sessions finish on SIGTERM
  },

  spool: {
    segmentSize: 67108864, // bytes per spool segment file (64 MiB)
  },

  log: {
    level: "info", // "debug" | "info" | "warn" | "error"
  },
});
