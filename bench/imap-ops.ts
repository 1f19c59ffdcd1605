// The measured operations of the IMAP benchmark, each on its own connection: login and
// SELECT (untimed), then the timed part, then a check that the server really did the
// work (response counts, literal bytes, search hits), CPU of the server's process tree
// and its peak RSS over the timed part.

import { appendMany, ImapClient, pipelined, quote, ranges } from "./imap-load.ts";
import { BODY_TERM, corpus, type CorpusSummary, SUBJECT_TERM } from "./imap-corpus.ts";
import { BENCH_PASS, BENCH_USER } from "./imap-servers.ts";
import { resetTreeHwm, treeCpuSeconds, treeHwmMb } from "./lib/procstat.ts";
import type { Server } from "./lib/servers.ts";

export type OpName = "fetch-envelope" | "fetch-body" | "search-header" | "search-body" | "append";
export const OPS: OpName[] = ["fetch-envelope", "fetch-body", "search-header", "search-body", "append"];

export const OP_LABEL: Record<OpName, string> = {
  "fetch-envelope": "FETCH 1:* (ENVELOPE FLAGS)",
  "fetch-body": "FETCH 1:* BODY.PEEK[]",
  "search-header": `SEARCH SUBJECT "${SUBJECT_TERM}" + FLAGGED + UNSEEN`,
  "search-body": `SEARCH BODY "${BODY_TERM}"`,
  append: "APPEND (LITERAL+, 32 in flight)",
};

export interface OpSpec {
  summary: CorpusSummary;
  /** messages per pipelined FETCH command */
  chunk: number;
  /** messages per APPEND run */
  appendCount: number;
  appendSeed: number;
}

export interface OpResult {
  op: OpName;
  server: string;
  ms: number;
  /** messages handled (searches count every message they examine) */
  msgs: number;
  cpuS: number;
  rssMb: number;
  responseBytes: number;
}

async function session(server: Server): Promise<ImapClient> {
  const c = await ImapClient.open(server.port);
  await c.login(BENCH_USER, BENCH_PASS);
  return c;
}

function expect(what: string, got: number, want: number): void {
  if (got !== want) throw new Error(`${what}: got ${got}, expected ${want}`);
}

/** the timed part of `op` on a logged-in client; returns the messages handled */
async function timed(c: ImapClient, op: OpName, s: OpSpec, folder: string): Promise<number> {
  const n = s.summary.count;
  switch (op) {
    case "fetch-envelope":
      await pipelined(c, ranges(n, s.chunk).map((r) => `FETCH ${r} (ENVELOPE FLAGS)`));
      return n;
    case "fetch-body":
      await pipelined(c, ranges(n, s.chunk).map((r) => `FETCH ${r} BODY.PEEK[]`));
      return n;
    case "search-header":
      await c.ok(`SEARCH SUBJECT ${SUBJECT_TERM}`);
      expect("SEARCH SUBJECT hits", c.tally.searchHits.length, s.summary.subjectHits);
      await c.ok("SEARCH FLAGGED");
      expect("SEARCH FLAGGED hits", c.tally.searchHits.length, s.summary.flagged);
      await c.ok("SEARCH UNSEEN");
      expect("SEARCH UNSEEN hits", c.tally.searchHits.length, s.summary.unseen);
      return 3 * n;
    case "search-body":
      await c.ok(`SEARCH BODY ${BODY_TERM}`);
      expect("SEARCH BODY hits", c.tally.searchHits.length, s.summary.bodyHits);
      return n;
    case "append":
      return await appendMany(c, folder, corpus(s.appendSeed, s.appendCount));
    default: {
      const never: never = op;
      throw new Error(`unknown op ${String(never)}`);
    }
  }
}

/** check the untagged data of a read op added up */
function verify(c: ImapClient, op: OpName, s: OpSpec): void {
  const t = c.tally;
  switch (op) {
    case "fetch-envelope":
      expect("FETCH responses", t.fetches, s.summary.count);
      expect("ENVELOPEs", t.envelopes, s.summary.count);
      return;
    case "fetch-body":
      expect("FETCH responses", t.fetches, s.summary.count);
      expect("BODY[] literal bytes", t.literalBytes, s.summary.totalBytes);
      return;
    case "search-header":
    case "search-body":
    case "append":
      return; // checked as they ran / by STATUS afterwards
    default: {
      const never: never = op;
      throw new Error(`unknown op ${String(never)}`);
    }
  }
}

/** run one op against one server on a fresh connection and measure it */
export async function measure(server: Server, op: OpName, s: OpSpec, runNo: number): Promise<OpResult> {
  const c = await session(server);
  const folder = `Bench${runNo}`;
  if (op === "append") await c.ok(`CREATE ${quote(folder)}`);
  else {
    await c.ok("SELECT INBOX");
    expect("messages in INBOX", await existsOf(c), s.summary.count);
  }
  c.tally.responseBytes = 0;
  c.tally.literalBytes = 0;
  c.tally.fetches = 0;
  c.tally.envelopes = 0;
  resetTreeHwm(server.pid);
  const cpu0 = treeCpuSeconds(server.pid);
  const t0 = performance.now();
  const msgs = await timed(c, op, s, folder);
  const ms = performance.now() - t0;
  const cpuS = treeCpuSeconds(server.pid) - cpu0;
  const rssMb = treeHwmMb(server.pid);
  const responseBytes = c.tally.responseBytes;
  verify(c, op, s);
  if (op === "append") {
    const st = await c.ok(`STATUS ${quote(folder)} (MESSAGES)`);
    void st;
    expect(`messages in ${folder}`, c.lastStatusMessages, s.appendCount);
    await c.ok(`DELETE ${quote(folder)}`); // untimed clean-up (Tern: the store's deleteFolder)
  }
  await c.logout();
  return { op, server: server.name, ms, msgs, cpuS, rssMb, responseBytes };
}

async function existsOf(c: ImapClient): Promise<number> {
  return c.lastExists;
}

/** untimed: touch every message once so caches (page cache, Dovecot's index) are warm */
export async function warmUp(server: Server, s: OpSpec): Promise<void> {
  const c = await session(server);
  await c.ok("SELECT INBOX");
  await pipelined(c, ranges(s.summary.count, s.chunk).map((r) => `FETCH ${r} (ENVELOPE FLAGS BODY.PEEK[])`));
  expect(`${server.name} warm-up FETCH responses`, c.tally.fetches, s.summary.count);
  await c.ok(`SEARCH BODY ${BODY_TERM}`);
  await c.logout();
}
