import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { SCHEMA_VERSION } from "../../src/directory/migrations.ts";
import { DirectoryError, openDirectory } from "../../src/directory/sqlite.ts";
import { isPasswordHash } from "../../src/core/password.ts";
import { openDb } from "../../src/runtime/sqlite.ts";

const dir = mkdtempSync(join(tmpdir(), "tern-dir-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const dbPath = () => join(dir, `d${++n}.db`);

describe("SQLite directory", () => {
  it("creates the schema with a schema_version and reopens without migrating again", async () => {
    const p = dbPath();
    const d = await openDirectory(p);
    d.addDomain("Example.COM");
    d.close();
    const db = await openDb(p);
    assert.equal(db.get<{ version: number }>("SELECT version FROM schema_version")!.version, SCHEMA_VERSION);
    assert.equal(db.all("SELECT * FROM schema_version").length, 1);
    db.close();
    const d2 = await openDirectory(p);
    assert.deepEqual(d2.listDomains(), ["example.com"]);
    d2.close();
  });

  it("refuses a database from a newer Tern", async () => {
    const p = dbPath();
    const db = await openDb(p);
    db.exec("CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (999)");
    db.close();
    await assert.rejects(openDirectory(p), /schema version 999, newer/);
  });

  it("domains, users, passwords hashed (never plain), authenticate", async () => {
    const d = await openDirectory(dbPath());
    assert.equal(d.addDomain("example.com"), true);
    assert.equal(d.addDomain("example.com"), false);
    assert.equal(d.isLocalDomain("EXAMPLE.com"), true);
    assert.equal(d.isLocalDomain("other.org"), false);
    await assert.rejects(d.addUser("bob@nowhere.org", { password: "pw" }), /nowhere\.org is not a local domain/);
    const u = await d.addUser("Alice@Example.com", { password: "s3cret", quota: 1000 });
    assert.equal(u.address, "alice@example.com");
    assert.equal(u.quota, 1000);
    assert.ok(isPasswordHash(u.passwordHash));
    const row = d.db.get<{ password_hash: string }>("SELECT password_hash FROM users")!;
    assert.ok(!row.password_hash.includes("s3cret"));
    await assert.rejects(d.addUser("alice@example.com", { password: "x" }), /exists already/);
    await assert.rejects(d.addUser("carol@example.com", { password: "" }), /password is required/);
    assert.equal(await d.authenticate("alice@example.com", "s3cret"), "alice@example.com");
    assert.equal(await d.authenticate("alice@example.com", "wrong"), null);
    assert.equal(await d.authenticate("nobody@example.com", "s3cret"), null);
    await d.setPassword("alice@example.com", "new");
    assert.equal(await d.authenticate("ALICE@example.com", "new"), "alice@example.com");
    d.setQuota("alice@example.com", 5);
    assert.equal(d.getUser("alice@example.com")!.quota, 5);
    assert.throws(() => d.setQuota("alice@example.com", -1), /quota must be/);
    assert.throws(() => d.removeDomain("example.com"), /still has 1 user/);
    assert.equal(d.removeUser("alice@example.com"), true);
    assert.equal(d.removeUser("alice@example.com"), false);
    assert.equal(d.removeDomain("example.com"), true);
    assert.throws(() => d.addDomain("bad domain"), DirectoryError);
    d.close();
  });

  it("aliases, catch-all, postmaster and expansion", async () => {
    const d = await openDirectory(dbPath());
    d.addDomain("example.com");
    d.addDomain("two.example");
    await d.addUser("alice@example.com", { password: "a" });
    await d.addUser("bob@example.com", { password: "b" });
    assert.equal(d.addAlias("sales@example.com", ["alice@example.com", "bob@example.com", "ext@remote.org"]), 3);
    assert.equal(d.userExists("sales@example.com"), true);
    assert.equal(d.userExists("nobody@example.com"), false);
    assert.equal(d.userExists("postmaster@example.com"), true); // RFC 5321 §4.5.1
    assert.equal(d.userExists("alice@remote.org"), false);
    assert.deepEqual(d.expand("Sales@example.com"), { local: ["alice@example.com", "bob@example.com"], remote: ["ext@remote.org"] });
    assert.equal(d.expand("nobody@example.com"), undefined);
    // catch-all
    d.addAlias("@two.example", ["alice@example.com"]);
    assert.equal(d.userExists("anything@two.example"), true);
    assert.deepEqual(d.expand("anything@two.example"), { local: ["alice@example.com"], remote: [] });
    // loops are cut, a self-reference keeps a local copy
    d.addAlias("alice@example.com", ["alice@example.com", "loop@example.com"]);
    d.addAlias("loop@example.com", ["alice@example.com"]);
    assert.deepEqual(d.expand("alice@example.com"), { local: ["alice@example.com"], remote: [] });
    assert.equal(d.removeAlias("sales@example.com", ["bob@example.com"]), 1);
    assert.deepEqual(d.listAliases().find((a) => a.source === "sales@example.com")!.targets, ["alice@example.com", "ext@remote.org"]);
    assert.equal(d.removeAlias("sales@example.com"), 2);
    assert.equal(d.userExists("sales@example.com"), false);
    assert.throws(() => d.addAlias("x@nowhere.org", ["alice@example.com"]), /not a local domain/);
    assert.throws(() => d.addAlias("x@example.com", ["not an address"]), /not an address/);
    d.close();
  });

  it("seeds from config (upsert; the config password wins) and sees other connections' changes", async () => {
    const p = dbPath();
    const d = await openDirectory(p);
    await d.seed(["example.com"], [{ address: "alice@example.com", password: "one", quota: 10 }]);
    const h1 = d.getUser("alice@example.com")!.passwordHash;
    await d.seed(["example.com"], [{ address: "alice@example.com", password: "one" }]);
    assert.equal(d.getUser("alice@example.com")!.passwordHash, h1, "unchanged password keeps its hash");
    assert.equal(d.getUser("alice@example.com")!.quota, 10);
    await d.seed(["example.com"], [{ address: "alice@example.com", password: "two", advertisingFolder: true }]);
    assert.equal(await d.authenticate("alice@example.com", "two"), "alice@example.com");
    assert.equal(d.getUser("alice@example.com")!.advertisingFolder, true);
    // a second connection (as the CLI would) adds a domain: the first sees it
    const other = await openDirectory(p);
    other.addDomain("new.example");
    other.close();
    await new Promise((r) => setTimeout(r, 25)); // the server looks at most every 20 ms
    assert.equal(d.isLocalDomain("new.example"), true);
    d.close();
  });

  it("API keys: token shown once, only a hash stored; keys from another connection (the CLI) seen", async () => {
    const p = dbPath();
    const d = await openDirectory(p);
    const { key, token } = d.createApiKey("app", ["example.com"]);
    assert.match(token, /^tern_[0-9a-f]{16}_/);
    assert.ok(!d.db.all<{ hash: string }>("SELECT hash FROM api_keys")[0]!.hash.includes(token.slice(22)));
    assert.deepEqual(d.verifyApiKey(token)?.senderDomains, ["example.com"]);
    assert.equal(d.verifyApiKey(token.slice(0, -1) + (token.endsWith("A") ? "B" : "A")), undefined);
    assert.equal(d.verifyApiKey("garbage"), undefined);
    assert.equal(d.listApiKeys().length, 1);
    assert.equal(d.deleteApiKey(key.id), true);
    assert.equal(d.verifyApiKey(token), undefined);
    // the server checks keys against its snapshot: a key added or deleted by another
    // connection counts within 20 ms
    const other = await openDirectory(p);
    const made = other.createApiKey("cli");
    await new Promise((r) => setTimeout(r, 25));
    assert.equal(d.verifyApiKey(made.token)?.name, "cli");
    other.deleteApiKey(made.key.id);
    other.close();
    await new Promise((r) => setTimeout(r, 25));
    assert.equal(d.verifyApiKey(made.token), undefined);
    d.close();
  });
});
