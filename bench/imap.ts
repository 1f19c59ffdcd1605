// The IMAP benchmark: Tern (Bun, optionally Deno) side by side with a private Dovecot on
// the same 10,000-message Maildir, in the same run.
//
//   ./node_modules/.bin/bun bench/imap.ts [--count 10000] [--append 1000] [--runs 3]
//        [--servers tern-bun,dovecot,tern-deno] [--ops fetch-envelope,…] [--chunk 1000]
//        [--seed 42] [--dir DIR] [--out bench/RESULTS.md] [--no-report]
//
// The mailbox is built once: the seeded corpus is written as Maildir files (cur/ with the
// ":2,<flags>" info, mtime = INTERNALDATE, names in delivery order) and Tern's store
// indexes it (refresh(), the path for mail dropped in by another MDA); each server then
// gets its own copy of that Maildir (Dovecot's owned by `nobody`). Every server is warmed
// up (one untimed pass), then each op runs --runs times per server, the server order
// rotating per run. Medians go to RESULTS.md (between the imap markers) and
// bench/results/imap-latest.json.

import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { parseArgs } from "node:util";
import { corpus, summarise } from "./imap-corpus.ts";
import { measure, type OpName, type OpResult, OPS, type OpSpec, warmUp } from "./imap-ops.ts";
import { renderImapSection, writeImapSection } from "./imap-report.ts";
import { BENCH_USER, startDovecot, startTernImap, ternMaildir } from "./imap-servers.ts";
import { REPO, run, type Server } from "./lib/servers.ts";
import { machineInfo } from "./lib/report.ts";

type ServerKind = "tern-bun" | "tern-deno" | "dovecot";
const NOBODY = 65534;

/** write the corpus as Maildir files, then let Tern's store index them */
async function buildMaildir(dataDir: string, seed: number, count: number): Promise<void> {
  const dir = ternMaildir(dataDir);
  for (const sub of ["cur", "new", "tmp"]) mkdirSync(`${dir}/${sub}`, { recursive: true });
  const base = Math.floor(Date.UTC(2024, 0, 1) / 1000);
  let i = 0;
  for (const m of corpus(seed, count)) {
    const sec = base + i; // one second apart: file-name and mtime order are delivery order
    const info = infoLetters(m.flags);
    const path = `${dir}/cur/${sec}.M0P1Q${i}.tern.bench,S=${m.bytes.length}:2,${info}`;
    writeFileSync(path, m.bytes);
    utimesSync(path, sec, sec);
    i++;
  }
  const { openMailStore } = await import("../src/store/index.ts");
  const box = await openMailStore(`${dataDir}/mail`, { hostname: "tern.bench" }).mailbox(BENCH_USER);
  const inbox = await box.folder("INBOX");
  await inbox.refresh();
  if (inbox.list().length !== count) throw new Error(`Tern's store indexed ${inbox.list().length} of ${count} messages`);
}

function infoLetters(flags: string[]): string {
  const l: string[] = [];
  if (flags.includes("\\Flagged")) l.push("F");
  if (flags.includes("\\Answered")) l.push("R");
  if (flags.includes("\\Seen")) l.push("S");
  return l.join("");
}

async function startServer(kind: ServerKind, work: string, master: string): Promise<Server> {
  const dir = `${work}/${kind}`;
  mkdirSync(dir, { recursive: true });
  switch (kind) {
    case "tern-bun":
    case "tern-deno": {
      const dataDir = `${dir}/data`;
      cpSync(`${master}/mail`, `${dataDir}/mail`, { recursive: true, preserveTimestamps: true });
      return startTernImap(kind === "tern-bun" ? "bun" : "deno", dir, dataDir);
    }
    case "dovecot": {
      const home = `${dir}/home`;
      mkdirSync(home, { recursive: true });
      cpSync(ternMaildir(master), `${home}/Maildir`, { recursive: true, preserveTimestamps: true });
      return startDovecot(dir, home, NOBODY, NOBODY);
    }
    default: {
      const never: never = kind;
      throw new Error(`unknown server ${String(never)}`);
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      count: { type: "string", default: "10000" }, append: { type: "string", default: "1000" },
      runs: { type: "string", default: "3" }, servers: { type: "string", default: "tern-bun,dovecot" },
      ops: { type: "string", default: OPS.join(",") }, chunk: { type: "string", default: "1000" },
      seed: { type: "string", default: "42" }, dir: { type: "string" },
      out: { type: "string", default: `${REPO}/bench/RESULTS.md` }, "no-report": { type: "boolean", default: false },
    },
  });
  const count = Number(values.count);
  const seed = Number(values.seed);
  const kinds = values.servers!.split(",") as ServerKind[];
  const ops = values.ops!.split(",") as OpName[];
  const work = values.dir ?? mkdtempSync(`${tmpdir()}/tern-imapbench-`);
  chmodSync(work, 0o755); // Dovecot's auth process runs as user dovecot and must reach its passwd file
  const master = `${work}/master`;
  const log = (s: string) => process.stderr.write(`imap-bench: ${s}\n`);

  log(`building ${count} messages (seed ${seed}) in ${master}`);
  const summary = summarise(seed, count);
  await buildMaildir(`${master}`, seed, count);
  const spec: OpSpec = { summary, chunk: Number(values.chunk), appendCount: Number(values.append), appendSeed: seed + 1 };

  const servers: Server[] = [];
  const results: OpResult[] = [];
  try {
    for (const k of kinds) {
      const s = await startServer(k, work, master);
      servers.push(s);
      log(`${s.name} pid ${s.pid} on 127.0.0.1:${s.port}; warming up`);
      await warmUp(s, spec);
    }
    for (let r = 1; r <= Number(values.runs); r++) {
      const order = servers.map((_, i) => servers[(i + r - 1) % servers.length]!);
      for (const op of ops) {
        for (const s of order) {
          const res = await measure(s, op, spec, r);
          results.push(res);
          log(`run ${r} ${op} ${s.name}: ${res.ms.toFixed(0)} ms, ${(res.msgs / (res.ms / 1000)).toFixed(0)} msgs/s, cpu ${res.cpuS.toFixed(2)} s, rss ${res.rssMb.toFixed(0)} MB`);
        }
      }
    }
  } finally {
    for (const s of servers) await s.stop();
  }
  const runtimeVersions = { bun: (await run(`${REPO}/node_modules/.bin/bun`, ["--version"])).out.trim(), dovecot: (await run("dovecot", ["--version"])).out.trim() };
  const doc = { when: new Date().toISOString(), machine: await machineInfo(), versions: runtimeVersions, summary, spec: { ...spec, runs: Number(values.runs) }, results };
  const json = values["no-report"] ? `${tmpdir()}/tern-imap-bench.json` : `${REPO}/bench/results/imap-latest.json`; // --no-report: leave the committed results alone
  mkdirSync(json.slice(0, json.lastIndexOf("/")), { recursive: true });
  writeFileSync(json, JSON.stringify(doc, null, 2));
  process.stderr.write(`imap-bench: every run in ${json}\n`);
  const section = renderImapSection(doc);
  process.stdout.write(section + "\n");
  if (!values["no-report"]) writeImapSection(values.out!, section);
  if (!values.dir) rmSync(work, { recursive: true, force: true });
}

if (import.meta.main) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
