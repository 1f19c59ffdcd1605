// The control channel between `tern queue ...` and a running server: a Unix domain
// socket (<dataDir>/control.sock, mode 0600) speaking JSON lines.
//
//   → {"cmd":"flush","args":[]}
//   ← {"ok":true,"result":...}        or {"ok":false,"error":"what is wrong"}
//
// One request per line, answered in order; a client may send several. node:net
// serves Unix sockets on Bun and Deno alike.

import { chmod, unlink } from "node:fs/promises";
import * as net from "node:net";

export interface ControlRequest {
  cmd: string;
  args: string[];
}

export type ControlResponse = { ok: true; result: unknown } | { ok: false; error: string };

export type ControlHandler = (req: ControlRequest) => Promise<unknown> | unknown;

export interface ControlServer {
  readonly path: string;
  close(): Promise<void>;
}

/** Requests longer than this are refused and the connection closed. */
export const MAX_REQUEST_BYTES = 64 * 1024;
const NL = 10;

/** Raised by controlRequest when no server answers; `message` says what to do. */
export class ControlUnavailable extends Error {
  override name = "ControlUnavailable";
}

function parseRequest(line: string): ControlRequest | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return "bad request: not JSON";
  }
  if (typeof v !== "object" || v === null) return "bad request: expected an object";
  const o = v as Record<string, unknown>;
  if (typeof o.cmd !== "string" || o.cmd === "") return 'bad request: "cmd" must be a non-empty string';
  const args = o.args ?? [];
  if (!Array.isArray(args) || !args.every((a) => typeof a === "string")) return 'bad request: "args" must be a list of strings';
  return { cmd: o.cmd, args: args as string[] };
}

function serve(sock: net.Socket, handler: ControlHandler): void {
  let buf = new Uint8Array(0);
  let chain = Promise.resolve();
  const answer = (r: ControlResponse) => {
    if (!sock.destroyed) sock.write(JSON.stringify(r) + "\n");
  };
  sock.on("error", () => sock.destroy());
  sock.on("data", (chunk: Uint8Array) => {
    const next = new Uint8Array(buf.length + chunk.length);
    next.set(buf);
    next.set(chunk, buf.length);
    buf = next;
    let nl: number;
    while ((nl = buf.indexOf(NL)) !== -1) {
      const line = new TextDecoder().decode(buf.subarray(0, nl)).trim();
      buf = buf.slice(nl + 1);
      if (line === "") continue;
      const req = parseRequest(line);
      chain = chain.then(async () => {
        if (typeof req === "string") return answer({ ok: false, error: req });
        try {
          answer({ ok: true, result: (await handler(req)) ?? null });
        } catch (e) {
          answer({ ok: false, error: e instanceof Error ? e.message : String(e) });
        }
      });
    }
    if (buf.length > MAX_REQUEST_BYTES) {
      answer({ ok: false, error: `bad request: longer than ${MAX_REQUEST_BYTES} bytes` });
      sock.end();
    }
  });
}

/** Is a server answering on this socket path? */
function probe(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.createConnection({ path });
    c.on("connect", () => {
      c.destroy();
      resolve(true);
    });
    c.on("error", () => resolve(false));
  });
}

/** Listen on `path`; a stale socket file (no server behind it) is replaced. */
export async function startControlServer(path: string, handler: ControlHandler): Promise<ControlServer> {
  if (await probe(path)) throw new Error(`another server is running: ${path} answers`);
  await unlink(path).catch(() => {});
  const conns = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    conns.add(sock);
    sock.on("close", () => conns.delete(sock));
    serve(sock, handler);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve();
    });
  });
  await chmod(path, 0o600).catch(() => {});
  let closing: Promise<void> | undefined;
  return {
    path,
    close: () =>
      closing ??= new Promise<void>((resolve) => {
        for (const c of conns) c.destroy();
        server.close(() => resolve());
      }).then(() => unlink(path).catch(() => {})),
  };
}

/** Send one request and wait for its answer. Rejects with ControlUnavailable when no server runs. */
export function controlRequest(path: string, req: ControlRequest, timeoutMs = 30_000): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection({ path });
    let buf = "";
    let done = false;
    const finish = (f: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      f();
    };
    const timer = setTimeout(
      () => finish(() => reject(new ControlUnavailable(`the server did not answer within ${timeoutMs / 1000}s (${path})`))),
      timeoutMs,
    );
    sock.on("connect", () => sock.write(JSON.stringify(req) + "\n"));
    sock.on("data", (d: Uint8Array) => {
      buf += new TextDecoder().decode(d);
      const nl = buf.indexOf("\n");
      if (nl === -1) return;
      finish(() => {
        try {
          resolve(JSON.parse(buf.slice(0, nl)) as ControlResponse);
        } catch {
          reject(new Error(`bad answer from the server on ${path}`));
        }
      });
    });
    sock.on("error", (e: Error & { code?: string }) => {
      finish(() => {
        const notRunning = e.code === "ENOENT" || e.code === "ECONNREFUSED";
        reject(
          notRunning
            ? new ControlUnavailable(`the server is not running (no control socket at ${path})`)
            : new ControlUnavailable(`cannot reach the server at ${path}: ${e.message}`),
        );
      });
    });
    sock.on("close", () => finish(() => reject(new ControlUnavailable(`the server closed the control connection (${path})`))));
  });
}
