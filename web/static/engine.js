// engine.js runs the wasm in a worker, off the page's main thread, to
// render a gate page rendered without state for the host's ?state=
// (package takeover; boot.js starts it). The page posts what the wasm
// needs; the wasm answers with the view's markup, which boot.js puts in
// the page. Nothing the person does waits for it.
self.onmessage = function (e) {
  "use strict";
  var d = e.data || {};
  try {
    importScripts(d.exec);
    var go = new Go();
    self.kaiconnEngine = {
      input: d.input,
      done: function (r) { self.postMessage(r); }
    };
    var resp = fetch(d.wasm);
    var run = WebAssembly.instantiateStreaming
      ? WebAssembly.instantiateStreaming(resp, go.importObject)
      : resp.then(function (r) { return r.arrayBuffer(); })
          .then(function (b) { return WebAssembly.instantiate(b, go.importObject); });
    run.then(function (r) { go.run(r.instance); })
      .catch(function (err) { self.postMessage({ error: String(err) }); });
  } catch (err) {
    self.postMessage({ error: String(err) });
  }
};
