// Start a real Tern server in this process on loopback port 0 with a temp dataDir.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateConfig } from "../../src/config/load.ts";
import type { ConfigInput } from "../../src/config/schema.ts";
import { createLogger } from "../../src/core/log.ts";
import { type RunningServer, startServer } from "../../src/server.ts";
import type { Transport } from "../../src/runtime/types.ts";

export const TEST_PASSWORD = "s3cret-pass";

export interface TestServer {
  server: RunningServer;
  dir: string;
  smtp: number;
  submission: number;
  submissions: number;
  pop3: number;
  pop3s: number;
  imap: number;
  imaps: number;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  /** run the delivery agents (local MDA + remote relay); default false: accepted mail stays queued */
  deliver?: boolean;
}

export async function startTestServer(over: ConfigInput = {}, transport?: Transport, dir?: string, opts: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = dir ?? mkdtempSync(join(tmpdir(), "tern-test-"));
  const config = validateConfig({
    hostname: "mx.tern.test",
    dataDir,
    listen: { smtp: "127.0.0.1:0", submission: "127.0.0.1:0", submissions: "127.0.0.1:0", pop3: "127.0.0.1:0", pop3s: "127.0.0.1:0", imap: "127.0.0.1:0", imaps: "127.0.0.1:0", http: false, ...over.listen },
    // never the machine's resolver in tests: only loopback (nothing answers on port 9 → tempfail)
    dns: { servers: ["127.0.0.1:9"], timeoutMs: 300 },
    domains: ["tern.test"],
    users: [{ address: "alice@tern.test", password: TEST_PASSWORD }],
    ...over,
  });
  const server = await startServer(config, { transport, logger: createLogger("error"), agents: opts.deliver ? undefined : {} });
  return {
    server,
    dir: dataDir,
    smtp: server.ports.smtp ?? 0,
    submission: server.ports.submission ?? 0,
    submissions: server.ports.submissions ?? 0,
    pop3: server.ports.pop3 ?? 0,
    pop3s: server.ports.pop3s ?? 0,
    imap: server.ports.imap ?? 0,
    imaps: server.ports.imaps ?? 0,
    async stop() {
      await server.close();
      if (!dir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
