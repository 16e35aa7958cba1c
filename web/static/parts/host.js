// host.js (part): the one way a page of ours hands a message to the host
// app over the native bridge (docs/bridge.md): the Android WebView's
// KaiconnConsentBridge gets a JSON string, the iOS WKWebView's
// kaiconnConsent handler an object. Every message goes through here: the
// consent message (bridge.js), navigate (settings.js) and permission
// (permission.js).

// hostPost posts msg to every host bridge present, says on <html
// data-bridge> whether one took it ("delivered" or "no-host"), and returns
// whether one did.
function hostPost(msg) {
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
