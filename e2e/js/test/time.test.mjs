import { test } from "node:test";
import assert from "node:assert/strict";
import { parts, vectors } from "./load.mjs";

// The device's zone must not matter: these run in New York's.
process.env.TZ = "America/New_York";

const { formatTime } = parts(["time.js"]);
const v = vectors("scripts/time.json");

test("the device's zone is not the rule's", () => {
  assert.notEqual(new Date("2026-11-29T12:30:00Z").getTimezoneOffset(), 0);
});

test("a time as the server shows it", async (t) => {
  assert.ok(v.cases.length > 0);
  for (const c of v.cases) {
    await t.test(c.name, () => {
      assert.equal(formatTime(new Date(c.at), v.formats[c.lang]), c.text);
    });
  }
});

test("not a date", () => {
  assert.equal(formatTime(new Date("garbage"), v.formats.en), "");
});
