// Self-signed test certificate for "localhost", generated once per process.
import { generate } from "selfsigned";

let cached: Promise<{ cert: string; key: string }> | undefined;

export function testCert(): Promise<{ cert: string; key: string }> {
  cached ??= generate([{ name: "commonName", value: "localhost" }], {
    keySize: 2048,
  }).then((p) => ({ cert: p.cert, key: p.private }));
  return cached;
}
