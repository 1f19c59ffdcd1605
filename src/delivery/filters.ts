// Delivery filters: which folder a message goes to, or reject/discard.
//
// Config rules are tried first, in order (first match wins); then the built-ins:
//   X-Spam-Flag: YES → "Junk"                              (filters.spamToJunk, default on)
//   Precedence: bulk|list or List-Unsubscribe → "Advertising" (per user: advertisingFolder)
// Patterns are case-insensitive regular expressions; every condition of a rule's
// `match` must hold.

import type { Header } from "./headers.ts";

export interface FilterRule {
  match: {
    header?: { name: string; pattern: string };
    envelopeFrom?: string;
    envelopeTo?: string;
  };
  action: "folder" | "reject" | "discard";
  /** with action "folder" */
  folder?: string;
}

export type Decision = { action: "folder"; folder: string } | { action: "reject" } | { action: "discard" };

export interface CompiledRule {
  header?: { name: string; re: RegExp };
  from?: RegExp;
  to?: RegExp;
  decision: Decision;
}

export interface Facts {
  headers: Header[];
  /** "" for <> */
  mailFrom: string;
  /** the recipient as given in RCPT TO, and the local user it reached */
  rcpt: string;
  user: string;
  /** the user wants bulk mail in "Advertising" */
  advertisingFolder: boolean;
}

export const INBOX_DECISION: Decision = { action: "folder", folder: "INBOX" };
export const JUNK_FOLDER = "Junk";
export const ADVERTISING_FOLDER = "Advertising";

function regex(pattern: string, where: string): RegExp {
  try {
    return new RegExp(pattern, "i");
  } catch (e) {
    throw new Error(`${where}: invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`);
  }
}

/** validate and compile config rules; throws naming the rule and what is wrong */
export function compileRules(rules: FilterRule[]): CompiledRule[] {
  return rules.map((r, i) => {
    const where = `filters.rules[${i}]`;
    const out: CompiledRule = { decision: toDecision(r, where) };
    if (r.match.header) out.header = { name: r.match.header.name.toUpperCase(), re: regex(r.match.header.pattern, `${where}.match.header.pattern`) };
    if (r.match.envelopeFrom !== undefined) out.from = regex(r.match.envelopeFrom, `${where}.match.envelopeFrom`);
    if (r.match.envelopeTo !== undefined) out.to = regex(r.match.envelopeTo, `${where}.match.envelopeTo`);
    if (!out.header && !out.from && !out.to) throw new Error(`${where}.match: expected at least one of header, envelopeFrom, envelopeTo`);
    return out;
  });
}

function toDecision(r: FilterRule, where: string): Decision {
  switch (r.action) {
    case "folder":
      if (!r.folder) throw new Error(`${where}.folder: expected a folder name for action "folder"`);
      return { action: "folder", folder: r.folder };
    case "reject":
      return { action: "reject" };
    case "discard":
      return { action: "discard" };
    default: {
      const never: never = r.action;
      throw new Error(`${where}.action: expected "folder", "reject" or "discard", got ${JSON.stringify(never)}`);
    }
  }
}

function matches(rule: CompiledRule, f: Facts): boolean {
  if (rule.from && !rule.from.test(f.mailFrom)) return false;
  if (rule.to && !rule.to.test(f.rcpt) && !rule.to.test(f.user)) return false;
  if (rule.header) {
    const { name, re } = rule.header;
    if (!f.headers.some((h) => h.name === name && re.test(h.value))) return false;
  }
  return true;
}

function has(f: Facts, name: string, re?: RegExp): boolean {
  return f.headers.some((h) => h.name === name && (!re || re.test(h.value)));
}

export function decide(rules: CompiledRule[], f: Facts, opts: { spamToJunk: boolean }): Decision {
  for (const r of rules) if (matches(r, f)) return r.decision;
  if (opts.spamToJunk && has(f, "X-SPAM-FLAG", /^yes$/i)) return { action: "folder", folder: JUNK_FOLDER };
  // RFC 2369 List-* fields; Precedence is the de-facto bulk marker (RFC 3834 §2)
  if (f.advertisingFolder && (has(f, "PRECEDENCE", /^(bulk|list)$/i) || has(f, "LIST-UNSUBSCRIBE"))) {
    return { action: "folder", folder: ADVERTISING_FOLDER };
  }
  return INBOX_DECISION;
}
