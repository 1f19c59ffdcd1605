// Streaming RETR and TOP (RFC 1939 §7): message bytes from the store go out
// dot-stuffed, chunk by chunk, with write backpressure; never the whole message.

import { DotStuffer, TopFilter } from "../proto/pop3/stuff.ts";

export interface TransferSink {
  /** false: the output backlog is high, wait for drained() */
  send(bytes: Uint8Array): boolean;
  /** resolves when the backlog is low again, or the connection is gone */
  drained(): Promise<void>;
  /** the connection is gone (stop reading the store) */
  readonly gone: boolean;
  /** progress, for the idle timer */
  progress(): void;
}

export type TransferResult =
  | { kind: "sent"; bytes: number }
  /** nothing was sent: the message could not be read (reply -ERR) */
  | { kind: "unreadable"; error: unknown }
  /** the stream broke after "+OK": the response cannot be completed, close */
  | { kind: "broken"; error?: unknown };

const enc = new TextEncoder();

/**
 * Send `okLine`, then the message (or its TOP part), then ".CRLF". The first chunk
 * is read before anything is sent, so a message that cannot be read gets -ERR.
 */
export async function sendMessage(
  open: () => AsyncIterable<Uint8Array>,
  okLine: string,
  sink: TransferSink,
  topLines?: number,
): Promise<TransferResult> {
  let it: AsyncIterator<Uint8Array>;
  let step: IteratorResult<Uint8Array>;
  try {
    it = open()[Symbol.asyncIterator]();
    step = await it.next();
  } catch (error) {
    return { kind: "unreadable", error };
  }
  const stuffer = new DotStuffer();
  const top = topLines === undefined ? undefined : new TopFilter(topLines);
  let ready = sink.send(enc.encode(okLine));
  let bytes = 0;
  try {
    while (!step.done) {
      const part = top ? top.push(step.value) : step.value;
      bytes += part.length;
      if (part.length > 0) ready = sink.send(stuffer.push(part));
      if (top?.done) break;
      if (!ready && !sink.gone) await sink.drained();
      if (sink.gone) return await stop(it, { kind: "broken" });
      sink.progress();
      step = await it.next();
    }
  } catch (error) {
    return await stop(it, { kind: "broken", error });
  }
  if (top?.done) await stop(it, undefined);
  sink.send(stuffer.end());
  return { kind: "sent", bytes };
}

/** end the store's iterator early (closes its file) */
async function stop<T>(it: AsyncIterator<Uint8Array>, r: T): Promise<T> {
  try {
    await it.return?.();
  } catch {
    // the file is being closed anyway
  }
  return r;
}
