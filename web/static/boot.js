// boot.js starts the wasm that enhances a server-rendered page. Nothing here
// is needed for the page to work: every control is a plain form or link
// first. There is no service worker and no loader covering the page.
(function () {
  "use strict";
  var html = document.documentElement;
  if (!("WebAssembly" in window) || new URLSearchParams(location.search).get("wasm") === "false") {
    html.setAttribute("data-wasm", "off");
    return;
  }
  var script = document.createElement("script");
  script.src = "/wasm_exec.js";
  script.onload = function () {
    var go = new Go();
    var resp = fetch("/app.wasm");
    var started = WebAssembly.instantiateStreaming
      ? WebAssembly.instantiateStreaming(resp, go.importObject)
      : resp.then(function (r) { return r.arrayBuffer(); })
          .then(function (b) { return WebAssembly.instantiate(b, go.importObject); });
    started.then(function (r) { go.run(r.instance); }).catch(function (err) {
      html.setAttribute("data-wasm", "failed");
      console.warn("kaiconn: enhancements unavailable; the page keeps working without them", err);
    });
  };
  script.onerror = function () { html.setAttribute("data-wasm", "failed"); };
  document.head.appendChild(script);
})();
