// The TLS certificate: the configured PEM files, or a self-signed one generated on
// first start under <dataDir>/tls (key written with mode 0600).

import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { generate } from "selfsigned";

export interface CertConfig {
  hostname: string;
  dataDir: string;
  tls: { cert?: string; key?: string };
}

export interface CertificatePair {
  /** PEM certificate chain */
  cert: string;
  /** PEM private key */
  key: string;
}

/** A certificate or key could not be read or generated; the message names the path. */
export class CertificateError extends Error {
  override name = "CertificateError";
}

async function readPem(path: string, what: string, kind: "CERTIFICATE" | "PRIVATE KEY"): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (e as Error).message;
    throw new CertificateError(`${what} ${path}: cannot read it (${why})`);
  }
  const ok = kind === "CERTIFICATE" ? /-----BEGIN CERTIFICATE-----/.test(text) : /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text);
  if (!ok) throw new CertificateError(`${what} ${path}: expected a PEM ${kind === "CERTIFICATE" ? "certificate" : "private key"}`);
  return text;
}

const inflight = new Map<string, Promise<CertificatePair>>();

/**
 * Return the PEM certificate and key: from tls.cert/tls.key when set, else from
 * <dataDir>/tls/cert.pem + key.pem, generating a self-signed pair there on first use.
 */
export function ensureCertificate(config: CertConfig): Promise<CertificatePair> {
  if (config.tls.cert !== undefined || config.tls.key !== undefined) {
    if (!config.tls.cert || !config.tls.key) {
      return Promise.reject(new CertificateError("tls.cert and tls.key must be set together"));
    }
    return (async () => ({
      cert: await readPem(config.tls.cert!, "tls.cert", "CERTIFICATE"),
      key: await readPem(config.tls.key!, "tls.key", "PRIVATE KEY"),
    }))();
  }
  const dir = resolve(config.dataDir, "tls");
  // two callers at once (e.g. several listeners) share one generation
  let p = inflight.get(dir);
  if (!p) {
    p = selfSigned(dir, config.hostname).finally(() => inflight.delete(dir));
    inflight.set(dir, p);
  }
  return p;
}

async function selfSigned(dir: string, hostname: string): Promise<CertificatePair> {
  const certPath = join(dir, "cert.pem");
  const keyPath = join(dir, "key.pem");
  let cert: string | undefined;
  let key: string | undefined;
  try {
    cert = await readFile(certPath, "utf8");
    key = await readFile(keyPath, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new CertificateError(`${dir}: cannot read the generated certificate (${(e as Error).message})`);
    }
    cert = key = undefined;
  }
  if (cert && key) return { cert, key };

  const altNames: { type: 2 | 7; value?: string; ip?: string }[] = [{ type: 2, value: hostname }];
  if (hostname !== "localhost") altNames.push({ type: 2, value: "localhost" });
  altNames.push({ type: 7, ip: "127.0.0.1" }, { type: 7, ip: "::1" });
  const now = new Date();
  const notBefore = new Date(now.getTime() - 60 * 60 * 1000);
  const notAfter = new Date(now.getTime() + 3650 * 24 * 60 * 60 * 1000);
  const pems = await generate([{ name: "commonName", value: hostname }], {
    keySize: 2048,
    algorithm: "sha256",
    notBeforeDate: notBefore,
    notAfterDate: notAfter,
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames },
    ],
  });
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // write to temporary names, then rename: a crash never leaves half a key behind
    await writeFile(keyPath + ".tmp", pems.private, { mode: 0o600 });
    await chmod(keyPath + ".tmp", 0o600);
    await writeFile(certPath + ".tmp", pems.cert, { mode: 0o644 });
    await rename(keyPath + ".tmp", keyPath);
    await rename(certPath + ".tmp", certPath);
  } catch (e) {
    throw new CertificateError(`${dir}: cannot write the self-signed certificate (${(e as Error).message})`);
  }
  return { cert: pems.cert, key: pems.private };
}
