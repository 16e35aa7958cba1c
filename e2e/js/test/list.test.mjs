import { test } from "node:test";
import assert from "node:assert/strict";
import { parts, plain } from "./load.mjs";

function storage() {
  const m = new Map();
  return {
    getItem: (k) => (m.has(k) ? m.get(k) : null),
    setItem: (k, v) => m.set(k, String(v)),
    removeItem: (k) => m.delete(k),
    map: m,
  };
}

test("kept in localStorage, read again at each use", () => {
  const localStorage = storage();
  const tabA = parts(["list.js"], { localStorage }).storedList("q");
  const tabB = parts(["list.js"], { localStorage }).storedList("q");
  tabA.update((q) => q.push({ id: "a" }));
  tabB.update((q) => q.push({ id: "b" }));
  assert.deepEqual(plain(tabA.read()), [{ id: "a" }, { id: "b" }], "one tab does not undo the other");
  assert.equal(localStorage.getItem("q"), '[{"id":"a"},{"id":"b"}]');
  tabA.write([]);
  assert.equal(localStorage.map.has("q"), false, "an empty list leaves nothing behind");
});

test("garbage in storage reads as an empty list", () => {
  for (const junk of ["not json", '{"id":"a"}', "null"]) {
    const localStorage = storage();
    localStorage.setItem("q", junk);
    assert.deepEqual(plain(parts(["list.js"], { localStorage }).storedList("q").read()), [], junk);
  }
});

test("without storage it lives in the page's memory", () => {
  const localStorage = {
    getItem() { throw new Error("SecurityError"); },
    setItem() { throw new Error("QuotaExceededError"); },
    removeItem() { throw new Error("SecurityError"); },
  };
  const list = parts(["list.js"], { localStorage }).storedList("q");
  list.update((q) => q.push({ id: "a" }));
  list.update((q) => q.push({ id: "b" }));
  assert.deepEqual(plain(list.read()), [{ id: "a" }, { id: "b" }]);
  const other = parts(["list.js"], {}).storedList("q");
  assert.deepEqual(plain(other.read()), [], "no localStorage at all");
});
