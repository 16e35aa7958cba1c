import { test } from "node:test";
import assert from "node:assert/strict";
import { parts, vectors, text } from "./load.mjs";

const ctx = parts(["canonical.js"], { TextEncoder, btoa, crypto: globalThis.crypto });
const { canonical, utf8, b64url, sha256Hex } = ctx;

test("RFC 8785 as the server writes it", async (t) => {
  const v = vectors("scripts/jcs.json");
  assert.ok(v.cases.length > 0);
  for (const c of v.cases) {
    await t.test(c.name, () => {
      assert.equal(canonical(c.value), c.canonical);
    });
  }
});

// The receipt package's own fixtures: an envelope, its canonical bytes and
// its hash, as the server computes them.
test("an envelope's canonical bytes and hash", async (t) => {
  for (const f of [
    { name: "v1", envelope: "envelope.example.json", canonical: "envelope.canonical.json", hash: "envelope.hash" },
    { name: "v2", envelope: "envelope-v2.canonical.json", canonical: "envelope-v2.canonical.json", hash: "envelope-v2.hash" },
  ]) {
    await t.test(f.name, async () => {
      const want = text("receipt/" + f.canonical).trim();
      assert.equal(canonical(vectors("receipt/" + f.envelope)), want);
      assert.equal(await sha256Hex(utf8(want)), text("receipt/" + f.hash).trim());
    });
  }
});

test("members left undefined are left out", () => {
  assert.equal(canonical({ b: 1, a: undefined }), '{"b":1}');
});

test("a receipt holds integers only", () => {
  assert.throws(() => canonical({ a: 1.5 }), /integers only/);
  assert.throws(() => canonical([2 ** 53]), /integers only/);
});

test("base64url without padding", () => {
  assert.equal(b64url(new Uint8Array([0xfb, 0xff, 0xfe]).buffer), "-__-");
  assert.equal(b64url(new Uint8Array([1]).buffer), "AQ");
});
