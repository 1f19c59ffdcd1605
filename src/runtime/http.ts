// HTTP serving for the API: Bun.serve on Bun, Deno.serve on Deno, node:http elsewhere.
// The app is a fetch handler (hono's app.fetch); the client address is passed as `env`.

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface HttpEnv {
  remoteAddress: string;
}

export type FetchHandler = (req: Request, env: HttpEnv) => Response | Promise<Response>;

export interface HttpServer {
  readonly port: number;
  close(): Promise<void>;
}

declare const Bun: {
  serve(o: {
    hostname: string;
    port: number;
    maxRequestBodySize?: number;
    fetch(req: Request, server: { requestIP(r: Request): { address: string } | null }): Response | Promise<Response>;
  }): { port: number; stop(force?: boolean): Promise<void> | void };
} | undefined;

declare const Deno: {
  serve(o: { hostname: string; port: number; onListen?: () => void }, h: (req: Request, info: { remoteAddr: { hostname: string } }) => Response | Promise<Response>): {
    addr: { port: number };
    shutdown(): Promise<void>;
  };
} | undefined;

export async function serveHttp(host: string, port: number, handler: FetchHandler, maxBodyBytes: number): Promise<HttpServer> {
  if (typeof Bun !== "undefined") {
    const s = Bun.serve({
      hostname: host,
      port,
      maxRequestBodySize: maxBodyBytes,
      fetch: (req, server) => handler(req, { remoteAddress: server.requestIP(req)?.address ?? "" }),
    });
    return { port: s.port, close: async () => void (await s.stop(true)) };
  }
  if (typeof Deno !== "undefined") {
    const s = Deno.serve({ hostname: host, port, onListen: () => {} }, (req, info) =>
      handler(req, { remoteAddress: info.remoteAddr.hostname }));
    return { port: s.addr.port, close: () => s.shutdown() };
  }
  return serveNode(host, port, handler);
}

async function serveNode(host: string, port: number, handler: FetchHandler): Promise<HttpServer> {
  const server = createServer(async (req, res) => {
    const chunks: Uint8Array[] = [];
    for await (const c of req) chunks.push(c as Uint8Array);
    const body = chunks.length ? Buffer.concat(chunks) : undefined;
    const request = new Request(`http://${req.headers.host ?? host}${req.url}`, {
      method: req.method,
      headers: req.headers as Record<string, string>,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
    });
    const response = await handler(request, { remoteAddress: req.socket.remoteAddress ?? "" });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((r) => server.listen(port, host, r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
