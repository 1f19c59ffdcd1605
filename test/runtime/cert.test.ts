import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { createSecureContext } from "node:tls";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { CertificateError, ensureCertificate } from "../../src/runtime/cert.ts";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "tern-cert-"));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof CertificateError, `expected CertificateError, got ${e}`);
    return e;
  }
  assert.fail("no error");
}

describe("ensureCertificate", () => {
  it("generates a self-signed certificate once, key mode 0600, then reuses it", async () => {
    const dataDir = tempDir();
    const config = { hostname: "mx.test.example", dataDir, tls: {} };
    const [a, b] = await Promise.all([ensureCertificate(config), ensureCertificate(config)]);
    assert.equal(a.cert, b.cert, "concurrent callers share one generation");
    assert.match(a.cert, /-----BEGIN CERTIFICATE-----/);
    assert.match(a.key, /-----BEGIN (RSA )?PRIVATE KEY-----/);
    const certPath = join(dataDir, "tls", "cert.pem");
    const keyPath = join(dataDir, "tls", "key.pem");
    assert.equal(readFileSync(certPath, "utf8"), a.cert);
    assert.equal(readFileSync(keyPath, "utf8"), a.key);
    if (process.platform !== "win32") assert.equal(statSync(keyPath).mode & 0o777, 0o600);

    const x = new X509Certificate(a.cert);
    assert.match(x.subject, /CN=mx\.test\.example/);
    const san = x.subjectAltName ?? "";
    assert.match(san, /DNS:mx\.test\.example/);
    assert.match(san, /DNS:localhost/);
    assert.match(san, /IP Address:127\.0\.0\.1/);
    const years = (Date.parse(x.validTo) - Date.now()) / (365 * 24 * 3600 * 1000);
    assert.ok(years > 9, `valid for ${years} years`);

    createSecureContext({ cert: a.cert, key: a.key }); // throws when the key does not match

    const again = await ensureCertificate(config);
    assert.deepEqual(again, a, "second start reads the same files");
  });

  it("reads tls.cert and tls.key when set", async () => {
    const src = await ensureCertificate({ hostname: "localhost", dataDir: tempDir(), tls: {} });
    const d = tempDir();
    writeFileSync(join(d, "c.pem"), src.cert);
    writeFileSync(join(d, "k.pem"), src.key);
    const got = await ensureCertificate({ hostname: "x", dataDir: d, tls: { cert: join(d, "c.pem"), key: join(d, "k.pem") } });
    assert.deepEqual(got, src);
  });

  it("names the missing or invalid file", async () => {
    const d = tempDir();
    writeFileSync(join(d, "c.pem"), "not a certificate");
    writeFileSync(join(d, "empty.pem"), "");
    const missing = join(d, "nope.pem");
    let e = await rejection(ensureCertificate({ hostname: "x", dataDir: d, tls: { cert: missing, key: missing } }));
    assert.ok(e.message.includes(`tls.cert ${missing}: cannot read it (no such file)`), e.message);
    e = await rejection(ensureCertificate({ hostname: "x", dataDir: d, tls: { cert: join(d, "c.pem"), key: missing } }));
    assert.ok(e.message.includes(join(d, "c.pem")) && /expected a PEM certificate/.test(e.message), e.message);
    const good = await ensureCertificate({ hostname: "localhost", dataDir: tempDir(), tls: {} });
    writeFileSync(join(d, "good.pem"), good.cert);
    e = await rejection(ensureCertificate({ hostname: "x", dataDir: d, tls: { cert: join(d, "good.pem"), key: join(d, "empty.pem") } }));
    assert.ok(e.message.includes(`tls.key ${join(d, "empty.pem")}: expected a PEM private key`), e.message);
    e = await rejection(ensureCertificate({ hostname: "x", dataDir: d, tls: { cert: join(d, "good.pem") } }));
    assert.match(e.message, /set together/);
  });
});
