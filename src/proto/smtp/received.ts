// The Received trace header (RFC 5321 §4.4) with RFC 3848 protocol names
// and RFC 6531 §4.3 UTF8 variants.


export function protocolName(esmtp: boolean, tls: boolean, auth: boolean, utf8: boolean): string {
  if (!esmtp) return "SMTP";
  const suffix = (tls ? "S" : "") + (auth ? "A" : "");
  return (utf8 ? "UTF8SMTP" : "ESMTP") + suffix;
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const p2 = (n: number) => (n < 10 ? "0" : "") + n;

let lastSecond = NaN;
let lastDate = "";

/** RFC 5322 §3.3 date-time in UTC (formatted once per second). */
export function rfc5322Date(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second === lastSecond) return lastDate;
  const d = new Date(ms);
  lastSecond = second;
  lastDate = `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
  return lastDate;
}

export interface ReceivedInfo {
  client: { address: string; helo: string; tls?: { protocol: string; cipher: string } };
  hostname: string;
  id: string;
  protocol: string;
  auth?: string;
  /** the single recipient, when there is exactly one (RFC 5321 §4.4 "for") */
  for?: string;
  time: number;
}

const UNSAFE = /[\r\n()\\]/;
const safe = (s: string) => (UNSAFE.test(s) ? s.replace(/[\r\n()\\]/g, "?") : s);

export function receivedHeader(r: ReceivedInfo): string {
  return receivedHeaders(r)(r.id, r.for, r.time);
}

/**
 * The Received header for many messages from one client (an HTTP batch): the parts
 * they share are built once; per message only the id, the recipient and the date.
 */
export function receivedHeaders(r: Omit<ReceivedInfo, "id" | "for" | "time">): (id: string, rcpt: string | undefined, time: number) => string {
  const ip = r.client.address.includes(":") ? `IPv6:${r.client.address}` : r.client.address;
  const head = `Received: from ${safe(r.client.helo) || "unknown"} ([${ip}])\r\n` +
    `\tby ${r.hostname} (Tern) with ${r.protocol} id `;
  let mid = "";
  if (r.client.tls) mid += `\r\n\t(using ${r.client.tls.protocol} with cipher ${safe(r.client.tls.cipher)})`;
  if (r.auth) mid += `\r\n\t(authenticated as ${safe(r.auth)})`;
  return (id, rcpt, time) => `${head}${id}${mid}${rcpt ? `\r\n\tfor <${safe(rcpt)}>` : ""};\r\n\t${rfc5322Date(time)}\r\n`;
}
