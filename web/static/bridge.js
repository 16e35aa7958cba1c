// bridge.js hands a consent decision to the host app (docs/bridge.md): the
// Android WebView's KaiconnConsentBridge gets a JSON string, the iOS
// WKWebView's kaiconnConsent handler an object. It runs without the wasm.
//
// Each receipt id is delivered once: a reload neither finds ?r= in the
// address (removed below) nor passes the sessionStorage mark.
//
// It also keeps the queue of decisions the page took at once and records in
// the background (gate.js): KaiconnConsent.record(path, body, id) puts a
// form post in localStorage and sends it until the server acknowledges it.
// Every page of ours that loads bridge.js flushes what an earlier page left
// behind, so a decision taken offline, or on a page closed before its post
// went through, still reaches the server. The server records a post under
// its ticket's id and answers a resend as the first post, so the receipt is
// stored exactly once however often the post is sent.
(function () {
  "use strict";
  var MARK = "kc_bridge_sent:";
  var QUEUE = "kc_gate_queue";

  function seen(id) {
    try { return sessionStorage.getItem(MARK + id) === "1"; } catch (e) { return false; }
  }
  function mark(id) {
    try { sessionStorage.setItem(MARK + id, "1"); } catch (e) { /* storage off: ?r= removal still holds */ }
  }

  // deliver posts msg once per receipt id; it returns whether a host took it.
  function deliver(msg) {
    if (!msg || msg.type !== "consent" || !msg.receiptId || seen(msg.receiptId)) {
      return false;
    }
    mark(msg.receiptId);
    var posted = false;
    var android = window.KaiconnConsentBridge;
    if (android && typeof android.postMessage === "function") {
      android.postMessage(JSON.stringify(msg));
      posted = true;
    }
    var ios = window.webkit && window.webkit.messageHandlers && window.webkit.messageHandlers.kaiconnConsent;
    if (ios && typeof ios.postMessage === "function") {
      ios.postMessage(msg);
      posted = true;
    }
    document.documentElement.setAttribute("data-bridge", posted ? "delivered" : "no-host");
    return posted;
  }

  // The queue: [{id, path, body, tries}], oldest first. Without
  // localStorage it lives in memory for this page only.
  var memory = [];
  function load() {
    try {
      var q = JSON.parse(localStorage.getItem(QUEUE) || "[]");
      return Array.isArray(q) ? q : [];
    } catch (e) {
      return memory.slice();
    }
  }
  function save(q) {
    memory = q.slice();
    try {
      if (q.length) { localStorage.setItem(QUEUE, JSON.stringify(q)); } else { localStorage.removeItem(QUEUE); }
    } catch (e) { /* memory only */ }
  }
  function drop(id) {
    save(load().filter(function (it) { return it.id !== id; }));
  }

  var sending = false;
  var timer = 0;
  var delay = 1000;
  var touched = false;
  // data-receipt on <html> says where this page's queue stands: pending
  // while a post waits, recorded once the queue is empty again.
  function state(s) {
    if (touched || s === "pending") {
      touched = true;
      document.documentElement.setAttribute("data-receipt", s);
    }
  }

  // flush sends the oldest queued post; on an answer it goes on with the
  // next one, on none it tries again later, waiting twice as long each time
  // (1 s up to a minute), and at once when the browser says it is online.
  function flush() {
    if (sending) { return; }
    var q = load();
    if (!q.length) { state("recorded"); return; }
    var it = q[0];
    sending = true;
    state("pending");
    var done = function (ok) {
      sending = false;
      if (ok) {
        drop(it.id);
        delay = 1000;
        flush();
        return;
      }
      clearTimeout(timer);
      timer = setTimeout(flush, delay);
      delay = Math.min(delay * 2, 60000);
    };
    var req;
    try {
      req = fetch(it.path, {
        method: "POST",
        body: it.body,
        headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json" },
        credentials: "same-origin",
        keepalive: true
      });
    } catch (e) {
      done(false);
      return;
    }
    req.then(function (res) {
      // 2xx: recorded. Any other 4xx but 408 and 429 will never succeed
      // (a forged ticket, a form this server refuses): resending it would
      // only repeat the refusal, so it leaves the queue.
      var s = res.status;
      if (s >= 400 && s < 500 && s !== 408 && s !== 429) {
        console.warn("kaiconn: the server refused a queued decision", s);
        done(true);
        return;
      }
      done(s >= 200 && s < 300);
    }, function () { done(false); });
  }

  // record queues a form post for path, identified by id (the ticket's
  // receipt id, so the same decision is queued once), and sends it.
  function record(path, body, id) {
    var q = load();
    if (!q.some(function (it) { return it.id === id; })) {
      q.push({ id: id, path: path, body: body });
      save(q);
    }
    delay = 1000;
    flush();
  }

  window.KaiconnConsent = window.KaiconnConsent || {};
  window.KaiconnConsent.deliver = deliver;
  window.KaiconnConsent.record = record;
  window.KaiconnConsent.pending = function () { return load().length; };
  window.addEventListener("online", function () { delay = 1000; flush(); });
  flush();

  var el = document.getElementById("kc-bridge");
  if (!el) {
    return;
  }
  var msg;
  try { msg = JSON.parse(el.textContent); } catch (e) { return; }
  deliver(msg);
  if (window.history && history.replaceState) {
    var u = new URL(location.href);
    u.searchParams.delete("r");
    history.replaceState(history.state, "", u.pathname + u.search + u.hash);
  }
})();
