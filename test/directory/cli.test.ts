import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { openDirectory, type SqliteDirectory } from "../../src/directory/sqlite.ts";
import { run } from "../helpers/run.ts";

const main = fileURLToPath(new URL("../../src/main.ts", import.meta.url).href);
const isDeno = "Deno" in globalThis;
const dir = mkdtempSync(join(tmpdir(), "tern-acct-"));
const config = join(dir, "tern.json");
writeFileSync(config, JSON.stringify({ dataDir: join(dir, "data"), domains: ["example.com"] }));

const tern = (args: string[], stdin?: string) => run(process.execPath, [...(isDeno ? ["run", "-A"] : []), main, ...args, "--config", config], stdin ?? "");

// each test spawns a few CLI processes: allow for a loaded machine
const T = { timeout: 60_000 };

// the "running server": a connection opened before the CLI changes anything
let live: SqliteDirectory;
before(async () => {
  live = await openDirectory(join(dir, "data", "directory.db"));
});
after(() => {
  live.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("tern domain|user|alias", () => {
  it("domain add/ls/del, seen by an open directory without restarting", T, async () => {
    const add = await tern(["domain", "add", "Other.example"]);
    assert.equal(add.code, 0, add.stderr);
    assert.equal(live.isLocalDomain("other.example"), true);
    const ls = await tern(["domain", "ls"]);
    assert.deepEqual(ls.stdout.trim().split("\n"), ["example.com", "other.example"]);
    assert.equal((await tern(["domain", "del", "other.example"])).code, 0);
    assert.equal(live.isLocalDomain("other.example"), false);
  });

  it("user add reads the password from stdin (hashed)", T, async () => {
    const add = await tern(["user", "add", "alice@example.com", "--quota", "1000000"], "pw from stdin\n");
    assert.equal(add.code, 0, add.stderr);
    assert.equal(await live.authenticate("alice@example.com", "pw from stdin"), "alice@example.com");
    assert.equal(live.getUser("alice@example.com")!.quota, 1000000);
    assert.ok(live.getUser("alice@example.com")!.passwordHash.startsWith("$scrypt$"));
  });

  it("user passwd, set, ls, del", T, async () => {
    const pw = await tern(["user", "passwd", "alice@example.com"], "second\r\n");
    assert.equal(pw.code, 0, pw.stderr);
    assert.equal(await live.authenticate("alice@example.com", "second"), "alice@example.com");
    const set = await tern(["user", "set", "alice@example.com", "--quota", "0", "--advertising-folder"]);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(live.getUser("alice@example.com")!.quota, 0);
    assert.equal(live.getUser("alice@example.com")!.advertisingFolder, true);
    const ls = await tern(["user", "ls"]);
    assert.match(ls.stdout, /^alice@example\.com\tquota=unlimited\tadvertising-folder$/m);
    const del = await tern(["user", "del", "alice@example.com"]);
    assert.equal(del.code, 0);
    assert.equal(live.userExists("alice@example.com"), false);
  });

  it("clear errors: unknown domain (1), empty password (1)", T, async () => {
    const r1 = await tern(["user", "add", "bob@nowhere.example"], "x\n");
    assert.equal(r1.code, 1);
    assert.match(r1.stderr, /nowhere\.example is not a local domain/);
    const r2 = await tern(["user", "add", "bob@example.com"], "");
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /password is required/);
  });

  it("usage errors exit 2: bad quota, unknown subcommand", T, async () => {
    const r3 = await tern(["user", "add", "bob@example.com", "--quota", "lots"], "x\n");
    assert.equal(r3.code, 2);
    assert.match(r3.stderr, /--quota: expected a number of bytes/);
    const r4 = await tern(["alias", "frobnicate"]);
    assert.equal(r4.code, 2);
    assert.match(r4.stderr, /alias: unknown subcommand "frobnicate"/);
  });

  it("alias add with local and remote targets", T, async () => {
    await tern(["user", "add", "carol@example.com"], "c\n");
    const add = await tern(["alias", "add", "sales@example.com", "carol@example.com", "partner@remote.example"]);
    assert.equal(add.code, 0, add.stderr);
    assert.deepEqual(live.expand("sales@example.com"), { local: ["carol@example.com"], remote: ["partner@remote.example"] });
  });

  it("alias catch-all, ls, del", T, async () => {
    assert.equal((await tern(["alias", "add", "@example.com", "carol@example.com"])).code, 0);
    assert.equal(live.userExists("random@example.com"), true);
    const ls = await tern(["alias", "ls"]);
    assert.match(ls.stdout, /^@example\.com\tcarol@example\.com$/m);
    assert.match(ls.stdout, /^sales@example\.com\tcarol@example\.com, partner@remote\.example$/m);
    assert.equal((await tern(["alias", "del", "sales@example.com", "partner@remote.example"])).code, 0);
    assert.deepEqual(live.expand("sales@example.com"), { local: ["carol@example.com"], remote: [] });
    assert.equal((await tern(["alias", "del", "@example.com"])).code, 0);
    assert.equal(live.userExists("random@example.com"), false);
  });

  it("alias del of a missing alias fails", T, async () => {
    const missing = await tern(["alias", "del", "nope@example.com"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no alias nope@example\.com/);
  });
});
