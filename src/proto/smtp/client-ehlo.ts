// EHLO response parsing (RFC 5321 §4.1.1.1): the capabilities of the server.
// Sans-I/O: a parsed reply in, a capability record out.

import type { SmtpReply } from "./client-reply.ts";

export interface Capabilities {
  pipelining: boolean; // RFC 2920
  chunking: boolean; // RFC 3030
  binaryMime: boolean; // RFC 3030 §3
  starttls: boolean; // RFC 3207
  smtputf8: boolean; // RFC 6531
  eightBitMime: boolean; // RFC 6152
  enhancedStatusCodes: boolean; // RFC 2034
  dsn: boolean; // RFC 3461
  /** RFC 1870: the declared maximum message size; 0 = no limit declared; undefined = no SIZE */
  size: number | undefined;
  /** RFC 4954: SASL mechanisms, upper-case */
  auth: string[];
}

export function noCapabilities(): Capabilities {
  return {
    pipelining: false,
    chunking: false,
    binaryMime: false,
    starttls: false,
    smtputf8: false,
    eightBitMime: false,
    enhancedStatusCodes: false,
    dsn: false,
    size: undefined,
    auth: [],
  };
}

/** Parse a 250 EHLO reply; the first line is the server's greeting, not a keyword. */
export function parseEhlo(r: SmtpReply): Capabilities {
  const caps = noCapabilities();
  for (let i = 1; i < r.lines.length; i++) {
    // RFC 5321 §4.1.1.1: ehlo-line = ehlo-keyword *( SP ehlo-param )
    const words = r.lines[i]!.trim().split(/\s+/);
    const kw = (words[0] ?? "").toUpperCase();
    applyKeyword(caps, kw, words.slice(1));
  }
  return caps;
}

function applyKeyword(caps: Capabilities, kw: string, params: string[]): void {
  switch (kw) {
    case "PIPELINING":
      caps.pipelining = true;
      return;
    case "CHUNKING":
      caps.chunking = true;
      return;
    case "BINARYMIME":
      caps.binaryMime = true;
      return;
    case "STARTTLS":
      caps.starttls = true;
      return;
    case "SMTPUTF8":
      caps.smtputf8 = true;
      return;
    case "8BITMIME":
      caps.eightBitMime = true;
      return;
    case "ENHANCEDSTATUSCODES":
      caps.enhancedStatusCodes = true;
      return;
    case "DSN":
      caps.dsn = true;
      return;
    case "SIZE": {
      // RFC 1870 §4: SIZE [limit]; 0 or absent means no fixed limit
      const n = params[0] !== undefined && /^\d+$/.test(params[0]) ? Number(params[0]) : 0;
      caps.size = n;
      return;
    }
    case "AUTH":
      for (const m of params) if (!caps.auth.includes(m.toUpperCase())) caps.auth.push(m.toUpperCase());
      return;
    default:
      if (kw.startsWith("AUTH=")) {
        // pre-RFC 4954 "AUTH=LOGIN PLAIN" form
        for (const m of [kw.slice(5), ...params]) {
          if (m && !caps.auth.includes(m.toUpperCase())) caps.auth.push(m.toUpperCase());
        }
      }
      return;
  }
}
