//kc:include parts/host.js parts/retry.js parts/list.js
//
// bridge.js hands a consent decision to the host app (docs/bridge.md)
// through hostPost (parts/host.js). It runs without the wasm.
//
// Each receipt id is delivered once: a reload neither finds ?r= in the
// address (removed below) nor passes the sessionStorage mark.
//
// It also keeps the queue of decisions the page took at once and records in
// the background (gate.js): KaiconnConsent.record(path, body, id) puts a
// form post in localStorage and sends it until the server acknowledges it,
// by the retry policy every queue shares (parts/retry.js). Every page of
// ours that loads bridge.js flushes what an earlier page left behind, so a
// decision taken offline, or on a page closed before its post went
// through, still reaches the server. The server records a post under its
// ticket's id and answers a resend as the first post, so the receipt is
// stored exactly once however often the post is sent.
(function () {
  "use strict";
  var MARK = "kc_bridge_sent:";

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
    return hostPost(msg);
  }

  // The queue: [{id, path, body}], oldest first.
  var queue = storedList("kc_gate_queue");
  function drop(id) {
    queue.update(function (q) {
      for (var i = q.length - 1; i >= 0; i--) {
        if (q[i].id === id) { q.splice(i, 1); }
      }
    });
  }

  var sending = false;
  var timer = 0;
  var failures = 0;
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
  // next one, on none it tries again after retryDelay, and at once when the
  // browser says it is online.
  function flush() {
    if (sending) { return; }
    var q = queue.read();
    if (!q.length) { state("recorded"); return; }
    var it = q[0];
    sending = true;
    state("pending");
    var answered = function (status, retryAfter) {
      sending = false;
      var verdict = retryVerdict(status, retryAfter);
      if (verdict === "refused") {
        console.warn("kaiconn: the server refused a queued decision", status);
      }
      if (verdict !== "retry") {
        drop(it.id);
        failures = 0;
        flush();
        return;
      }
      clearTimeout(timer);
      timer = setTimeout(flush, retryDelay(++failures, retryAfter));
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
      answered(0);
      return;
    }
    req.then(function (res) {
      answered(res.status, res.headers.get("Retry-After"));
    }, function () { answered(0); });
  }

  // record queues a form post for path, identified by id (the ticket's
  // receipt id, so the same decision is queued once), and sends it.
  function record(path, body, id) {
    queue.update(function (q) {
      if (!q.some(function (it) { return it.id === id; })) {
        q.push({ id: id, path: path, body: body });
      }
    });
    failures = 0;
    flush();
  }

  window.KaiconnConsent = window.KaiconnConsent || {};
  window.KaiconnConsent.deliver = deliver;
  window.KaiconnConsent.record = record;
  window.KaiconnConsent.pending = function () { return queue.read().length; };
  window.addEventListener("online", function () { failures = 0; flush(); });
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
