// The IMAP benchmark's mailbox: N realistic small messages (1–10 KB, CRLF) from a seeded
// generator, so every run and every server sees the same bytes. Varied headers (Cc,
// Reply-To, List-Id, In-Reply-To), MIME shapes (text/plain 7bit or quoted-printable,
// multipart/alternative text+html, multipart/mixed with a small base64 attachment) and
// flags (\Seen on ~70 %, \Flagged on ~1 in 9, \Answered now and then).
//
// Search terms with known answers: SUBJECT "invoice" only where the generator put it,
// BODY "zebracorn" only in plain 7bit text parts (so servers that decode base64/QP and
// servers that search raw bytes agree).

export const SUBJECT_TERM = "invoice";
export const BODY_TERM = "zebracorn";

export interface CorpusMessage {
  bytes: Uint8Array;
  flags: string[];
  /** ms since epoch (INTERNALDATE) */
  date: number;
  subjectHit: boolean;
  bodyHit: boolean;
}

export interface CorpusSummary {
  count: number;
  totalBytes: number;
  subjectHits: number;
  bodyHits: number;
  flagged: number;
  unseen: number;
}

/** mulberry32: a small, fast, seedable PRNG */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ["Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory", "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter", "Zoë"];
const LAST = ["Smith", "Jones", "Müller", "Garcia", "Rossi", "Dubois", "Tanaka", "Kowalski", "Silva", "Novak", "Berg", "Olsen"];
const DOMAINS = ["example.com", "mail.example.org", "lists.example.net", "corp.example", "university.example.edu", "shop.example"];
const TOPICS = ["Meeting notes", "Quarterly report", "Lunch on Friday?", "Re: build failure", "Project Atlas status", "Travel plans", "Welcome aboard", "Your order has shipped", "Weekly digest", "Fwd: slides", "Question about the API", "Holiday schedule", "Draft proposal", "Release 2.4 checklist", "Server maintenance window"];
const WORDS = "the of and to in is that for it as with was on be at by this had not are but from or have an they which one you were all we when there can been has more if will would about out so what up their into than them only some could other then now its time two may first any new very these like people also just over such most after well way even because good through where much before between those being under both each right still here must while again".split(" ");
const LISTS = ["dev.lists.example.net", "announce.example.org", "users.project.example"];

export function generateMessage(seed: number, i: number): CorpusMessage {
  const r = rng(seed * 1_000_003 + i);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const person = () => {
    const f = pick(FIRST);
    const l = pick(LAST);
    return { name: `${f} ${l}`, addr: `${f.toLowerCase().replace("ë", "e")}.${l.toLowerCase().replace("ü", "u")}@${pick(DOMAINS)}` };
  };
  const words = (n: number) => {
    const out: string[] = [];
    for (let k = 0; k < n; k++) out.push(pick(WORDS));
    return out.join(" ");
  };
  const para = (n: number) => {
    const lines: string[] = [];
    for (let k = 0; k < n; k++) lines.push(words(8 + Math.floor(r() * 6)));
    return lines.join("\r\n");
  };
  const date = Date.UTC(2024, 0, 1) + Math.floor(r() * 365 * 86400) * 1000;
  const from = person();
  const to = person();
  const subjectHit = r() < 0.05;
  const bodyHit = r() < 0.03;
  const subject = subjectHit ? `${pick(["Invoice", "Your invoice", "Overdue invoice"])} #${10000 + i}` : `${pick(TOPICS)} ${i}`;
  const name = (p: { name: string; addr: string }) => (/[^\x20-\x7e]/.test(p.name) ? `=?UTF-8?Q?${encodeQ(p.name)}?=` : `"${p.name}"`) + ` <${p.addr}>`;
  const h: string[] = [
    `Return-Path: <${from.addr}>`,
    `Received: from mx${i % 7}.${pick(DOMAINS)} (mx.${pick(DOMAINS)} [192.0.2.${i % 250}])\r\n\tby tern.bench with ESMTPS id ${(i * 7919).toString(36)}\r\n\tfor <bench@example.net>; ${new Date(date).toUTCString().replace("GMT", "+0000")}`,
    `From: ${name(from)}`,
    `To: ${name(to)}`,
  ];
  if (r() < 0.3) h.push(`Cc: ${name(person())}, ${name(person())}`);
  if (r() < 0.15) h.push(`Reply-To: ${person().addr}`);
  h.push(`Subject: ${subject}`);
  h.push(`Date: ${new Date(date).toUTCString().replace("GMT", "+0000")}`);
  h.push(`Message-ID: <${seed}.${i}.${(i * 104729).toString(36)}@${pick(DOMAINS)}>`);
  if (r() < 0.25) h.push(`In-Reply-To: <${seed}.${Math.max(0, i - 1 - Math.floor(r() * 50))}@${pick(DOMAINS)}>`);
  if (r() < 0.2) h.push(`List-Id: <${pick(LISTS)}>`, `List-Unsubscribe: <mailto:leave@${pick(LISTS)}>`);
  h.push("MIME-Version: 1.0");
  const text = para(10 + Math.floor(r() * 50)) + (bodyHit ? `\r\nthe ${BODY_TERM} is in this one\r\n` : "\r\n");
  const shape = r();
  let body: string;
  if (shape < 0.45) {
    h.push("Content-Type: text/plain; charset=us-ascii", "Content-Transfer-Encoding: 7bit");
    body = text;
  } else if (shape < 0.55) {
    // quoted-printable text without the body term (it is searched raw by some servers, decoded by others)
    h.push("Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable");
    body = para(4 + Math.floor(r() * 10)).replace(/ the /g, " th=C3=A9 ") + "\r\n";
  } else if (shape < 0.85) {
    const b = `alt-${i}-${Math.floor(r() * 1e9).toString(36)}`;
    h.push(`Content-Type: multipart/alternative; boundary="${b}"`);
    const html = `<html><body><p>${para(4 + Math.floor(r() * 10)).replace(/\r\n/g, "</p>\r\n<p>")}</p></body></html>`;
    body = `This is a multi-part message in MIME format.\r\n--${b}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n${text}--${b}\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n${html}\r\n--${b}--\r\n`;
  } else {
    const b = `mix-${i}-${Math.floor(r() * 1e9).toString(36)}`;
    h.push(`Content-Type: multipart/mixed; boundary="${b}"`);
    const att = new Uint8Array(300 + Math.floor(r() * 2500));
    for (let k = 0; k < att.length; k++) att[k] = Math.floor(r() * 256);
    const b64 = (Buffer.from(att).toString("base64").match(/.{1,76}/g) ?? []).join("\r\n");
    body = `--${b}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n${text}--${b}\r\nContent-Type: application/octet-stream; name="report-${i}.bin"\r\nContent-Disposition: attachment; filename="report-${i}.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n--${b}--\r\n`;
  }
  const flags: string[] = [];
  if (r() < 0.7) flags.push("\\Seen");
  if (r() < 0.11) flags.push("\\Flagged");
  if (r() < 0.08) flags.push("\\Answered");
  const bytes = Buffer.from(h.join("\r\n") + "\r\n\r\n" + body, "utf8");
  return { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), flags, date, subjectHit, bodyHit: bodyHit && !(shape >= 0.45 && shape < 0.55) };
}

function encodeQ(s: string): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9]/.test(c) ? c : c === " " ? "_" : "=" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/** every message of the corpus, in order */
export function* corpus(seed: number, count: number): Generator<CorpusMessage> {
  for (let i = 0; i < count; i++) yield generateMessage(seed, i);
}

export function summarise(seed: number, count: number): CorpusSummary {
  const s: CorpusSummary = { count, totalBytes: 0, subjectHits: 0, bodyHits: 0, flagged: 0, unseen: 0 };
  for (const m of corpus(seed, count)) {
    s.totalBytes += m.bytes.length;
    if (m.subjectHit) s.subjectHits++;
    if (m.bodyHit) s.bodyHits++;
    if (m.flags.includes("\\Flagged")) s.flagged++;
    if (!m.flags.includes("\\Seen")) s.unseen++;
  }
  return s;
}
