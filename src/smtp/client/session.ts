// Opening an outbound SMTP session on one target: connect, greeting, EHLO (HELO
// fallback), STARTTLS by TLS policy, EHLO again, AUTH for smarthosts. Any failure
// here is a failure of this target: the caller tries the next MX.

import { AUTH_LOGIN, authPlain, base64Line, EHLO, HELO, STARTTLS } from "../../proto/smtp/client-command.ts";
import { type Capabilities, noCapabilities, parseEhlo } from "../../proto/smtp/client-ehlo.ts";
import { replyText, type SmtpReply } from "../../proto/smtp/client-reply.ts";
import type { SmarthostAuth, TlsPolicy } from "../../dns/types.ts";
import type { ClientTlsOptions, Dialer } from "../../runtime/types.ts";
import { isIP } from "node:net";
import { ClientFailure, SmtpConnection } from "./connection.ts";
import type { ClientOptions } from "./options.ts";

const C220 = 220; // RFC 5321 §4.2.3 service ready
const C235 = 235; // RFC 4954 §6 authentication succeeded
const C250 = 250;
const C334 = 334; // RFC 4954 §4 server challenge
const C500 = 500; // RFC 5321 §4.2.3: command unrecognised (EHLO → HELO fallback)
const C502 = 502;
const C504 = 504;
const C550 = 550;

export interface SessionTarget {
  /** MX host name (SNI, verification, outcome `host`) */
  host: string;
  /** address to dial */
  address: string;
  port: number;
  tls: TlsPolicy;
  implicitTls?: boolean;
  auth?: SmarthostAuth;
}

export interface Session {
  sc: SmtpConnection;
  caps: Capabilities;
  host: string;
  /** transactions done on this connection */
  messages: number;
  /** idle since (clock ms), when pooled */
  idleSince: number;
}

export type OpenResult = { ok: true; session: Session } | { ok: false; error: ClientFailure; reply?: SmtpReply };

type Step = { ok: true; reply: SmtpReply } | { ok: false; error: ClientFailure; reply?: SmtpReply };

export async function openSession(dialer: Dialer, t: SessionTarget, o: ClientOptions): Promise<OpenResult> {
  const tlsOpts = tlsOptions(t, o);
  const { sc, greeting } = await SmtpConnection.open(dialer, {
    address: t.address,
    port: t.port,
    implicitTls: t.implicitTls ? tlsOpts : undefined,
    connectTimeoutMs: o.timeouts.connect,
    greetingTimeoutMs: o.timeouts.greeting,
  });
  const r = await handshake(sc, dialer, t, o, greeting);
  if (!r.ok) {
    sc.quit();
    return r;
  }
  return { ok: true, session: { sc, caps: r.caps, host: t.host, messages: 0, idleSince: 0 } };
}

type Handshake = { ok: true; caps: Capabilities } | { ok: false; error: ClientFailure; reply?: SmtpReply };

async function handshake(
  sc: SmtpConnection,
  dialer: Dialer,
  t: SessionTarget,
  o: ClientOptions,
  greeting: Awaited<ReturnType<SmtpConnection["expect"]>>,
): Promise<Handshake> {
  const g = expectCode(greeting, C220, `greeting from ${t.host}`);
  if (!g.ok) return g;
  let caps = await hello(sc, o);
  if (!caps.ok) return caps;
  const wantTls = !sc.secure && t.tls !== "none" && (caps.caps.starttls || t.tls !== "opportunistic");
  if (wantTls) {
    if (!caps.caps.starttls) {
      return fail("tls", `${t.host} does not offer STARTTLS (TLS policy "${t.tls}")`);
    }
    const st = expectCode(await sc.send({ cmd: STARTTLS, label: "STARTTLS", timeoutMs: o.timeouts.mail }), C220, "STARTTLS");
    if (!st.ok) return { ok: false, error: new ClientFailure("tls", st.error.message), reply: st.reply };
    const err = await sc.startTls(dialer, tlsOptions(t, o));
    if (err) return { ok: false, error: new ClientFailure("tls", err.message) };
    caps = await hello(sc, o); // RFC 3207 §4.2: capabilities again after TLS
    if (!caps.ok) return caps;
  }
  if (t.auth) {
    const a = await authenticate(sc, t, caps.caps, o);
    if (!a.ok) return a;
  }
  return caps;
}

/** SNI only for names (RFC 6066 §3); verification of the MX name for policy "verify". */
function tlsOptions(t: SessionTarget, o: ClientOptions): ClientTlsOptions {
  const verify = t.tls === "verify";
  const h = t.host.replace(/^\[|\]$/g, "");
  return { servername: isIP(h) ? undefined : h, verify, ca: verify ? o.tlsCa : undefined };
}

async function hello(sc: SmtpConnection, o: ClientOptions): Promise<Handshake> {
  const r = await sc.send({ cmd: EHLO(o.heloName), label: "EHLO", timeoutMs: o.timeouts.mail });
  if (r.type === "reply" && r.reply.code === C250) return { ok: true, caps: parseEhlo(r.reply) };
  // RFC 5321 §3.2: a server that does not know EHLO answers 500/502 (some 504/550): try HELO
  if (r.type === "reply" && [C500, C502, C504, C550].includes(r.reply.code)) {
    const h = expectCode(await sc.send({ cmd: HELO(o.heloName), label: "HELO", timeoutMs: o.timeouts.mail }), C250, "HELO");
    return h.ok ? { ok: true, caps: noCapabilities() } : h;
  }
  const e = expectCode(r, C250, "EHLO");
  return e.ok ? { ok: true, caps: parseEhlo(e.reply) } : e;
}

async function authenticate(sc: SmtpConnection, t: SessionTarget, caps: Capabilities, o: ClientOptions): Promise<Step> {
  const auth = t.auth!;
  if (!sc.secure && t.tls !== "none") {
    return fail("protocol", `refusing to send credentials to ${t.host} without TLS`);
  }
  const ms = o.timeouts.mail;
  if (caps.auth.includes("PLAIN")) {
    return expectCode(await sc.send({ cmd: authPlain(auth.user, auth.password), label: "AUTH", timeoutMs: ms }), C235, "AUTH PLAIN");
  }
  if (caps.auth.includes("LOGIN")) {
    const steps = [AUTH_LOGIN, base64Line(auth.user), base64Line(auth.password)];
    for (let i = 0; i < steps.length; i++) {
      const want = i < steps.length - 1 ? C334 : C235;
      const r = expectCode(await sc.send({ cmd: steps[i]!, label: "AUTH LOGIN", timeoutMs: ms }), want, "AUTH LOGIN");
      if (!r.ok) return r;
    }
    return { ok: true, reply: { code: C235, enhanced: "", lines: [] } };
  }
  return fail("protocol", `${t.host} offers no AUTH mechanism we support (PLAIN, LOGIN)`);
}

function fail(kind: ClientFailure["kind"], msg: string): Step & { ok: false } {
  return { ok: false, error: new ClientFailure(kind, msg) };
}

/** A reply with the wanted code, or a failure naming what came instead. */
export function expectCode(
  o: Awaited<ReturnType<SmtpConnection["expect"]>>,
  code: number,
  what: string,
): Step {
  switch (o.type) {
    case "error":
      return { ok: false, error: o.error };
    case "reply":
      if (o.reply.code === code) return { ok: true, reply: o.reply };
      return {
        ok: false,
        error: new ClientFailure("protocol", `${what}: ${replyText(o.reply)}`),
        reply: o.reply,
      };
    default:
      return o satisfies never;
  }
}
