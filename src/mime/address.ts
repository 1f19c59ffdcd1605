// Address lists (RFC 5322 §3.4) for IMAP ENVELOPE: mailboxes and groups, with
// display names, quoted strings, comments and obsolete routes tolerated.

import { stripComments } from "./header.ts";

export type EnvAddress =
  | { kind: "mailbox"; name: string | null; mailbox: string; host: string | null }
  | { kind: "group-start"; group: string }
  | { kind: "group-end" };

/** split on `sep` outside quotes and angle brackets */
function splitTop(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  let angle = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\" && quoted) {
      cur += c + (s[i + 1] ?? "");
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === "<") angle++;
    else if (!quoted && c === ">" && angle > 0) angle--;
    if (c === sep && !quoted && angle === 0) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function unquote(s: string): string {
  const t = s.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) return t.slice(1, -1).replace(/\\(.)/g, "$1");
  return t.replace(/\s+/g, " ");
}

function mailbox(raw: string): EnvAddress | undefined {
  const s = raw.trim();
  if (!s) return undefined;
  const lt = s.lastIndexOf("<");
  let name: string | null = null;
  let spec = s;
  if (lt >= 0 && s.endsWith(">")) {
    name = unquote(s.slice(0, lt)) || null;
    spec = s.slice(lt + 1, -1).trim();
    const colon = spec.lastIndexOf(":"); // obsolete route "@a,@b:user@host" (RFC 5322 §4.4)
    if (spec.startsWith("@") && colon > 0) spec = spec.slice(colon + 1);
  }
  const at = spec.lastIndexOf("@");
  if (at < 0) return { kind: "mailbox", name, mailbox: unquote(spec), host: null };
  return { kind: "mailbox", name, mailbox: unquote(spec.slice(0, at)), host: spec.slice(at + 1).trim() };
}

export function parseAddressList(value: string): EnvAddress[] {
  const s = stripComments(value);
  const out: EnvAddress[] = [];
  let rest = s;
  // groups: "name: a, b;" (RFC 5322 §3.4)
  while (rest.trim()) {
    const colon = topIndexOf(rest, ":");
    const comma = topIndexOf(rest, ",");
    if (colon >= 0 && (comma < 0 || colon < comma)) {
      const semi = topIndexOf(rest, ";", colon);
      const end = semi < 0 ? rest.length : semi;
      out.push({ kind: "group-start", group: unquote(rest.slice(0, colon)) });
      for (const m of splitTop(rest.slice(colon + 1, end), ",")) {
        const a = mailbox(m);
        if (a) out.push(a);
      }
      out.push({ kind: "group-end" });
      rest = rest.slice(end + 1).replace(/^\s*,/, "");
      continue;
    }
    const take = comma < 0 ? rest : rest.slice(0, comma);
    const a = mailbox(take);
    if (a) out.push(a);
    rest = comma < 0 ? "" : rest.slice(comma + 1);
  }
  return out;
}

function topIndexOf(s: string, ch: string, from = 0): number {
  let quoted = false;
  let angle = 0;
  for (let i = from; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\" && quoted) {
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === "<") angle++;
    else if (!quoted && c === ">" && angle > 0) angle--;
    else if (!quoted && angle === 0 && c === ch) return i;
  }
  return -1;
}
