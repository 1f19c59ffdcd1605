// Message intake for an SMTP server session: opening a spool writer with the
// Received header, streaming DATA/BDAT body bytes into it under the size limit,
// BDAT chunk bookkeeping, the envelope handed to commit and the replies for a
// body that is refused or fails to commit. The session keeps the phase changes.

import * as R from "../../proto/smtp/replies.ts";
import { type Reply, reply } from "../../proto/smtp/replies.ts";
import { protocolName, receivedHeader } from "../../proto/smtp/received.ts";
import { CommitRejected, SpoolError, type ClientInfo, type Envelope, type SpoolWriter } from "../../spool/types.ts";
import type { Transaction } from "./transaction.ts";

/** a message body being received */
export interface Incoming {
  writer: SpoolWriter;
  size: number;
  tooBig: boolean;
}

/** what the Received header and the envelope say about the session */
export interface IntakeContext {
  client: ClientInfo;
  hostname: string;
  esmtp: boolean;
  authUser: string | undefined;
}

const enc = new TextEncoder();

/** start a message: the spool writer gets our Received header first */
export function openMessage(writer: SpoolWriter, tx: Transaction, ctx: IntakeContext, time: number): Incoming {
  const header = receivedHeader({
    client: ctx.client,
    hostname: ctx.hostname,
    id: writer.id,
    protocol: protocolName(ctx.esmtp, ctx.client.tls !== undefined, ctx.authUser !== undefined, tx.smtputf8),
    auth: ctx.authUser,
    for: tx.rcptTo.length === 1 ? tx.rcptTo[0].address : undefined,
    time,
  });
  writer.write(enc.encode(header));
  return { writer, size: 0, tooBig: false };
}

/** body bytes: stored until the message exceeds maxSize, then only counted */
export function appendBody(msg: Incoming, chunk: Uint8Array, maxSize: number): void {
  msg.size += chunk.length;
  if (msg.tooBig) return;
  if (msg.size > maxSize) {
    msg.tooBig = true; // keep reading to the end, store nothing more
    return;
  }
  msg.writer.write(chunk);
}

export function tooBigReply(maxSize: number): Reply {
  return reply(R.C552, "5.3.4", `message exceeds fixed maximum size of ${maxSize} bytes`);
}

export function bareLineEndReply(bareCr: boolean): Reply {
  // RFC 5321 §2.3.8: CR and LF only as CRLF (the SMTP smuggling defence)
  return reply(R.C550, "5.6.0", `message refused: bare ${bareCr ? "CR" : "LF"} in DATA (RFC 5321 §2.3.8)`);
}

/** why a message was not queued */
export function commitFailureReply(err: unknown): Reply {
  return err instanceof CommitRejected
    ? reply(err.code, err.status, err.text) // a filter's verdict (e.g. 554 5.7.1 virus)
    : err instanceof SpoolError
    ? reply(R.C452, "4.3.1", "insufficient system storage, try again later")
    : reply(R.C451, "4.3.0", "local error in processing, try again later");
}

export function envelope(tx: Transaction, ctx: IntakeContext): Envelope {
  return {
    mailFrom: tx.mailFrom,
    rcptTo: tx.rcptTo,
    dsn: tx.dsn,
    body: tx.body,
    smtputf8: tx.smtputf8 || undefined,
    auth: ctx.authUser,
    client: ctx.client,
    receivedAt: tx.startedAt,
  };
}

/** the BDAT chunk being read (RFC 3030) */
export class BdatChunk {
  /** the chunk was refused (bad sequence): read and drop it */
  discard = false;
  last = false;
  size = 0;

  /** RFC 3030 §2: the chunk is read even when the command is refused */
  begin(size: number, last: boolean, accepted: boolean): void {
    this.discard = !accepted;
    this.last = last;
    this.size = size;
  }

  /** the refusal for a discarded chunk, once it is read; afterwards chunks are read again */
  refusal(inMail: boolean): Reply {
    this.discard = false;
    const why = inMail ? "no valid recipients" : "need MAIL and RCPT before BDAT";
    return reply(inMail ? R.C554 : R.C503, "5.5.1", why);
  }
}
