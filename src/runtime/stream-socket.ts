// A plain client byte stream to "host:port" or a unix socket path (node:net works on
// Bun and Deno), for simple request/response protocols such as clamd's INSTREAM.

import * as net from "node:net";

export type StreamTarget = { host: string; port: number } | { path: string };

export interface ByteStream {
  /** false when the bytes were buffered: wait for drain() before writing much more */
  write(data: Uint8Array): boolean;
  drain(): Promise<void>;
  /** half-close our side */
  end(): void;
  /** everything the peer sent until it closed (at most maxBytes) */
  response(maxBytes: number): Promise<Uint8Array>;
  destroy(): void;
}

export function connectStream(target: StreamTarget, timeoutMs: number): Promise<ByteStream> {
  return new Promise((resolve, reject) => {
    const sock = "path" in target ? net.connect({ path: target.path }) : net.connect({ host: target.host, port: target.port });
    const chunks: Uint8Array[] = [];
    let got = 0;
    let failure: Error | undefined;
    let closed = false;
    const waiters: (() => void)[] = [];
    const wake = () => {
      for (const w of waiters.splice(0)) w();
    };
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    sock.on("data", (d: Uint8Array) => {
      chunks.push(d);
      got += d.length;
      if (got > 1 << 20) sock.destroy(new Error("answer too long"));
    });
    sock.on("drain", wake);
    sock.on("error", (e) => {
      failure ??= e;
      reject(e);
    });
    sock.on("close", () => {
      closed = true;
      wake();
    });
    sock.on("connect", () => {
      resolve({
        write: (data) => sock.write(data),
        drain: () => (closed || !sock.writableNeedDrain ? Promise.resolve() : new Promise<void>((r) => waiters.push(r))),
        end: () => sock.end(),
        response: (maxBytes) =>
          new Promise<Uint8Array>((res, rej) => {
            const done = () => {
              if (got > 0) res(Buffer.concat(chunks).subarray(0, maxBytes));
              else rej(failure ?? new Error("connection closed without an answer"));
            };
            if (closed) done();
            else sock.once("close", done);
          }),
        destroy: () => sock.destroy(),
      });
    });
  });
}
