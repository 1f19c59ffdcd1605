import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, validateConfig } from "../../src/config/load.ts";

function problems(input: unknown, env: Record<string, string> = {}): string[] {
  try {
    validateConfig(input, env);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    for (const p of e.problems) assert.ok(e.message.includes(p));
    return e.problems;
  }
  assert.fail(`no error for ${JSON.stringify(input)}`);
}

function expectProblem(input: unknown, line: string | RegExp): void {
  const ps = problems(input);
  const ok = ps.some((p) => (typeof line === "string" ? p === line || p.startsWith(line) : line.test(p)));
  assert.ok(ok, `wanted ${line} in:\n${ps.join("\n")}`);
}

describe("config errors name the key and what was expected", () => {
  it("unknown keys, at every level", () => {
    expectProblem({ bogusKey: 1 }, "bogusKey: unknown key");
    expectProblem({ listen: { smpt: "1.2.3.4:25" } }, "listen.smpt: unknown key");
    expectProblem({ limits: { maxSize: 1 } }, "limits.maxSize: unknown key");
    expectProblem({ users: [{ address: "a@b.c", password: "x", admin: true }] }, "users[0].admin: unknown key");
  });

  it("not an object", () => {
    expectProblem([], "(config): expected an object");
    expectProblem("x", "(config): expected an object");
    for (const s of ["listen", "tls", "relay", "auth", "limits", "timeouts", "spool", "log"]) {
      expectProblem({ [s]: 5 }, `${s}: expected an object`);
    }
  });

  it("hostname and dataDir", () => {
    expectProblem({ hostname: "not a host" }, "hostname: expected a domain name");
    expectProblem({ hostname: 5 }, "hostname: expected a domain name");
    expectProblem({ dataDir: "" }, "dataDir: expected a directory path");
    expectProblem({ dataDir: 1 }, "dataDir: expected a directory path");
  });

  it("listen addresses", () => {
    for (const key of ["smtp", "submission", "submissions", "pop3", "pop3s", "imap", "imaps", "http"]) {
      expectProblem({ listen: { [key]: "abc" } }, `listen.${key}: expected "host:port" or false, got "abc"`);
    }
    expectProblem({ listen: { smtp: "127.0.0.1:70000" } }, 'listen.smtp: expected "host:port" or false, got "127.0.0.1:70000"');
    expectProblem({ listen: { smtp: true } }, 'listen.smtp: expected "host:port" or false, got true');
    expectProblem({ listen: { smtp: 25 } }, 'listen.smtp: expected "host:port" or false, got 25');
    expectProblem({ listen: { smtp: "::1:25" } }, "listen.smtp: expected");
  });

  it("tls: both or neither", () => {
    expectProblem({ tls: { cert: "/c.pem" } }, "tls.key: expected a file path (tls.cert is set; set both or neither)");
    expectProblem({ tls: { key: "/k.pem" } }, "tls.cert: expected a file path");
    expectProblem({ tls: { cert: 3, key: "/k" } }, "tls.cert: expected a file path");
  });

  it("domains", () => {
    expectProblem({ domains: "example.com" }, "domains: expected a list of domain names");
    expectProblem({ domains: ["ok.example", "bad domain"] }, "domains[1]: expected a domain name");
  });

  it("users", () => {
    expectProblem({ users: {} }, "users: expected a list of users");
    expectProblem({ users: ["x"] }, "users[0]: expected an object");
    expectProblem({ users: [{ address: "nobody", password: "x" }] }, "users[0].address: expected an address user@domain");
    expectProblem({ users: [{ password: "x" }] }, "users[0].address: expected an address user@domain");
    expectProblem({ users: [{ address: "a@b.c" }] }, "users[0].password: expected exactly one of password or passwordHash, got neither");
    expectProblem({ users: [{ address: "a@b.c", password: "x", passwordHash: "$scrypt$" }] }, "users[0].password: expected exactly one of password or passwordHash, got both");
    expectProblem({ users: [{ address: "a@b.c", passwordHash: "plain" }] }, "users[0].passwordHash: expected a scrypt PHC string");
    expectProblem({ users: [{ address: "a@b.c", password: "" }] }, "users[0].password: expected a non-empty string");
  });

  it("relay.trustedNetworks", () => {
    expectProblem({ relay: { trustedNetworks: "10.0.0.0/8" } }, "relay.trustedNetworks: expected a list of CIDRs");
    expectProblem({ relay: { trustedNetworks: ["10.0.0.0/8", "10.0.0.0/33"] } }, "relay.trustedNetworks[1]: expected a CIDR");
    expectProblem({ relay: { trustedNetworks: ["2001:db8::/200"] } }, "relay.trustedNetworks[0]: expected a CIDR");
  });

  it("auth.allowInsecure", () => {
    expectProblem({ auth: { allowInsecure: "yes" } }, "auth.allowInsecure: expected true or false");
  });

  it("limits: positive integers", () => {
    for (const key of ["maxMessageSize", "maxRecipients", "maxConnections", "maxConnectionsPerIp", "maxErrors", "maxAuthFailures", "maxLineLength"]) {
      for (const bad of [0, -1, 1.5, "10", null]) {
        expectProblem({ limits: { [key]: bad } }, `limits.${key}: expected a positive integer`);
      }
    }
  });

  it("timeouts: positive seconds", () => {
    for (const key of ["command", "data", "shutdown"]) {
      for (const bad of [0, -5, "30", Infinity]) {
        expectProblem({ timeouts: { [key]: bad } }, `timeouts.${key}: expected a positive number of seconds`);
      }
    }
  });

  it("spool and log", () => {
    expectProblem({ spool: { segmentSize: 0 } }, "spool.segmentSize: expected a positive integer");
    expectProblem({ log: { level: "trace" } }, 'log.level: expected one of "debug", "info", "warn", "error"');
  });

  it("lists every problem at once", () => {
    const ps = problems({ bogusKey: 1, listen: { smtp: "abc" }, limits: { maxRecipients: 0 }, log: { level: "x" } });
    assert.equal(ps.length, 4, ps.join("\n"));
    const e = (() => {
      try {
        validateConfig({ listen: { smtp: "abc" } }, {}, "/etc/tern.config.json");
      } catch (err) {
        return err as ConfigError;
      }
    })();
    assert.ok(e);
    assert.match(e.message, /^invalid configuration \(\/etc\/tern\.config\.json\):\n {2}listen\.smtp: expected "host:port" or false, got "abc"$/);
  });
});
