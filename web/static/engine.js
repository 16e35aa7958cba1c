// engine.js runs the wasm in a worker, off the page's main thread, to
// render a page rendered without state for the host's ?state= (package
// takeover; boot.js starts it). The page posts what the wasm needs; the
// wasm answers with the view's markup, which boot.js puts in the page.
// Nothing the person does waits for it.
//
// On the settings the worker stays: each later message is a change the
// person made ({request}: a takeover.SettingsRequest), which the wasm
// decides (kaiconnEngine.ask) and answers with the view that follows, the
// bridge message and the order, posted back in the order asked.
self.onmessage = function (e) {
  "use strict";
  var d = e.data || {};
  if (d.request) {
    var engine = self.kaiconnEngine;
    if (!engine || typeof engine.ask !== "function") {
      // boot.js asks only once the first answer came; a request before
      // that is a page's mistake, answered as one.
      self.postMessage({ error: "the engine is not ready", history: d.request.history || [] });
      return;
    }
    try {
      self.postMessage(engine.ask(JSON.stringify(d.request)));
    } catch (err) {
      self.postMessage({ error: String(err), history: d.request.history || [] });
    }
    return;
  }
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
