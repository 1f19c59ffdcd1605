// parseBatch (hand-checked recipients) must agree with batchSchema.safeParse (zod) on
// every body: the same success, the same data, the same issues.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { batchSchema, parseBatch } from "../../src/http/schemas.ts";

const good = () => ({
  from: "News <news@example.com>",
  subject: "Hi {{name}}",
  text: "Hello {{name}}",
  recipients: [
    { to: "a@example.net", substitutions: { name: "A", n: 1 } },
    { to: "B <b@example.net>" },
    { to: "c@example.net", substitutions: {} },
  ],
});

type Body = Record<string, unknown>;
const variants: [string, (b: Body) => unknown][] = [
  ["valid", (b) => b],
  ["not an object", () => [1, 2]],
  ["null", () => null],
  ["no recipients", (b) => ({ ...b, recipients: undefined })],
  ["empty recipients", (b) => ({ ...b, recipients: [] })],
  ["1001 recipients", (b) => ({ ...b, recipients: Array.from({ length: 1001 }, (_, i) => ({ to: `u${i}@example.net` })) })],
  ["1000 recipients", (b) => ({ ...b, recipients: Array.from({ length: 1000 }, (_, i) => ({ to: `u${i}@example.net` })) })],
  ["recipients not an array", (b) => ({ ...b, recipients: { to: "a@example.net" } })],
  ["recipient is a string", (b) => ({ ...b, recipients: ["a@example.net"] })],
  ["recipient is null", (b) => ({ ...b, recipients: [null] })],
  ["recipient is an array", (b) => ({ ...b, recipients: [["a@example.net"]] })],
  ["unknown recipient key", (b) => ({ ...b, recipients: [{ to: "a@example.net", cc: "x@y.z" }] })],
  ["to missing", (b) => ({ ...b, recipients: [{ substitutions: {} }] })],
  ["to too short", (b) => ({ ...b, recipients: [{ to: "a@" }] })],
  ["to too long", (b) => ({ ...b, recipients: [{ to: "a".repeat(321) }] })],
  ["to a number", (b) => ({ ...b, recipients: [{ to: 12345 }] })],
  ["substitutions undefined", (b) => ({ ...b, recipients: [{ to: "a@example.net", substitutions: undefined }] })],
  ["substitutions null", (b) => ({ ...b, recipients: [{ to: "a@example.net", substitutions: null }] })],
  ["substitutions array", (b) => ({ ...b, recipients: [{ to: "a@example.net", substitutions: ["x"] }] })],
  ["substitution boolean", (b) => ({ ...b, recipients: [{ to: "a@example.net", substitutions: { x: true } }] })],
  ["substitution object", (b) => ({ ...b, recipients: [{ to: "a@example.net", substitutions: { x: { y: 1 } } }] })],
  ["substitution NaN", (b) => ({ ...b, recipients: [{ to: "a@example.net", substitutions: { x: NaN } }] })],
  ["substitution Infinity", (b) => ({ ...b, recipients: [{ to: "a@example.net", substitutions: { x: Infinity } }] })],
  ["substitution float", (b) => ({ ...b, recipients: [{ to: "a@example.net", substitutions: { x: 1.5 } }] })],
  ["template: from missing", (b) => ({ ...b, from: undefined })],
  ["template: unknown key", (b) => ({ ...b, bogus: 1 })],
  ["template: subject a number", (b) => ({ ...b, subject: 5 })],
  ["template: bad header name", (b) => ({ ...b, headers: { "X:Y": "v" } })],
  ["template: headers ok", (b) => ({ ...b, headers: { "X-Campaign": "7" } })],
  ["template and recipient both bad", (b) => ({ ...b, subject: 5, recipients: [{ to: 1 }] })],
  ["a recipient with a class instance", (b) => ({ ...b, recipients: [new (class { to = "a@example.net"; })()] })],
];

describe("HTTP API: parseBatch agrees with the zod schema", () => {
  for (const [name, make] of variants) {
    it(name, () => {
      const body = make(good());
      const fast = parseBatch(body);
      const zod = batchSchema.safeParse(body);
      assert.equal(fast.success, zod.success);
      if (fast.success && zod.success) assert.deepEqual(fast.data, zod.data);
      if (!fast.success && !zod.success) assert.deepEqual(fast.error.issues, zod.error.issues);
    });
  }
});
