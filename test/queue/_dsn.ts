// A small strict parser of RFC 3464 DSNs for the queue tests (not a test file itself).
import assert from "node:assert/strict";

export interface ParsedDsn {
  headers: Map<string, string>;
  contentType: string;
  parts: { headers: Map<string, string>; body: string }[];
  /** delivery-status groups: [per-message, per-recipient...] */
  status: Map<string, string>[];
}

function parseHeaders(s: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of s.replace(/\r\n[ \t]+/g, " ").split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0) m.set(line.slice(0, i).toLowerCase(), line.slice(i + 1).trim());
  }
  return m;
}

/** A small strict parser of what RFC 3464 requires (used by other queue tests too). */
export function parseDsn(raw: string): ParsedDsn {
  const sep = raw.indexOf("\r\n\r\n");
  assert.ok(sep > 0, "header/body separator");
  const headers = parseHeaders(raw.slice(0, sep));
  const ct = headers.get("content-type")!;
  assert.match(ct, /^multipart\/report; report-type=delivery-status; boundary="[^"]+"$/);
  const boundary = /boundary="([^"]+)"/.exec(ct)![1]!;
  const body = raw.slice(sep + 4);
  assert.ok(body.endsWith(`\r\n--${boundary}--\r\n`), "closing boundary");
  const segs = body.split(`\r\n--${boundary}`);
  const parts = segs.slice(1, -1).map((p) => {
    assert.ok(p.startsWith("\r\n"));
    const inner = p.slice(2);
    const j = inner.indexOf("\r\n\r\n");
    return { headers: parseHeaders(inner.slice(0, j)), body: inner.slice(j + 4) };
  });
  assert.equal(parts.length, 3, "three parts");
  assert.match(parts[0]!.headers.get("content-type")!, /^text\/plain/);
  assert.equal(parts[1]!.headers.get("content-type"), "message/delivery-status");
  const status = parts[1]!.body.trim().split("\r\n\r\n").map(parseHeaders);
  return { headers, contentType: ct, parts, status };
}

