import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, validateConfig } from "../../src/config/load.ts";

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e;
  }
  assert.fail("no error");
}

describe("config environment overrides", () => {
  it("top-level keys", () => {
    const c = validateConfig({ hostname: "file.example" }, { TERN_HOSTNAME: "mx.example.com", TERN_DATA_DIR: "/var/lib/tern" });
    assert.equal(c.hostname, "mx.example.com");
    assert.equal(c.dataDir, "/var/lib/tern");
  });

  it("nested keys, camelCase as UPPER_SNAKE, with type coercion", () => {
    const c = validateConfig(
      { listen: { submission: "127.0.0.1:1587" }, limits: { maxRecipients: 7 } },
      {
        TERN_LISTEN__SMTP: "0.0.0.0:25",
        TERN_LISTEN__HTTP: "false",
        TERN_LIMITS__MAX_MESSAGE_SIZE: "1000000",
        TERN_LIMITS__MAX_CONNECTIONS_PER_IP: "7",
        TERN_TIMEOUTS__COMMAND: "2.5",
        TERN_AUTH__ALLOW_INSECURE: "true",
        TERN_LOG__LEVEL: "debug",
        TERN_TLS__CERT: "/c.pem",
        TERN_TLS__KEY: "/k.pem",
      },
    );
    assert.equal(c.listen.smtp, "0.0.0.0:25");
    assert.equal(c.listen.http, false);
    assert.equal(c.listen.submission, "127.0.0.1:1587", "file values survive");
    assert.equal(c.limits.maxMessageSize, 1000000);
    assert.equal(c.limits.maxConnectionsPerIp, 7);
    assert.equal(c.limits.maxRecipients, 7);
    assert.equal(c.timeouts.command, 2.5);
    assert.equal(c.auth.allowInsecure, true);
    assert.equal(c.log.level, "debug");
    assert.deepEqual(c.tls, { cert: "/c.pem", key: "/k.pem" });
    assert.equal(validateConfig({ auth: { allowInsecure: true } }, { TERN_AUTH__ALLOW_INSECURE: "false" }).auth.allowInsecure, false);
  });

  it("lists as comma lists, users as JSON", () => {
    const c = validateConfig(
      {},
      {
        TERN_RELAY__TRUSTED_NETWORKS: "10.0.0.0/8, 192.168.0.0/16",
        TERN_DOMAINS: "Example.com",
        TERN_USERS: '[{"address":"u@example.com","password":"p"}]',
      },
    );
    assert.deepEqual(c.relay.trustedNetworks, ["10.0.0.0/8", "192.168.0.0/16"]);
    assert.deepEqual(c.domains, ["example.com"]);
    assert.deepEqual(c.users, [{ address: "u@example.com", password: "p" }]);
    assert.deepEqual(validateConfig({ relay: { trustedNetworks: ["1.0.0.0/8"] } }, { TERN_RELAY__TRUSTED_NETWORKS: "" }).relay.trustedNetworks, []);
  });

  it("bad values name the key and the variable", () => {
    const e = errorOf(() =>
      validateConfig({}, { TERN_LIMITS__MAX_MESSAGE_SIZE: "lots", TERN_LISTEN__SMTP: "abc", TERN_AUTH__ALLOW_INSECURE: "maybe", TERN_USERS: "[oops" }),
    );
    const msg = e.message;
    assert.match(msg, /limits\.maxMessageSize: expected a positive integer \(from TERN_LIMITS__MAX_MESSAGE_SIZE\)/);
    assert.match(msg, /listen\.smtp: expected "host:port" or false, got "abc" \(from TERN_LISTEN__SMTP\)/);
    assert.match(msg, /auth\.allowInsecure: expected true or false \(from TERN_AUTH__ALLOW_INSECURE\)/);
    assert.match(msg, /users: expected a JSON value \(from TERN_USERS\)/);
  });

  it("unknown variables are unknown keys; TERN_CONFIG and other variables are ignored", () => {
    const e = errorOf(() => validateConfig({}, { TERN_LIMITS__MAX_MESAGE_SIZE: "1", TERN_BOGUS: "x" }));
    assert.match(e.message, /limits\.maxMesageSize: unknown key \(from TERN_LIMITS__MAX_MESAGE_SIZE\)/);
    assert.match(e.message, /bogus: unknown key \(from TERN_BOGUS\)/);
    const c = validateConfig({}, { TERN_CONFIG: "/x.json", PATH: "/bin", TERNARY: "1" });
    assert.equal(c.dataDir, "./data");
  });

  it("malformed variable names are reported", () => {
    const e = errorOf(() => validateConfig({}, { TERN_LISTEN___SMTP: "x" }));
    assert.match(e.message, /TERN_LISTEN___SMTP: expected a name like TERN_SECTION__KEY/);
  });

  it("does not modify the input object", () => {
    const input = { listen: { smtp: "127.0.0.1:1" } };
    validateConfig(input, { TERN_LISTEN__SMTP: "127.0.0.1:2" });
    assert.equal(input.listen.smtp, "127.0.0.1:1");
  });
});
