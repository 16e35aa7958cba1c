import { test } from "node:test";
import assert from "node:assert/strict";
import { parts, vectors, plain } from "./load.mjs";

const { consentCookieFields } = parts(["consent-cookie.js"]);
const v = vectors("scripts/consent-cookie.json");

test("a kc_consent value read as the server reads its format", async (t) => {
  assert.ok(v.cases.length > 0);
  for (const c of v.cases) {
    await t.test(c.name, () => {
      const got = consentCookieFields(c.value);
      if (!c.format) {
        assert.equal(got, null);
        return;
      }
      assert.deepEqual(plain(got), { version: c.version, granted: c.granted, at: c.at, receipt: c.receiptId });
    });
  }
});

test("not a string", () => {
  assert.equal(consentCookieFields(undefined), null);
  assert.equal(consentCookieFields(42), null);
});
