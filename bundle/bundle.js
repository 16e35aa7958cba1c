// bundle.js runs on the gate of the app bundle (docs/bundle.md), between
// the server's bridge.js and gate.js, and on its privacy settings after
// outbox.js, for what a page served from the app's own assets needs and a
// page of the consent server does not:
//
// - A receipt id. A bundle page has no ticket (the server that would mint
//   it may be out of reach at first launch), so the id the bridge message
//   names is made here, on the device, before gate.js reads the page data.
// - The receipt. The decision gate.js hands to KaiconnConsent.record is
//   kept in localStorage (kc_bundle_queue) until the consent server
//   answers POST /api/v1/orders with the unsigned receipt; the device
//   outbox (outbox.js) then signs it with the device key, keeps it and
//   sends it to the server's receipt API itself. Tried at once, on the
//   "online" event, on the next start of any bundle page, and after a
//   failure again with a doubling wait.
// A newer policy is newer.js's, which runs after this script; a decision
// is queued under the version the page showed at the tap.
(function () {
  "use strict";
  var html = document.documentElement;
  var originMeta = document.querySelector('meta[name="kaiconn-origin"]');
  var versionMeta = document.querySelector('meta[name="kaiconn-policy-version"]');
  var kc = window.KaiconnConsent;
  if (!originMeta || !versionMeta || !kc || !window.fetch || !window.URLSearchParams || !window.crypto) {
    return;
  }
  var ORIGIN = originMeta.getAttribute("content");
  var SHIPPED = versionMeta.getAttribute("content");
  var QUEUE = "kc_bundle_queue";
  var SUBJECT = "kc_bundle_subject";

  // uuid is a random (version 4) UUID, lowercase.
  function uuid() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // subject is this device's subject: made with its first decision and
  // kept beside the outbox, so that its receipts form one chain.
  function subject() {
    var s = localStorage.getItem(SUBJECT);
    if (!s) {
      s = uuid();
      localStorage.setItem(SUBJECT, s);
    }
    return s;
  }

  function load() {
    try {
      var q = JSON.parse(localStorage.getItem(QUEUE) || "[]");
      return Array.isArray(q) ? q : [];
    } catch (e) {
      return [];
    }
  }
  function save(q) {
    if (q.length) { localStorage.setItem(QUEUE, JSON.stringify(q)); } else { localStorage.removeItem(QUEUE); }
  }

  var dataEl = document.getElementById("kc-gate");
  var data = null;
  if (dataEl) {
    try { data = JSON.parse(dataEl.textContent); } catch (e) { data = null; }
    if (data && !data.ticket && !data.receiptId) {
      data.receiptId = uuid();
      dataEl.textContent = JSON.stringify(data);
    }
  }

  // A view the wasm puts in place of the page's (boot.js for the host's
  // state, newer.js for a newer policy) is rendered from page data that has
  // no receipt id: it takes the one made here, before gate.js (whose
  // listener comes after this one) reads it.
  document.addEventListener("kaiconn:view", function () {
    var el = document.getElementById("kc-gate");
    if (!el || !data || !data.receiptId) {
      return;
    }
    try {
      var d = JSON.parse(el.textContent);
      if (!d.ticket && !d.receiptId) {
        d.receiptId = data.receiptId;
        el.textContent = JSON.stringify(d);
      }
    } catch (e) { /* gate.js refuses it too */ }
  });

  // html[data-bundle-receipt] says where this device's queue stands:
  // "queued" while a decision waits for its order, "signed" once the
  // outbox holds every receipt (it sends them), "refused" when the server
  // refused one for good.
  var sending = false;
  var timer = 0;
  var wait = 1000;
  function flush() {
    var q = load();
    if (sending || !q.length) {
      return;
    }
    var outbox = window.kaiconnOutbox;
    if (!outbox || !outbox.supported()) {
      // Without IndexedDB and WebCrypto no device key can sign: the
      // decision stays queued and the host keeps the message.
      return;
    }
    sending = true;
    html.setAttribute("data-bundle-receipt", "queued");
    var it = q[0];
    var body = new URLSearchParams(it.body);
    body.set("receipt", it.id);
    body.set("subject", subject());
    body.set("policyVersion", it.policyVersion);
    var done = function (ok) {
      sending = false;
      if (ok) {
        save(load().filter(function (x) { return x.id !== it.id; }));
        wait = 1000;
        if (!load().length && html.getAttribute("data-bundle-receipt") !== "refused") {
          html.setAttribute("data-bundle-receipt", "signed");
        }
        flush();
        return;
      }
      clearTimeout(timer);
      timer = setTimeout(flush, wait);
      wait = Math.min(wait * 2, 60000);
    };
    fetch(ORIGIN + "/api/v1/orders", {
      method: "POST",
      body: body,
      headers: { "Accept": "application/json" },
      credentials: "omit",
      cache: "no-store"
    }).then(function (res) {
      if (res.ok) {
        return res.json().then(function (order) {
          // A newer version's texts were shown checked against the hash
          // the server named beside this notice: the device signs only a
          // receipt that names it.
          if (it.notice && !(order && order.receipt && order.receipt.notice === it.notice)) {
            console.warn("kaiconn: the order names another notice than the one shown");
            html.setAttribute("data-bundle-receipt", "refused");
            return;
          }
          return outbox.record(order);
        }).then(function () { done(true); });
      }
      // Another 4xx will never succeed: the server says why, once.
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
        return res.text().then(function (t) {
          console.warn("kaiconn: the consent server refused a queued decision", res.status, t);
          html.setAttribute("data-bundle-receipt", "refused");
          done(true);
        });
      }
      done(false);
    }).catch(function () { done(false); });
  }

  // record takes the place of bridge.js's for this page: the post it
  // would send to /consent needs the ticket a bundle page does not have.
  // gate.js calls it with the gate's form; the settings' change (below)
  // with the order's form the worker made (surface=settings) and the
  // version it was decided under. kc.bundled says this queue is here.
  kc.record = function (path, body, id, version) {
    var q = load();
    if (!q.some(function (it) { return it.id === id; })) {
      // The version decided under: the settings' worker names it; on the
      // gate, the page data as shown at the tap (newer.js may have put a
      // newer version's view in place of the one this script started with).
      var shown = data;
      try { shown = JSON.parse(document.getElementById("kc-gate").textContent); } catch (e) { /* as loaded */ }
      var decided = version || (shown && shown.policyVersion) || SHIPPED;
      q.push({ id: id, body: body, policyVersion: decided,
        notice: decided === html.getAttribute("data-policy-shown") ? html.getAttribute("data-policy-notice") || "" : "" });
      save(q);
    }
    wait = 1000;
    flush();
  };
  kc.bundled = true;
  window.addEventListener("online", function () { wait = 1000; flush(); });
  // outbox.js, deferred like this script, has run by the load event.
  window.addEventListener("load", flush);

  // Save and "Withdraw all" on the bundle's settings are decided by the
  // wasm in boot.js's worker (window.kaiconnSettingsEngine; the rule is
  // consentview's ChangeSettings, never this script's): it answers with
  // the bridge message, which goes to the host at once, the order, which
  // joins the queue above, and the view that follows, which takes the
  // page's place. The page's form is never posted: the consent server
  // refuses a decision from another origin, and the page would be left.
  // A tap before the worker is ready is held (html[data-bundle-held]
  // names the button, which shows it is busy) and tapped again once it is
  // (html[data-wasm="ready"]): the switches keep what the person flipped.
  var held = "";
  var asking = false;
  function busy(button, on) {
    if (!button) {
      return;
    }
    if (on) {
      button.setAttribute("aria-busy", "true");
    } else {
      button.removeAttribute("aria-busy");
    }
  }
  function change(form, button) {
    var engine = window.kaiconnSettingsEngine;
    if (asking) {
      return;
    }
    asking = true;
    busy(button, true);
    var on = Array.prototype.filter.call(form.querySelectorAll('input[name="purpose"]'), function (b) { return b.checked; })
      .map(function (b) { return b.value; });
    engine.ask({ action: button && button.value === "withdraw-all" ? "withdraw-all" : "save", on: on }, function (r) {
      asking = false;
      busy(button, false);
      if (r.error) {
        console.warn("kaiconn: the change could not be decided; the page keeps what it shows", r.error);
        return;
      }
      if (r.bridge && kc.deliver) {
        kc.deliver(r.bridge);
      }
      if (r.order) {
        kc.record("/api/v1/orders", r.order.body, r.order.id, r.order.version);
      }
      engine.show(r);
    });
  }
  // The button tapped, for a webview whose submit events name no
  // submitter.
  var tapped = null;
  document.addEventListener("click", function (e) {
    var b = e.target && e.target.closest ? e.target.closest('#kc-settings-form button[type="submit"]') : null;
    if (b) {
      tapped = b;
    }
  }, true);
  document.addEventListener("submit", function (e) {
    if (!e.target || e.target.id !== "kc-settings-form") {
      return;
    }
    e.preventDefault();
    var button = e.submitter || tapped || document.getElementById("kc-save");
    tapped = null;
    if (!window.kaiconnSettingsEngine || html.getAttribute("data-wasm") !== "ready") {
      busy(document.getElementById(held), false);
      held = (button && button.id) || "kc-save";
      busy(button, true);
      html.setAttribute("data-bundle-held", held);
      return;
    }
    change(e.target, button);
  }, true);
  if (window.MutationObserver && document.getElementById("kc-settings-form")) {
    new MutationObserver(function () {
      if (!held || html.getAttribute("data-wasm") !== "ready") {
        return;
      }
      var button = document.getElementById(held);
      held = "";
      html.removeAttribute("data-bundle-held");
      if (button) {
        busy(button, false);
        button.click();
      }
    }).observe(html, { attributes: true, attributeFilter: ["data-wasm"] });
  }
})();
