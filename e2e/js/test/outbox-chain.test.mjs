import { test } from "node:test";
import assert from "node:assert/strict";
import { parts, vectors, plain } from "./load.mjs";

const { rechain, sameAudience, sameDecision } = parts(["canonical.js", "outbox-chain.js"]);
const v = vectors("scripts/chain.json");

test("which surfaces share an audience", () => {
  assert.ok(v.audiences.length > 0);
  for (const a of v.audiences) {
    assert.equal(sameAudience(a.a, a.b), a.same, `${a.a} and ${a.b}`);
  }
});

test("a receipt moved onto another head follows the server's rules", async (t) => {
  assert.ok(v.rechain.length > 0);
  for (const c of v.rechain) {
    await t.test(c.name, () => {
      const before = JSON.stringify(c.receipt);
      const got = plain(rechain({ ...c.receipt, prevHash: "old" }, "head", c.prev, c.required));
      assert.equal(got.prevHash, "head");
      assert.equal(got.decision, c.want.decision);
      assert.deepEqual(got.purposes, c.want.purposes);
      assert.equal(got.surface, c.receipt.surface, "nothing else changes");
      assert.equal(JSON.stringify(c.receipt), before, "the receipt passed in is left as it was");
    });
  }
});

test("the same decision, whatever chain it was put on", () => {
  const a = { issuedAt: "t", surface: "settings", purposes: [{ id: "push", state: "given" }, { id: "location", state: "refused" }] };
  assert.equal(sameDecision(a, { ...a, purposes: [{ id: "push", state: "given" }, { id: "location", state: "withdrawn" }] }), true);
  assert.equal(sameDecision(a, { ...a, purposes: [{ id: "push", state: "refused" }, { id: "location", state: "refused" }] }), false);
  assert.equal(sameDecision(a, { ...a, issuedAt: "u" }), false);
});
