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
// local file). It runs in a worker (engine.js), so that its start never
// holds up a tap. The gate loads it for that alone: gate.js takes the
// decisions, and the worker's markup replaces the view only while none is
// taken. The settings keep the worker: a switch is a native tick box that
// answers at once, settings.js marks what is unsaved, and on the app
// bundle (meta kaiconn-origin) the worker decides Save and "Withdraw all"
// (bundle.js asks it through window.kaiconnSettingsEngine), so go-app does
// not start there at all; on the bundle it starts without a state too.
(function () {
  "use strict";
  var html = document.documentElement;
  var conn = navigator.connection || {};
  var params = new URLSearchParams(location.search);
  var main = document.getElementById("main");
  var surface = html.getAttribute("data-surface");
  var renderedNone = !!(main && main.getAttribute("data-rendered-for") === "none");
  var stale = renderedNone && !!params.get("state");
  var settingsEngine = surface === "settings" && renderedNone &&
    (stale || !!document.querySelector('meta[name="kaiconn-origin"]'));

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
      (!stale && !settingsEngine && (surface === "gate" ||
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
  var abs = function (u) { return new URL(u, location.href).href; };

  if (settingsEngine) {
    startSettings();
    return;
  }

  // engineWorker starts the wasm in a worker (engine.js) for a page whose
  // data (#kc-state) it renders from; null, and the page left as it is,
  // where a worker or the data is missing.
  function engineWorker() {
    var stateEl = document.getElementById("kc-state");
    if (!window.Worker || !stateEl) {
      html.setAttribute("data-wasm", "off");
      return null;
    }
    html.setAttribute("data-wasm", "loading");
    return { worker: new Worker(data.engine || "/static/engine.js"), page: stateEl.textContent };
  }

  if (stale && surface === "gate") {
    var run = engineWorker();
    if (!run) {
      return;
    }
    var worker = run.worker;
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
      input: { surface: "gate", page: run.page, state: params.get("state"), open: params.get("open") === "1" }
    });
    return;
  }

  // showSettings puts a settings view the worker rendered (takeover's
  // SettingsReply: its <main>) in place of the page's. After the first
  // render (keep), a switch the person flipped on the page as it was stays
  // flipped: each box shows the view's answer, turned over where the person
  // turned it over. After a change, the switches show what was saved and
  // the notice saying so takes the focus.
  function showSettings(r, keep) {
    var old = document.getElementById("main");
    if (!old || !r.main) {
      return;
    }
    var flipped = [];
    if (keep) {
      var boxes = old.querySelectorAll('#kc-settings-form input[name="purpose"]');
      for (var i = 0; i < boxes.length; i++) {
        var shown = document.getElementById(boxes[i].id + "-since");
        if (shown && boxes[i].checked !== (shown.getAttribute("data-state") === "on")) {
          flipped.push(boxes[i].id);
        }
      }
    }
    var active = document.activeElement;
    var focused = active && active !== old && old.contains(active) ? active.id : "";
    var t = document.createElement("template");
    t.innerHTML = r.main;
    var next = t.content.firstElementChild;
    if (!next) {
      return;
    }
    // The page's <main> stays and takes the new one's attributes.
    for (var a = old.attributes.length - 1; a >= 0; a--) {
      if (!next.hasAttribute(old.attributes[a].name)) {
        old.removeAttribute(old.attributes[a].name);
      }
    }
    for (a = 0; a < next.attributes.length; a++) {
      old.setAttribute(next.attributes[a].name, next.attributes[a].value);
    }
    // The parts no choice changes (the links, the rights centre, the
    // contact, the third parties) come as placeholders
    // (<template data-kc-keep=id>, views/settingsview): the page's own
    // elements stay where they are, untouched, so that what the person
    // opened there stays open and the browser lays out again only what
    // the view changed, which on a slow phone is the cost of the swap.
    // Every other child gives way to the view's, in the view's order.
    var kept = {};
    for (var c = next.firstElementChild; c; c = c.nextElementSibling) {
      if (c.tagName === "TEMPLATE" && c.hasAttribute("data-kc-keep")) {
        kept[c.getAttribute("data-kc-keep")] = true;
      }
    }
    for (var n = old.firstChild, after; n; n = after) {
      after = n.nextSibling;
      if (!(n.nodeType === 1 && kept[n.id])) {
        old.removeChild(n);
      }
    }
    var anchor = null;
    while (next.firstChild) {
      var part = next.firstChild;
      next.removeChild(part);
      if (part.nodeType === 1 && part.tagName === "TEMPLATE" && part.hasAttribute("data-kc-keep")) {
        var own = document.getElementById(part.getAttribute("data-kc-keep"));
        if (own && own.parentNode === old) {
          anchor = own;
        }
        continue;
      }
      old.insertBefore(part, anchor ? anchor.nextSibling : old.firstChild);
      anchor = part;
    }
    flipped.forEach(function (id) {
      var box = document.getElementById(id);
      if (box) {
        box.checked = !box.checked;
      }
    });
    var target = document.getElementById(keep ? focused : "kc-saved");
    if (target) {
      target.focus();
    }
  }

  // startSettings starts the settings' worker. Its first answer is the
  // view of the host's state (none when the page is right as it is); each
  // later one answers a change bundle.js asks about (ask), in the order
  // asked. html[data-wasm] is "ready" once the first answer is in place.
  function startSettings() {
    var run = engineWorker();
    if (!run) {
      return;
    }
    var worker = run.worker;
    var first = true;
    var waiting = [];
    var engine = {
      // history is what the page shows, as the worker last said (a
      // takeover.SettingsRequest's history), and catalogues the newer
      // policy version's texts it shows, if any: the worker keeps nothing.
      history: [],
      catalogues: "",
      ask: function (request, answer) {
        request.history = engine.history;
        if (engine.catalogues) {
          request.catalogues = engine.catalogues;
        }
        waiting.push(answer);
        worker.postMessage({ request: request });
      },
      // newer shows the view of a newer policy version's texts, which the
      // bundle's newer.js checked, and answers every later request with
      // them; before is called right before the view is put in place.
      newer: function (catalogues, before) {
        waiting.push(function (r) {
          if (r.error || !r.main) {
            return;
          }
          engine.catalogues = catalogues;
          engine.history = r.history;
          before();
          showSettings(r, true);
        });
        worker.postMessage({ request: { action: "show", on: [], history: engine.history, catalogues: catalogues } });
      },
      show: function (r) {
        if (r.history) {
          engine.history = r.history;
        }
        showSettings(r, false);
      }
    };
    worker.onmessage = function (e) {
      var r = e.data || {};
      if (!first) {
        var answer = waiting.shift();
        if (answer) {
          answer(r);
        }
        return;
      }
      first = false;
      if (!r.history) {
        // The wasm did not start, or could not read the page.
        worker.terminate();
        html.setAttribute("data-wasm", "failed");
        return;
      }
      engine.history = r.history;
      showSettings(r, true);
      window.kaiconnSettingsEngine = engine;
      html.setAttribute("data-wasm", "ready");
    };
    worker.onerror = function () {
      html.setAttribute("data-wasm", "failed");
      // What was asked will not be answered: say so, so that the page
      // stops waiting (and records nothing).
      while (waiting.length) {
        waiting.shift()({ error: "the engine stopped", history: engine.history });
      }
    };
    worker.postMessage({
      exec: abs(execURL), wasm: abs(wasmURL),
      input: { surface: "settings", page: run.page, state: params.get("state") || "" }
    });
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
