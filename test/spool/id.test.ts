import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { isQueueId, newQueueId, queueIdTime } from "../../src/spool/id.ts";

describe("spool: queue ids", () => {
  it("are 14 chars, unique and sortable by time", () => {
    const ids: string[] = [];
    for (let i = 0; i < 20000; i++) ids.push(newQueueId());
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.ok(isQueueId(id), id);
    assert.deepEqual([...ids].sort(), ids);
    const later = newQueueId(Date.now() + 10_000);
    assert.ok(later > ids[ids.length - 1]!);
    assert.ok(Math.abs(queueIdTime(ids[0]!) - Date.now()) < 60_000);
  });
});
