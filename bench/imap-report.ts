// The IMAP section of bench/RESULTS.md: medians of the runs per (op, server), the
// Tern/Dovecot time ratio against the 1.5× target, CPU and peak RSS. Written between
// the markers <!-- imap:begin --> / <!-- imap:end --> (the rest of the file is not ours).

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { CorpusSummary } from "./imap-corpus.ts";
import { OP_LABEL, type OpName, type OpResult } from "./imap-ops.ts";
import { fmt1, fmt2, fmtInt, median, table } from "./lib/stats.ts";

export const BEGIN = "<!-- imap:begin -->";
export const END = "<!-- imap:end -->";
const TARGET = 1.5;

export interface ImapDoc {
  when: string;
  machine: Record<string, string>;
  versions: Record<string, string>;
  summary: CorpusSummary;
  spec: { chunk: number; appendCount: number; runs: number };
  results: OpResult[];
}

interface Cell {
  ms: number;
  rate: number;
  cpuS: number;
  rssMb: number;
}

function cell(rs: OpResult[]): Cell {
  return {
    ms: median(rs.map((r) => r.ms)),
    rate: median(rs.map((r) => r.msgs / (r.ms / 1000))),
    cpuS: median(rs.map((r) => r.cpuS)),
    rssMb: Math.max(...rs.map((r) => r.rssMb)),
  };
}

/** per op: per server medians, in the order ops and servers first appear */
export function medians(results: OpResult[]): Map<OpName, Map<string, Cell>> {
  const out = new Map<OpName, Map<string, Cell>>();
  for (const r of results) if (!out.has(r.op)) out.set(r.op, new Map());
  for (const [op, m] of out) {
    const servers = [...new Set(results.filter((r) => r.op === op).map((r) => r.server))];
    for (const s of servers) m.set(s, cell(results.filter((r) => r.op === op && r.server === s)));
  }
  return out;
}

export function renderImapSection(doc: ImapDoc): string {
  const med = medians(doc.results);
  const servers = [...new Set(doc.results.map((r) => r.server))];
  const terns = servers.filter((s) => s.startsWith("tern"));
  const rows: string[][] = [];
  const verdicts: string[] = [];
  for (const [op, m] of med) {
    const d = m.get("dovecot");
    for (const s of servers) {
      const c = m.get(s);
      if (!c) continue;
      const ratio = d && s !== "dovecot" ? c.ms / d.ms : NaN;
      if (Number.isFinite(ratio)) verdicts.push(`${s} ${op}: ${fmt2(ratio)}× ${ratio <= TARGET ? (ratio < 1 ? "ahead" : "within 1.5×") : "MISSED"}`);
      rows.push([OP_LABEL[op], s, fmtInt(c.ms), fmtInt(c.rate), Number.isFinite(ratio) ? `${fmt2(ratio)}×` : "", fmt2(c.cpuS), fmt1(c.rssMb)]);
    }
  }
  const s = doc.summary;
  const met = terns.every((t) => [...med.values()].every((m) => !m.get(t) || !m.get("dovecot") || m.get(t)!.ms / m.get("dovecot")!.ms <= TARGET));
  return [
    BEGIN,
    "## IMAP: Tern vs Dovecot on one 10,000-message Maildir",
    "",
    `Run ${doc.when}; ${doc.machine.nproc} cores (${doc.machine.cpu}), ${doc.machine.os}; Bun ${doc.versions.bun}, Dovecot ${doc.versions.dovecot}.`,
    `Mailbox: ${fmtInt(s.count)} seeded messages, ${fmt1(s.totalBytes / s.count / 1024)} KB average (${fmt1(s.totalBytes / 2 ** 20)} MiB), ` +
      `${fmtInt(s.flagged)} \\Flagged, ${fmtInt(s.unseen)} unseen; the same Maildir files copied to each server. ` +
      `One connection per op, plaintext LOGIN on loopback; FETCH pipelined as ${Math.ceil(s.count / doc.spec.chunk)} commands of ${fmtInt(doc.spec.chunk)} messages; ` +
      `APPEND of ${fmtInt(doc.spec.appendCount)} messages into a new folder (Tern fsyncs every message; Dovecot with its default mail_fsync=optimized). ` +
      `Every run checked: FETCH response and ENVELOPE counts, BODY[] literal bytes = corpus bytes, SEARCH hits = the generator's counts, STATUS MESSAGES after APPEND.`,
    "",
    `Medians of ${doc.spec.runs} runs (server order rotated per run, after one untimed warm-up pass). ` +
      `Ratio = Tern time / Dovecot time (target ≤ ${TARGET}×). CPU = user+sys of the server's process tree during the op; ` +
      `RSS = peak resident set over the op (Dovecot: Σ over its processes).`,
    "",
    table(["operation", "server", "time ms", "msgs/s", "Tern/Dovecot", "CPU s", "peak RSS MB"], rows),
    "",
    `Target (Tern on Bun within ${TARGET}× of Dovecot on every row): **${met ? "met" : "not met"}** — ${verdicts.join("; ")}.`,
    "",
    `Command: \`./node_modules/.bin/bun bench/imap.ts${process.argv.slice(2).map((a) => " " + a).join("")}\``,
    "",
    'See "Benchmark: IMAP (Tern vs Dovecot)" in README.md for how to run it and what the numbers mean.',
    END,
  ].join("\n");
}

/** replace our section between the markers, or append it; the rest of the file stays as it is */
export function writeImapSection(path: string, section: string): void {
  const old = existsSync(path) ? readFileSync(path, "utf8") : "";
  const a = old.indexOf(BEGIN);
  const b = old.indexOf(END);
  const next = a >= 0 && b > a ? old.slice(0, a) + section + old.slice(b + END.length) : (old ? old.replace(/\n*$/, "\n\n") : "") + section + "\n";
  writeFileSync(path, next);
}
