import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";

const main = fileURLToPath(new URL("../../src/main.ts", import.meta.url).href);
const pkg = JSON.parse(readFileSync(fileURLToPath(new URL("../../package.json", import.meta.url).href), "utf8"));
const isDeno = "Deno" in globalThis;

const dir = mkdtempSync(join(tmpdir(), "tern-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function tern(args: string[], env: Record<string, string> = {}) {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("TERN_") && v !== undefined) clean[k] = v;
  const r = spawnSync(process.execPath, [...(isDeno ? ["run", "-A"] : []), main, ...args], {
    cwd: dir,
    env: { ...clean, NO_COLOR: "1", ...env },
    encoding: "utf8",
    timeout: 30000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("tern CLI", () => {
  it("--version prints the package.json version", () => {
    const r = tern(["--version"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `tern ${pkg.version}`);
  });

  it("--help prints usage", () => {
    const r = tern(["--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: tern/);
    assert.match(r.stdout, /check-config/);
  });

  it("check-config: OK with defaults, a summary on stdout", () => {
    const r = tern(["check-config"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^config OK\n/);
    assert.match(r.stdout, /smtp 127\.0\.0\.1:2525/);
  });

  it("check-config --config FILE: OK, and environment overrides apply", () => {
    const f = join(dir, "good.json");
    writeFileSync(f, JSON.stringify({ hostname: "cli.example", domains: ["cli.example"] }));
    const r = tern(["check-config", "--config", f], { TERN_LISTEN__SMTP: "0.0.0.0:2626" });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /hostname: +cli\.example/);
    assert.match(r.stdout, /smtp 0\.0\.0\.0:2626/);
    assert.ok(r.stdout.includes(f));
  });

  it("check-config: exit 1 and the problems on stderr", () => {
    const f = join(dir, "bad.json");
    writeFileSync(f, JSON.stringify({ listen: { smtp: "abc" }, limits: { maxRecipients: 0 }, bogusKey: 1 }));
    const r = tern(["check-config", "-c", f]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /listen\.smtp: expected "host:port" or false, got "abc"/);
    assert.match(r.stderr, /limits\.maxRecipients: expected a positive integer/);
    assert.match(r.stderr, /bogusKey: unknown key/);
  });

  it("check-config: exit 1 for a bad environment variable", () => {
    const r = tern(["check-config"], { TERN_LIMITS__MAX_ERRORS: "many" });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /limits\.maxErrors: expected a positive integer \(from TERN_LIMITS__MAX_ERRORS\)/);
  });

  it("serve: an invalid config exits 1 before binding anything", () => {
    const r = tern(["serve"], { TERN_LISTEN__SMTP: "nope" });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /listen\.smtp: expected "host:port" or false, got "nope"/);
  });

  it("unknown commands and options: usage on stderr, exit 2", () => {
    for (const args of [["frobnicate"], [], ["queue"], ["queue", "rm"], ["check-config", "--bogus"], ["serve", "extra"]]) {
      const r = tern(args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /Usage: tern/);
      assert.equal(r.stdout, "");
    }
  });
});
