import { test } from "node:test";
import assert from "node:assert/strict";
import { parts, vectors } from "./load.mjs";

const { retryDelay, retryVerdict } = parts(["retry.js"]);
const v = vectors("scripts/retry.json");

test("the wait after each failure in a row", async (t) => {
  assert.ok(v.delays.length > 0);
  for (const d of v.delays) {
    await t.test(d.name, () => {
      assert.equal(retryDelay(d.n, d.retryAfter, d.random), d.ms);
    });
  }
});

test("what a queue does with each answer", async (t) => {
  assert.ok(v.verdicts.length > 0);
  for (const d of v.verdicts) {
    await t.test(d.name, () => {
      assert.equal(retryVerdict(d.status, d.retryAfter), d.verdict);
      if (d.retryAfter === "") {
        assert.equal(retryVerdict(d.status, null), d.verdict, "fetch's null for a missing header");
      }
    });
  }
});

test("jitter stays within half the step and the step", () => {
  for (let n = 1; n <= 10; n++) {
    const low = retryDelay(n, "", 0);
    const high = retryDelay(n, "", 0.999999);
    for (let i = 0; i < 50; i++) {
      const d = retryDelay(n);
      assert.ok(d >= low && d <= high, `n=${n}: ${d} outside [${low}, ${high}]`);
    }
  }
});

test("Retry-After as an HTTP date", () => {
  const at = new Date(Date.now() + 90_000).toUTCString();
  const d = retryDelay(1, at, 0);
  assert.ok(d > 80_000 && d <= 90_000, String(d));
  assert.equal(retryDelay(1, new Date(0).toUTCString(), 0), 500, "a date gone by asks for no wait");
});
