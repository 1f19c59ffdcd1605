// MAIL and RCPT argument handling: paths, ESMTP parameters (SIZE, BODY, SMTPUTF8,
// RFC 3461 DSN, RFC 4954 AUTH) and the relay policy. Pure functions.

import { parsePath, splitPathArg } from "../../core/address.ts";
import { decodeXtext, parseParams, type Params } from "../../proto/smtp/command.ts";
import { C452, C501, C550, C552, C553, C554, C555, type Reply, reply } from "../../proto/smtp/replies.ts";
import type { DsnNotify, Envelope, Recipient } from "../../spool/types.ts";
import type { SessionPolicy } from "./policy.ts";

export interface Transaction {
  mailFrom: string;
  rcptTo: Recipient[];
  dsn?: Envelope["dsn"];
  body?: Envelope["body"];
  smtputf8: boolean;
  declaredSize?: number;
  startedAt: number;
}

type Result<T> = { ok: true; value: T } | { ok: false; reply: Reply };
const bad = <T>(r: Reply): Result<T> => ({ ok: false, reply: r });

function pathAndParams(arg: string): Result<{ path: string; params: Params }> {
  const split = splitPathArg(arg);
  if (!split.ok) return bad(reply(C501, "5.5.4", `${split.error}`));
  const params = parseParams(split.value.rest);
  if (typeof params === "string") return bad(reply(C501, "5.5.4", params));
  return { ok: true, value: { path: split.value.path, params } };
}

export function beginTransaction(arg: string, policy: SessionPolicy, now: number): Result<Transaction> {
  const pp = pathAndParams(arg);
  if (!pp.ok) return pp;
  const { path, params } = pp.value;
  const tx: Transaction = { mailFrom: "", rcptTo: [], smtputf8: false, startedAt: now };
  for (const [key, value] of params) {
    switch (key) {
      case "SIZE": { // RFC 1870
        if (value === true || !/^\d{1,20}$/.test(value)) return bad(reply(C501, "5.5.4", "SIZE needs a number"));
        tx.declaredSize = Number(value);
        if (tx.declaredSize > policy.maxMessageSize) {
          return bad(reply(C552, "5.3.4", `message size exceeds fixed maximum of ${policy.maxMessageSize} bytes`));
        }
        break;
      }
      case "BODY": { // RFC 6152
        const v = value === true ? "" : value.toUpperCase();
        if (v !== "7BIT" && v !== "8BITMIME") return bad(reply(C555, "5.5.4", `BODY=${v} not supported`));
        tx.body = v;
        break;
      }
      case "SMTPUTF8": // RFC 6531 §3.4
        if (value !== true) return bad(reply(C501, "5.5.4", "SMTPUTF8 takes no value"));
        tx.smtputf8 = true;
        break;
      case "RET": { // RFC 3461 §4.3
        const v = value === true ? "" : value.toUpperCase();
        if (v !== "FULL" && v !== "HDRS") return bad(reply(C501, "5.5.4", "RET must be FULL or HDRS"));
        tx.dsn = { ...tx.dsn, ret: v };
        break;
      }
      case "ENVID": { // RFC 3461 §4.4
        const v = value === true ? null : decodeXtext(value);
        if (v === null || v.length > 100) return bad(reply(C501, "5.5.4", "ENVID must be xtext of at most 100 characters"));
        tx.dsn = { ...tx.dsn, envid: v };
        break;
      }
      case "AUTH": // RFC 4954 §5: accepted, not trusted
        break;
      default:
        return bad(reply(C555, "5.5.4", `MAIL parameter ${key} not recognised`));
    }
  }
  const mb = parsePath(path, true);
  if (!mb.ok) return bad(reply(C553, "5.1.7", `bad sender address: ${mb.error}`));
  if (mb.value?.utf8 && !tx.smtputf8) return bad(reply(C553, "5.6.7", "sender address needs SMTPUTF8")); // RFC 6531 §3.5
  tx.mailFrom = mb.value?.address ?? "";
  return { ok: true, value: tx };
}

const NOTIFY = new Set(["SUCCESS", "FAILURE", "DELAY"]);

export interface RcptContext {
  policy: SessionPolicy;
  authenticated: boolean;
  clientIp: string;
}

export function addRecipient(tx: Transaction, arg: string, ctx: RcptContext): Result<Recipient> {
  if (tx.rcptTo.length >= ctx.policy.maxRecipients) {
    return bad(reply(C452, "4.5.3", "too many recipients")); // RFC 5321 §4.5.3.1.10
  }
  const pp = pathAndParams(arg);
  if (!pp.ok) return pp;
  const rcpt: Recipient = { address: "" };
  for (const [key, value] of pp.value.params) {
    switch (key) {
      case "NOTIFY": { // RFC 3461 §4.1
        const list = value === true ? [] : value.toUpperCase().split(",");
        const ok = list.length === 1 && list[0] === "NEVER" || list.length > 0 && list.every((v) => NOTIFY.has(v));
        if (!ok) return bad(reply(C501, "5.5.4", "NOTIFY must be NEVER or a list of SUCCESS,FAILURE,DELAY"));
        rcpt.notify = list as DsnNotify[];
        break;
      }
      case "ORCPT": { // RFC 3461 §4.2
        const semi = value === true ? -1 : value.indexOf(";");
        if (value === true || semi <= 0 || decodeXtext(value.slice(semi + 1)) === null) {
          return bad(reply(C501, "5.5.4", "ORCPT must be addr-type;xtext"));
        }
        rcpt.orcpt = value;
        break;
      }
      default:
        return bad(reply(C555, "5.5.4", `RCPT parameter ${key} not recognised`));
    }
  }
  const mb = parsePath(pp.value.path, false);
  if (!mb.ok || !mb.value) return bad(reply(C553, "5.1.3", `bad recipient address: ${mb.ok ? "empty" : mb.error}`));
  const box = mb.value;
  if (box.utf8 && !tx.smtputf8) return bad(reply(C553, "5.6.7", "recipient address needs SMTPUTF8"));
  rcpt.address = box.address;
  const { policy } = ctx;
  if (policy.isLocalDomain(box.domain)) {
    if (!policy.localUserExists(box.address)) return bad(reply(C550, "5.1.1", `<${box.address}>: no such user here`));
  } else if (!ctx.authenticated && !policy.isTrusted(ctx.clientIp)) {
    return bad(reply(C554, "5.7.1", `<${box.address}>: relay access denied`));
  }
  return { ok: true, value: rcpt };
}
