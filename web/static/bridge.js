// bridge.js hands a consent decision to the host app (see the README): the
// Android WebView's KaiconnConsentBridge gets a JSON string, the iOS
// WKWebView's kaiconnConsent handler an object. It runs without the wasm,
// because a decision posted as a plain form lands on a page that must still
// tell the host. Each receipt id is delivered once: a reload neither finds
// ?r= in the address (removed below) nor passes the sessionStorage mark.
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

  window.KaiconnConsent = window.KaiconnConsent || {};
  window.KaiconnConsent.deliver = deliver;

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
