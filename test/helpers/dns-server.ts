// A loopback DNS server for tests (UDP and TCP on the same port, 127.0.0.1, port 0),
// answering from a zone you can edit while it runs:
//
//   const dns = await startDnsServer({
//     "example.com":      { mx: [[10, "mx1.example.com"], [20, "mx2.example.com"]], ttl: 300 },
//     "mx1.example.com":  { a: ["127.0.0.1"], aaaa: ["::1"] },
//     "nomx.example":     { a: ["127.0.0.2"] },           // MX → NODATA (implicit MX)
//     "nullmx.example":   { mx: [[0, "."]] },             // RFC 7505 null MX
//     "broken.example":   { rcode: "SERVFAIL" },
//     "big.example":      { mx: [[10, "mx1.example.com"]], truncate: true }, // UDP: TC, TCP: answer
//     "silent.example":   { drop: true },                 // never answers
//     "old.example":      { mx: [[10, "mx1.example.com"]], rejectEdns: true }, // FORMERR to EDNS
//   });
//   createResolver({ dns: { servers: [dns.server] } });
//   dns.zone["new.example"] = { a: ["127.0.0.9"] };       // edit any time
//   dns.count("example.com", "MX");                       // queries seen
//   await dns.close();
//
// Names not in the zone get NXDOMAIN; names in it without records of the asked type
// get NODATA. Negative replies carry an SOA whose TTL and MINIMUM are `negativeTtl`.
import { Buffer } from "node:buffer";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer, type Server, type Socket } from "node:net";
// @ts-types="../../src/proto/dns/dns-packet.d.ts"
import dnsPacket from "dns-packet";

export interface ZoneEntry {
  /** [preference, exchange]; [[0, "."]] is a null MX */
  mx?: [number, string][];
  a?: string[];
  aaaa?: string[];
  /** this name is an alias: answers carry the CNAME and the target's records (if in the zone) */
  cname?: string;
  /** TTL of this name's records (default 300) */
  ttl?: number;
  /** SOA TTL and MINIMUM in negative answers for this name (default 60) */
  negativeTtl?: number;
  /** leave the SOA out of negative answers */
  noSoa?: boolean;
  /** answer every query for this name with this rcode */
  rcode?: "SERVFAIL" | "REFUSED" | "NXDOMAIN" | "FORMERR";
  /** UDP replies have the TC bit and no records; TCP replies are complete */
  truncate?: boolean;
  /** never answer queries for this name */
  drop?: boolean;
  /** answer FORMERR to queries carrying an EDNS OPT record (an old server) */
  rejectEdns?: boolean;
}

export type Zone = Record<string, ZoneEntry>;

export interface SeenQuery {
  name: string;
  type: string;
  transport: "udp" | "tcp";
}

export interface TestDnsServer {
  host: string;
  port: number;
  /** "127.0.0.1:port", for dns.servers */
  server: string;
  /** the live zone: edit it between queries */
  zone: Zone;
  queries: SeenQuery[];
  /** how many queries for name (and type, and transport) were received */
  count(name: string, type?: string, transport?: "udp" | "tcp"): number;
  close(): Promise<void>;
}

const RCODES = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

const lc = (s: string) => s.toLowerCase().replace(/\.$/, "");

export async function startDnsServer(zone: Zone = {}): Promise<TestDnsServer> {
  const queries: SeenQuery[] = [];
  const state = { zone };
  const answer = (query: Buffer, transport: "udp" | "tcp"): Buffer | undefined => {
    // deno-lint-ignore no-explicit-any
    let q: any;
    try {
      q = dnsPacket.decode(query);
    } catch {
      return undefined;
    }
    const question = q.questions?.[0];
    if (!question) return undefined;
    queries.push({ name: lc(question.name), type: question.type, transport });
    // deno-lint-ignore no-explicit-any
    const edns = (q.additionals ?? []).some((r: any) => r.type === "OPT");
    return reply(state.zone, q.id, question, transport, edns);
  };
  const { udp, tcp, port } = await bindBoth(answer);
  const sockets = new Set<Socket>();
  tcp.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return {
    host: "127.0.0.1",
    port,
    server: `127.0.0.1:${port}`,
    get zone() {
      return state.zone;
    },
    set zone(z: Zone) {
      state.zone = z;
    },
    queries,
    count: (name, type, transport) =>
      queries.filter((q) => q.name === lc(name) && (!type || q.type === type) && (!transport || q.transport === transport)).length,
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all([
        new Promise<void>((r) => udp.close(() => r())),
        new Promise<void>((r) => tcp.close(() => r())),
      ]);
    },
  };
}

type Answerer = (query: Buffer, transport: "udp" | "tcp") => Buffer | undefined;

/** UDP on port 0, then TCP on the same port (retry if that TCP port is taken). */
async function bindBoth(answer: Answerer): Promise<{ udp: UdpSocket; tcp: Server; port: number }> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 20; attempt++) {
    const udp = createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind(0, "127.0.0.1", () => resolve());
    });
    const port = udp.address().port;
    const tcp = createServer((s) => serveTcp(s, answer));
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once("error", reject);
        tcp.listen(port, "127.0.0.1", () => resolve());
      });
    } catch (e) {
      lastError = e;
      await new Promise<void>((r) => udp.close(() => r()));
      continue;
    }
    udp.on("message", (msg: Buffer, rinfo) => {
      const out = answer(msg, "udp");
      if (out) udp.send(out, rinfo.port, rinfo.address);
    });
    return { udp, tcp, port };
  }
  throw new Error(`test DNS server: could not bind UDP and TCP on one port (${String(lastError)})`);
}

function serveTcp(s: Socket, answer: Answerer): void {
  let buf = Buffer.alloc(0);
  s.on("error", () => {});
  s.on("data", (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0);
      if (buf.length < len + 2) return;
      const out = answer(buf.subarray(2, 2 + len), "tcp");
      buf = buf.subarray(2 + len);
      if (out) {
        const framed = Buffer.alloc(out.length + 2);
        framed.writeUInt16BE(out.length, 0);
        out.copy(framed, 2);
        s.write(framed);
      }
    }
  });
}

// deno-lint-ignore no-explicit-any
type Rr = Record<string, any>;

function reply(zone: Zone, id: number, question: { name: string; type: string }, transport: "udp" | "tcp", edns: boolean): Buffer | undefined {
  const name = lc(question.name);
  const entry = zone[name];
  if (entry?.drop) return undefined;
  let rcode: number = RCODES.NOERROR;
  let answers: Rr[] = [];
  let truncated = false;
  if (!entry) rcode = RCODES.NXDOMAIN;
  else if (entry.rcode) rcode = RCODES[entry.rcode];
  else if (entry.rejectEdns && edns) rcode = RCODES.FORMERR;
  else if (entry.truncate && transport === "udp") truncated = true;
  else answers = records(zone, name, question.type);
  const negative = rcode === RCODES.NXDOMAIN || (rcode === RCODES.NOERROR && !truncated && answers.length === 0);
  const negTtl = entry?.negativeTtl ?? 60;
  const authorities: Rr[] = negative && !entry?.noSoa
    ? [{ type: "SOA", name, ttl: negTtl, data: soa(negTtl) }]
    : [];
  return dnsPacket.encode({
    type: "response",
    id,
    // AA | RD | RA | TC? | RCODE (RFC 1035 §4.1.1)
    flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE |
      (truncated ? dnsPacket.TRUNCATED_RESPONSE : 0) | rcode,
    questions: [{ type: question.type, name: question.name, class: "IN" }],
    answers,
    authorities,
  });
}

function soa(min: number): Rr {
  return { mname: "ns.test", rname: "hostmaster.test", serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: min };
}

function records(zone: Zone, name: string, type: string, depth = 0): Rr[] {
  const e = zone[name];
  if (!e || depth > 8) return [];
  const ttl = e.ttl ?? 300;
  if (e.cname) return [{ type: "CNAME", name, ttl, data: e.cname }, ...records(zone, lc(e.cname), type, depth + 1)];
  switch (type) {
    case "MX":
      return (e.mx ?? []).map(([preference, exchange]) => ({ type, name, ttl, data: { preference, exchange } }));
    case "A":
      return (e.a ?? []).map((data) => ({ type, name, ttl, data }));
    case "AAAA":
      return (e.aaaa ?? []).map((data) => ({ type, name, ttl, data }));
    default:
      return [];
  }
}
