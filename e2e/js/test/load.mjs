// load.mjs loads the scripts' shared parts (web/static/parts) for the unit
// tests as the browser runs them: classic scripts whose declarations land
// in one scope, here a vm context with the globals a test hands it. It
// also reads the JSON vectors the Go tests share (testdata/scripts).
import { readFileSync } from "node:fs";
import vm from "node:vm";

const root = new URL("../../../", import.meta.url);

// parts runs each named part of web/static/parts in one new context
// holding globals, and returns the context: its functions are the parts'.
export function parts(names, globals = {}) {
  const ctx = vm.createContext({ ...globals });
  for (const name of names) {
    const src = readFileSync(new URL("web/static/parts/" + name, root), "utf8");
    vm.runInContext(src, ctx, { filename: "web/static/parts/" + name });
  }
  return ctx;
}

// vectors reads testdata/<path> as JSON.
export function vectors(path) {
  return JSON.parse(readFileSync(new URL("testdata/" + path, root), "utf8"));
}

// text reads testdata/<path> as it is.
export function text(path) {
  return readFileSync(new URL("testdata/" + path, root), "utf8");
}

// plain is v as JSON would carry it, so values made in a context compare
// equal to values made here (each context has its own Object and Array).
export function plain(v) {
  return JSON.parse(JSON.stringify(v));
}
