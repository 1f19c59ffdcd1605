import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import { ConfigError, findConfigFile, loadConfig } from "../../src/config/load.ts";

const schemaPath = fileURLToPath(new URL("../../src/config/schema.ts", import.meta.url).href);
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "tern-config-"));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<ConfigError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    return e;
  }
  assert.fail("no error");
}

describe("config files", () => {
  it("loads a .json file", async () => {
    const d = tempDir();
    const f = join(d, "conf.json");
    writeFileSync(f, JSON.stringify({ hostname: "json.example", limits: { maxRecipients: 3 } }));
    const c = await loadConfig(f, {});
    assert.equal(c.hostname, "json.example");
    assert.equal(c.limits.maxRecipients, 3);
  });

  it("loads a .ts module's default export (with defineConfig)", async () => {
    const d = tempDir();
    const f = join(d, "my.config.ts");
    writeFileSync(
      f,
      `import { defineConfig } from ${JSON.stringify(schemaPath)};\n` +
        `const port: number = 2600;\n` +
        `export default defineConfig({ hostname: "ts.example", listen: { smtp: \`127.0.0.1:\${port}\` } });\n`,
    );
    const c = await loadConfig(f, {});
    assert.equal(c.hostname, "ts.example");
    assert.equal(c.listen.smtp, "127.0.0.1:2600");
  });

  it("loads a .js module with a plain object", async () => {
    const d = tempDir();
    const f = join(d, "conf.js");
    writeFileSync(f, `export default { dataDir: "/srv/tern" };\n`);
    assert.equal((await loadConfig(f, {})).dataDir, "/srv/tern");
  });

  it("relative paths are resolved against cwd", async () => {
    const d = tempDir();
    writeFileSync(join(d, "rel.json"), `{"dataDir":"rel"}`);
    assert.equal((await loadConfig("rel.json", {}, d)).dataDir, "rel");
  });

  it("finds ./tern.config.ts, then ./tern.config.json, else defaults", async () => {
    const d = tempDir();
    assert.equal(await findConfigFile(undefined, {}, d), undefined);
    assert.equal((await loadConfig(undefined, {}, d)).dataDir, "./data");
    writeFileSync(join(d, "tern.config.json"), `{"dataDir":"from-json"}`);
    assert.equal((await loadConfig(undefined, {}, d)).dataDir, "from-json");
    writeFileSync(join(d, "tern.config.ts"), `export default { dataDir: "from-ts" };\n`);
    assert.equal(await findConfigFile(undefined, {}, d), join(d, "tern.config.ts"));
    assert.equal((await loadConfig(undefined, {}, d)).dataDir, "from-ts");
  });

  it("TERN_CONFIG names the file when no path is given", async () => {
    const d = tempDir();
    const f = join(d, "env.json");
    writeFileSync(f, `{"dataDir":"from-env-file"}`);
    assert.equal((await loadConfig(undefined, { TERN_CONFIG: f }, d)).dataDir, "from-env-file");
  });

  it("environment overrides the file", async () => {
    const d = tempDir();
    const f = join(d, "c.json");
    writeFileSync(f, `{"listen":{"smtp":"127.0.0.1:1"}}`);
    const c = await loadConfig(f, { TERN_LISTEN__SMTP: "0.0.0.0:25" });
    assert.equal(c.listen.smtp, "0.0.0.0:25");
  });

  it("errors name the file and the key", async () => {
    const d = tempDir();
    const f = join(d, "bad.json");
    writeFileSync(f, `{"listen":{"smtp":"abc"},"bogusKey":true}`);
    const e = await rejection(loadConfig(f, {}));
    assert.ok(e.message.includes(f));
    assert.ok(e.problems.includes('listen.smtp: expected "host:port" or false, got "abc"'));
    assert.ok(e.problems.includes("bogusKey: unknown key"));
  });

  it("unreadable, invalid or unsupported files", async () => {
    const d = tempDir();
    const missing = join(d, "missing.json");
    assert.match((await rejection(loadConfig(missing, {}))).message, new RegExp(`${missing}: cannot read it`));
    assert.match((await rejection(loadConfig(join(d, "missing.ts"), {}))).message, /missing\.ts: no such file/);
    writeFileSync(join(d, "broken.json"), `{"dataDir": `);
    assert.match((await rejection(loadConfig(join(d, "broken.json"), {}))).message, /broken\.json: invalid JSON/);
    writeFileSync(join(d, "nodefault.ts"), `export const config = {};\n`);
    assert.match((await rejection(loadConfig(join(d, "nodefault.ts"), {}))).message, /nodefault\.ts: expected a default export/);
    writeFileSync(join(d, "throws.ts"), `throw new Error("boom");\nexport default {};\n`);
    assert.match((await rejection(loadConfig(join(d, "throws.ts"), {}))).message, /throws\.ts: cannot load it \(boom\)/);
    writeFileSync(join(d, "conf.yaml"), `a: 1\n`);
    assert.match((await rejection(loadConfig(join(d, "conf.yaml"), {}))).message, /expected a \.ts, \.js or \.json file/);
  });
});
