import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hashPassword, isPasswordHash, parsePhc, SCRYPT_LN, verifyPassword } from "../../src/core/password.ts";

describe("password", () => {
  it("hashes to a scrypt PHC string and verifies", async () => {
    const h = await hashPassword("correct horse");
    assert.match(h, /^\$scrypt\$ln=\d+,r=8,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    assert.equal(parsePhc(h)?.ln, SCRYPT_LN);
    assert.equal(isPasswordHash(h), true);
    assert.equal(await verifyPassword("correct horse", h), true);
    assert.equal(await verifyPassword("correct horsE", h), false);
    assert.equal(await verifyPassword("", h), false);
  });

  it("salts: the same password hashes differently", async () => {
    const a = await hashPassword("pw");
    const b = await hashPassword("pw");
    assert.notEqual(a, b);
    assert.equal(await verifyPassword("pw", a), true);
    assert.equal(await verifyPassword("pw", b), true);
  });

  it("handles unicode passwords", async () => {
    const h = await hashPassword("pässwörd 🔑");
    assert.equal(await verifyPassword("pässwörd 🔑", h), true);
    assert.equal(await verifyPassword("passwörd 🔑", h), false);
  });

  it("verifies with the parameters stored in the hash (ln=15 needs maxmem > 32 MiB)", async () => {
    const h = await hashPassword("pw", { ln: 15 });
    assert.ok(h.startsWith("$scrypt$ln=15,r=8,p=1$"));
    assert.equal(await verifyPassword("pw", h), true);
    const low = await hashPassword("pw", { ln: 4 });
    assert.equal(await verifyPassword("pw", low), true);
  });

  it("returns false for malformed hashes", async () => {
    const good = await hashPassword("pw");
    const parts = good.split("$");
    const bad = [
      "",
      "pw",
      "$scrypt$",
      "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
      `$scrypt$ln=13,r=8$${parts[3]}$${parts[4]}`,
      `$scrypt$ln=99,r=8,p=1$${parts[3]}$${parts[4]}`,
      `$scrypt$ln=13,r=8,p=1,x=1$${parts[3]}$${parts[4]}`,
      `$scrypt$ln=13,r=8,p=1$${parts[3]}`,
      `$scrypt$ln=13,r=8,p=1$!!!$${parts[4]}`,
      `$scrypt$ln=13,r=8,p=1$${parts[3]}$${parts[4]}$extra`,
      `$scrypt$ln=13,r=8,p=1$${parts[3]}$AAAA`,
    ];
    for (const phc of bad) {
      assert.equal(await verifyPassword("pw", phc), false, phc);
      assert.equal(isPasswordHash(phc), false, phc);
    }
    assert.equal(await verifyPassword("pw", undefined as unknown as string), false);
  });

  it("does not block the event loop while hashing", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await Promise.all([hashPassword("a"), hashPassword("b"), hashPassword("c")]);
    clearInterval(timer);
    assert.ok(ticks > 0, "timers ran while scrypt was working");
  });

  it("uses the documented default cost (ln=13, r=8, p=1); speed is measured, not asserted", async () => {
    assert.match(await hashPassword("cost"), /^\$scrypt\$ln=13,r=8,p=1\$/);
  });
});
