// The per-message event history behind GET /v1/messages/:id: bounded, keeps at least
// the last `keep` messages used.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { History } from "../../src/http/history.ts";

describe("http: event history", () => {
  it("appends per id, keeps at least the last `keep` ids, at most twice that, and moves used ids up", () => {
    const h = new History<number>(3);
    h.add("a", 1);
    h.add("a", 2);
    assert.deepEqual(h.get("a"), [1, 2]);
    for (const id of ["b", "c", "d", "e"]) h.add(id, 0);
    // young = {d, e}, old = {a, b, c}: everything of the last 3 (and more) is there
    for (const id of ["c", "d", "e"]) assert.ok(h.get(id), id);
    h.add("a", 3); // found in the old generation: moved up with its events
    assert.deepEqual(h.get("a"), [1, 2, 3]);
    for (const id of ["f", "g", "h", "i", "j", "k"]) h.add(id, 0);
    assert.deepEqual(h.get("a"), undefined, "six newer ids (2 × keep): gone");
    for (const id of ["i", "j", "k"]) assert.ok(h.get(id), id);
    assert.equal(h.get("nope"), undefined);
  });
});
