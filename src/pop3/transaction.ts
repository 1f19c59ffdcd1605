// TRANSACTION-state commands that need no I/O (RFC 1939 §5, §7): each returns the
// complete response for the session to send.

import * as P from "../proto/pop3/responses.ts";
import type { Lookup, Maildrop } from "./maildrop.ts";

export function statReply(drop: Maildrop): string {
  const { count, size } = drop.stat(); // RFC 1939 §5 STAT: deleted messages not counted
  return P.ok(`${count} ${size}`);
}

/** LIST / UIDL, with or without a message number */
export function listReply(drop: Maildrop, uidl: boolean, n?: number): string {
  if (n !== undefined) {
    const r = drop.get(n);
    if (r.kind !== "ok") return noSuchMessage(n, r);
    return P.ok(`${n} ${uidl ? drop.uidl(r.msg) : r.msg.size}`);
  }
  const lines: string[] = [];
  drop.forEachLive((i, m) => lines.push(`${i} ${uidl ? drop.uidl(m) : m.size}`));
  const { count, size } = drop.stat();
  return P.multiline(uidl ? "unique-id listing follows" : `${count} messages (${size} octets)`, lines);
}

export function deleReply(drop: Maildrop, n: number): string {
  const r = drop.get(n);
  if (r.kind !== "ok") return noSuchMessage(n, r);
  drop.markDeleted(n); // RFC 1939 §5: removed only in the UPDATE state
  return P.ok(`message ${n} deleted`);
}

export function rsetReply(drop: Maildrop): string {
  drop.reset(); // RFC 1939 §5 RSET: unmark every message
  const { count, size } = drop.stat();
  return P.ok(`maildrop has ${count} messages (${size} octets)`);
}

export function noSuchMessage(n: number, r: Exclude<Lookup, { kind: "ok" }>): string {
  switch (r.kind) {
    case "deleted":
      return P.err(`message ${n} is already deleted`);
    case "missing":
      return P.err(`no such message ${n}`);
  }
}
