// The `tern` command line.
//
//   tern serve [--config FILE]
//   tern check-config [--config FILE]
//   tern queue ls [--config FILE] [--json]
//   tern queue flush|stats|retry ID|delete ID|suspend DOMAIN|resume DOMAIN (running server, src/queue/cli.ts)
//   tern domain|user|alias ... (see src/directory/cli.ts)
//   tern --version | --help
//
// Exit codes: 0 ok, 1 error (bad config, start failure), 2 usage error.

import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ConfigError, findConfigFile, loadConfig } from "./config/load.ts";
import type { Config } from "./config/schema.ts";
import { fileExists, readTextFile } from "./runtime/files.ts";
import type { QueuedMessage } from "./spool/types.ts";
import { age, checkArgs, type ControlSubcommand, isControlSubcommand, queueControl } from "./queue/cli.ts";

const USAGE = `Usage: tern <command> [options]

Commands:
  serve           start the mail server
  check-config    validate the configuration and print a summary
  queue ls        list the messages in the spool
  queue flush     (running server) try every queued message now
  queue retry ID  (running server) try one message now
  queue delete ID (running server) remove a message, no bounce
  queue stats     (running server) counts by state, oldest age, deferred by domain
  queue suspend|resume DOMAIN   (running server) hold / release a domain
  domain add|del|ls DOMAIN...
  user add|del|passwd|set|ls ADDRESS   (password: typed, or first line of stdin)
                  [--quota BYTES] [--advertising-folder | --no-advertising-folder]
  apikey add NAME [SENDER-DOMAIN...] | del ID | ls   (HTTP API keys)
  alias add|del|ls SOURCE TARGET...    (SOURCE "@domain" is the domain's catch-all)

Options:
  -c, --config FILE   config file (.ts, .js or .json); default: $TERN_CONFIG,
                      else ./tern.config.ts, else ./tern.config.json, else defaults
      --json          (queue ls, queue stats ...) print JSON
  -h, --help          show this help
  -v, --version       print the version

Environment: TERN_<KEY> and TERN_<SECTION>__<KEY> override config keys,
e.g. TERN_LISTEN__SMTP=0.0.0.0:25 TERN_LIMITS__MAX_MESSAGE_SIZE=1000000
`;

interface Args {
  positionals: string[];
  config?: string;
  json: boolean;
  help: boolean;
  version: boolean;
  quota?: string;
  advertisingFolder?: boolean;
  noAdvertisingFolder?: boolean;
}

function parse(argv: string[]): Args {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: "string", short: "c" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
      quota: { type: "string" },
      "advertising-folder": { type: "boolean" },
      "no-advertising-folder": { type: "boolean" },
    },
  });
  return {
    positionals,
    config: values.config as string | undefined,
    json: values.json === true,
    help: values.help === true,
    version: values.version === true,
    quota: values.quota as string | undefined,
    advertisingFolder: values["advertising-folder"] === true,
    noAdvertisingFolder: values["no-advertising-folder"] === true,
  };
}

async function version(): Promise<string> {
  const pkg = JSON.parse(await readTextFile(fileURLToPath(new URL("../package.json", import.meta.url).href)));
  return String(pkg.version);
}

function usageError(msg: string): number {
  process.stderr.write(`tern: ${msg}\n\n${USAGE}`);
  return 2;
}

async function load(path: string | undefined): Promise<Config | undefined> {
  try {
    return await loadConfig(path);
  } catch (e) {
    process.stderr.write(`${e instanceof ConfigError ? e.message : `tern: ${(e as Error).message}`}\n`);
    return undefined;
  }
}

// ---------------------------------------------------------------------------------

async function checkConfig(args: Args): Promise<number> {
  const config = await load(args.config);
  if (!config) return 1;
  const file = await findConfigFile(args.config);
  const listen = Object.entries(config.listen)
    .map(([name, addr]) => (addr === false ? undefined : `${name} ${addr}`))
    .filter((x) => x !== undefined);
  const lines = [
    "config OK",
    `  file:      ${file ?? "(none: defaults and environment)"}`,
    `  hostname:  ${config.hostname}`,
    `  dataDir:   ${config.dataDir}`,
    `  listen:    ${listen.length ? listen.join(", ") : "(nothing)"}`,
    `  tls:       ${config.tls.cert ? `${config.tls.cert} + ${config.tls.key}` : `self-signed in ${config.dataDir}/tls`}`,
    `  domains:   ${config.domains.join(", ") || "(none)"}`,
    `  users:     ${config.users.length}`,
    `  relay:     ${config.relay.trustedNetworks.length ? config.relay.trustedNetworks.join(", ") : "(authenticated only)"}`,
  ];
  process.stdout.write(lines.join("\n") + "\n");
  return 0;
}

async function serve(args: Args): Promise<number | undefined> {
  // validate everything before binding anything
  const config = await load(args.config);
  if (!config) return 1;
  const serverPath = new URL("./server.ts", import.meta.url);
  if (!(await fileExists(fileURLToPath(serverPath.href)))) {
    process.stderr.write("tern: serve: src/server.ts is missing from this build\n");
    return 1;
  }
  let server: { close(): Promise<void> };
  try {
    const mod = (await import(serverPath.href)) as { startServer(config: Config): Promise<{ close(): Promise<void> }> };
    server = await mod.startServer(config);
  } catch (e) {
    process.stderr.write(`tern: cannot start: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  let closing = false;
  const stop = (signal: string) => {
    if (closing) {
      process.stderr.write(`tern: ${signal} again, exiting now\n`);
      process.exit(1);
    }
    closing = true;
    process.stderr.write(`tern: ${signal}, shutting down\n`);
    // a hard deadline in case close() hangs
    const deadline = setTimeout(() => {
      process.stderr.write("tern: shutdown timed out\n");
      process.exit(1);
    }, (config.timeouts.shutdown + 5) * 1000);
    server.close().then(
      () => {
        clearTimeout(deadline);
        process.exit(0);
      },
      (e) => {
        process.stderr.write(`tern: error while shutting down: ${(e as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  return undefined; // keep running
}

function human(bytes: number): string {
  if (bytes < 1024) return `${bytes}B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)}K`;
  return `${(bytes / 1024 / 1024).toFixed(1)}M`;
}

async function queueLs(args: Args): Promise<number> {
  const config = await load(args.config);
  if (!config) return 1;
  const spoolPath = new URL("./spool/index.ts", import.meta.url);
  if (!(await fileExists(fileURLToPath(spoolPath.href)))) {
    process.stderr.write("tern: queue ls: src/spool/index.ts is missing from this build\n");
    return 1;
  }
  let messages: QueuedMessage[];
  try {
    const mod = (await import(spoolPath.href)) as typeof import("./spool/index.ts");
    // messages of HTTP batches are rendered to find their size
    const { spoolRenderers } = await import("./http/batch-render.ts");
    messages = await mod.scanSpool(config.dataDir, { renderers: spoolRenderers });
  } catch (e) {
    process.stderr.write(`tern: queue ls: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  messages.sort((a, b) => a.committedAt - b.committedAt);
  if (args.json) {
    process.stdout.write(JSON.stringify(messages, null, 2) + "\n");
    return 0;
  }
  if (messages.length === 0) {
    process.stdout.write("queue is empty\n");
    return 0;
  }
  const now = Date.now();
  const rows = messages.map((m) => [
    m.id,
    m.envelope.mailFrom === "" ? "<>" : m.envelope.mailFrom,
    m.envelope.rcptTo.map((r) => r.address).join(","),
    human(m.size),
    age(now - m.committedAt),
  ]);
  const head = ["ID", "SENDER", "RECIPIENTS", "SIZE", "AGE"];
  const widths = head.map((h, i) => Math.min(48, Math.max(h.length, ...rows.map((r) => r[i]!.length))));
  const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  process.stdout.write([fmt(head), ...rows.map(fmt)].join("\n") + `\n${messages.length} message(s)\n`);
  return 0;
}

async function accounts(args: Args, command: string, sub: string | undefined, rest: string[]): Promise<number> {
  const config = await load(args.config);
  if (!config) return 1;
  const { runAccountCommand, UsageError } = await import("./directory/cli.ts");
  try {
    return await runAccountCommand({
      command, sub, rest, dataDir: config.dataDir, configDomains: config.domains,
      quota: args.quota, advertisingFolder: args.advertisingFolder, noAdvertisingFolder: args.noAdvertisingFolder,
    });
  } catch (e) {
    if (e instanceof UsageError) return usageError(e.message);
    process.stderr.write(`tern ${command}: ${(e as Error).message}\n`);
    return 1;
  }
}

async function queueControlCommand(args: Args, sub: ControlSubcommand, rest: string[]): Promise<number> {
  const bad = checkArgs(sub, rest);
  if (bad) return usageError(bad);
  const config = await load(args.config);
  if (!config) return 1;
  const io = { out: (s: string) => process.stdout.write(s), err: (s: string) => process.stderr.write(s) };
  return queueControl(sub, rest, { dataDir: config.dataDir, json: args.json }, io);
}

// ---------------------------------------------------------------------------------

export async function main(argv: string[]): Promise<number | undefined> {
  let args: Args;
  try {
    args = parse(argv);
  } catch (e) {
    return usageError((e as Error).message);
  }
  if (args.version) {
    process.stdout.write(`tern ${await version()}\n`);
    return 0;
  }
  const [cmd, sub, ...rest] = args.positionals;
  if (args.help || cmd === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  switch (cmd) {
    case undefined:
      return usageError("no command given");
    case "serve":
      if (sub !== undefined) return usageError(`serve: unexpected argument "${sub}"`);
      return serve(args);
    case "check-config":
      if (sub !== undefined) return usageError(`check-config: unexpected argument "${sub}"`);
      return checkConfig(args);
    case "queue":
      if (isControlSubcommand(sub)) return queueControlCommand(args, sub, rest);
      if (sub !== "ls") return usageError(sub === undefined ? "queue: expected a subcommand (ls, flush, retry, delete, stats, suspend, resume)" : `queue: unknown subcommand "${sub}"`);
      if (rest.length) return usageError(`queue ls: unexpected argument "${rest[0]}"`);
      return queueLs(args);
    case "domain":
    case "user":
    case "alias":
    case "apikey":
      return accounts(args, cmd, sub, rest);
    default:
      return usageError(`unknown command "${cmd}"`);
  }
}

if (import.meta.main) {
  const code = await main(process.argv.slice(2));
  if (code !== undefined) {
    // let piped stdout/stderr drain before exiting
    process.exitCode = code;
    process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
  }
}
