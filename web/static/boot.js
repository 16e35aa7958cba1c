// boot.js starts the wasm that enhances a server-rendered page. Nothing here
// is needed for the page to work: every control is a plain form or link
// first. There is no service worker and no loader covering the page.
//
// The wasm is about 1.6 MB brotli, so it loads only where it pays (issue
// 11): once the page is idle, or at once when the reader reaches for an
// enhanced control (pointerdown or focus inside an element marked
// data-kc-enhance); never under Save-Data or on a 2G connection, and on 3G
// only on that intent. ?wasm=false turns it off (tests). html[data-wasm]
// says where it stands: "idle" (waiting), "loading", "ready" (the
// components took over), "off" (not loaded) or "failed".
//
// A page rendered without any state (main[data-rendered-for=none]: the
// app's bundle) that the host hands a state in ?state= shows the wrong view
// until the wasm renders the right one (package takeover), so the wasm
// starts at once there, whatever the connection (the bundle's wasm is a
// local file). The gate loads it for that alone, in a worker (engine.js),
// so that its start never holds up a tap: gate.js takes the decisions, and
// the worker's markup replaces the view only while none is taken.
(function () {
  "use strict";
  var html = document.documentElement;
  var conn = navigator.connection || {};
  var params = new URLSearchParams(location.search);
  var main = document.getElementById("main");
  var stale = !!(main && main.getAttribute("data-rendered-for") === "none" && params.get("state"));

  // showView puts a view the wasm rendered (package takeover: the gate's
  // <main>, its page data and title) in place of the page's, and tells
  // gate.js to bind to it. The bundle's newer.js shows a newer policy's
  // view with it too, so it is defined before anything returns.
  function showView(r) {
    document.getElementById("main").outerHTML = r.main;
    var script = document.getElementById("kc-gate");
    if (!r.script && script) {
      script.remove();
    } else if (r.script) {
      if (!script) {
        script = document.createElement("script");
        script.type = "application/json";
        script.id = "kc-gate";
        document.getElementById("main").after(script);
      }
      script.textContent = r.script;
    }
    var i = document.title.indexOf(" · ");
    if (r.title && i >= 0) { document.title = r.title + document.title.slice(i); }
    document.dispatchEvent(new CustomEvent("kaiconn:view"));
  }
  window.kaiconnShowView = showView;
  if (!("WebAssembly" in window) || params.get("wasm") === "false" ||
      (!stale && (html.getAttribute("data-surface") === "gate" ||
        conn.saveData === true || conn.effectiveType === "slow-2g" || conn.effectiveType === "2g"))) {
    html.setAttribute("data-wasm", "off");
    return;
  }
  // The page names the built files, at content-hashed URLs cached for good
  // (docs/assets.md).
  var me = document.currentScript || {};
  var data = me.dataset || {};
  var wasmURL = data.wasm || "/app.wasm";
  var execURL = data.wasmExec || "/wasm_exec.js";
  var started = false;

  if (stale && html.getAttribute("data-surface") === "gate") {
    var stateEl = document.getElementById("kc-state");
    if (!window.Worker || !stateEl) {
      html.setAttribute("data-wasm", "off");
      return;
    }
    html.setAttribute("data-wasm", "loading");
    var abs = function (u) { return new URL(u, location.href).href; };
    var worker = new Worker(data.engine || "/static/engine.js");
    worker.onmessage = function (e) {
      worker.terminate();
      var r = e.data || {}, main = document.getElementById("main");
      if (!r.main || !main || main.getAttribute("data-mode") === "done" || html.hasAttribute("data-policy-shown")) {
        // Nothing to show, or the person has decided on the page as it
        // was: that decision stands. A bundle's gate may already show a
        // newer policy version (bundle/newer.js), which stands too.
        html.setAttribute("data-wasm", r.error ? "failed" : "ready");
        return;
      }
      showView(r);
      html.setAttribute("data-wasm", "ready");
    };
    worker.onerror = function () { html.setAttribute("data-wasm", "failed"); };
    worker.postMessage({
      exec: abs(execURL), wasm: abs(wasmURL),
      input: { surface: "gate", page: stateEl.textContent, state: params.get("state"), open: params.get("open") === "1" }
    });
    return;
  }

  function start() {
    if (started) {
      return;
    }
    started = true;
    document.removeEventListener("pointerdown", onIntent, true);
    document.removeEventListener("focusin", onIntent, true);
    html.setAttribute("data-wasm", "loading");
    var script = document.createElement("script");
    script.src = execURL;
    script.onload = function () {
      var go = new Go();
      var resp = fetch(wasmURL);
      var run = WebAssembly.instantiateStreaming
        ? WebAssembly.instantiateStreaming(resp, go.importObject)
        : resp.then(function (r) { return r.arrayBuffer(); })
            .then(function (b) { return WebAssembly.instantiate(b, go.importObject); });
      run.then(function (r) { go.run(r.instance); }).catch(function (err) {
        html.setAttribute("data-wasm", "failed");
        console.warn("kaiconn: enhancements unavailable; the page keeps working without them", err);
      });
    };
    script.onerror = function () { html.setAttribute("data-wasm", "failed"); };
    document.head.appendChild(script);
  }

  function onIntent(e) {
    var t = e.target;
    if (t && t.closest && t.closest("[data-kc-enhance]")) {
      start();
    }
  }

  html.setAttribute("data-wasm", "idle");
  if (stale) {
    start();
    return;
  }
  document.addEventListener("pointerdown", onIntent, true);
  document.addEventListener("focusin", onIntent, true);
  // A control focused before this script ran (autofocus, a fast reader).
  if (document.activeElement && document.activeElement !== document.body) {
    onIntent({ target: document.activeElement });
  }
  if (conn.effectiveType === "3g") {
    return; // on intent only
  }
  function whenIdle() {
    if ("requestIdleCallback" in window) {
      window.requestIdleCallback(start, { timeout: 4000 });
    } else {
      setTimeout(start, 1500);
    }
  }
  if (document.readyState === "complete") {
    whenIdle();
  } else {
    window.addEventListener("load", whenIdle, { once: true });
  }
})();
