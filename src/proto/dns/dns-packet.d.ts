// Types for the parts of the npm package dns-packet (5.x, untyped) that Tern uses.
// Deno reads them through the @ts-types directive at each import; tsc through the
// ambient module below.

declare module "dns-packet" {
  // deno-lint-ignore no-explicit-any
  type Packet = Record<string, any>;
  interface DnsPacket {
    encode(packet: Packet, buf?: Uint8Array, offset?: number): import("node:buffer").Buffer;
    // deno-lint-ignore no-explicit-any
    decode(buf: Uint8Array, offset?: number): any;
    readonly RECURSION_DESIRED: number;
    readonly RECURSION_AVAILABLE: number;
    readonly TRUNCATED_RESPONSE: number;
    readonly AUTHORITATIVE_ANSWER: number;
    readonly AUTHENTIC_DATA: number;
    readonly CHECKING_DISABLED: number;
  }
  const dnsPacket: DnsPacket;
  export default dnsPacket;
}
