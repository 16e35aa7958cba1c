import { test } from "node:test";
import assert from "node:assert/strict";
import { parts, vectors, plain } from "./load.mjs";

// page is a window with the hosts asked for: the fake Android bridge
// takes a string only, the iOS handler an object, as the real ones do.
function page({ android = false, ios = false } = {}) {
  const got = { android: [], ios: [] };
  const attrs = {};
  const window = {};
  if (android) {
    window.KaiconnConsentBridge = {
      postMessage(s) {
        assert.equal(typeof s, "string", "Android takes a string");
        got.android.push(s);
      },
    };
  }
  if (ios) {
    window.webkit = { messageHandlers: { kaiconnConsent: { postMessage(o) {
      assert.equal(typeof o, "object", "iOS takes an object");
      got.ios.push(o);
    } } } };
  }
  const document = { documentElement: { setAttribute(k, v) { attrs[k] = v; } } };
  const ctx = parts(["host.js"], { window, document });
  return { hostPost: ctx.hostPost, got, attrs };
}

const v = vectors("scripts/bridge.json");

test("every message reaches both hosts as it is", async (t) => {
  assert.ok(v.messages.length > 0);
  for (const m of v.messages) {
    await t.test(m.name, () => {
      const p = page({ android: true, ios: true });
      assert.equal(p.hostPost(m.message), true);
      assert.deepEqual(p.got.android, [JSON.stringify(m.message)]);
      assert.deepEqual(JSON.parse(p.got.android[0]), m.message);
      assert.equal(p.got.ios.length, 1);
      assert.deepEqual(plain(p.got.ios[0]), m.message);
      assert.equal(p.attrs["data-bridge"], "delivered");
    });
  }
});

test("one host is enough", () => {
  for (const hosts of [{ android: true }, { ios: true }]) {
    const p = page(hosts);
    assert.equal(p.hostPost(v.messages[0].message), true);
    assert.equal(p.got.android.length + p.got.ios.length, 1);
  }
});

test("without a host the page says so", () => {
  const p = page();
  assert.equal(p.hostPost(v.messages[0].message), false);
  assert.equal(p.attrs["data-bridge"], "no-host");
});
