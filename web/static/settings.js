//kc:include parts/host.js
//
// settings.js does a few small things for /settings/privacy, with or
// without the wasm (docs/privacy-centre.md, "The rights centre"):
//
// - A switch that differs from the stored answer (its row's
//   [data-state]) marks the page unsaved (main[data-unsaved]): the sticky
//   bar then says so beside Save, and leaving the page asks first. Saving
//   (the form's post, or the wasm's, which rewrites [data-state]) clears it.
// - A link to a part behind a disclosure (#kc-rights-title, …) opens it.
// - A rights entry's button ([data-navigate]) asks the host app to open its
//   own screen: {type: "navigate", target, at}, delivered like the consent
//   message (hostPost, parts/host.js). One press sends one message.
//
// Times are the server's (or the wasm's) to show: one rule, in Go, picks
// the zone and the format (texts.FormatTime); this script leaves them be.
//
// Clicks are taken on the document, so they keep working after the wasm
// renders the page again.
(function () {
  "use strict";

  // navigate asks the host to open target; it returns whether a host took it.
  function navigate(target) {
    return hostPost({ type: "navigate", target: String(target), at: new Date().toISOString() });
  }

  window.KaiconnConsent = window.KaiconnConsent || {};
  window.KaiconnConsent.navigate = navigate;

  // Unsaved changes ------------------------------------------------------

  // unsaved reports whether a switch shows other than what is stored.
  function unsaved() {
    var boxes = document.querySelectorAll('#kc-settings-form input[name="purpose"]');
    for (var i = 0; i < boxes.length; i++) {
      var stored = document.getElementById(boxes[i].id + "-since");
      if (stored && boxes[i].checked !== (stored.getAttribute("data-state") === "on")) {
        return true;
      }
    }
    return false;
  }
  function mark() {
    var main = document.getElementById("main");
    if (!main) {
      return;
    }
    if (unsaved()) {
      main.setAttribute("data-unsaved", "");
    } else if (main.hasAttribute("data-unsaved")) {
      main.removeAttribute("data-unsaved");
    }
  }
  var submitting = false;
  document.addEventListener("change", mark);
  // A form the page takes over itself (the app bundle's, bundle.js) does
  // not leave the page: only a post that goes through does.
  document.addEventListener("submit", function (e) { submitting = !e.defaultPrevented; });
  window.addEventListener("pageshow", function () { submitting = false; mark(); });
  window.addEventListener("beforeunload", function (e) {
    if (!submitting && unsaved()) {
      e.preventDefault();
      e.returnValue = "";
    }
  });
  if (window.MutationObserver) {
    new MutationObserver(mark).observe(document.documentElement, { subtree: true, attributes: true, attributeFilter: ["data-state"], childList: true });
  }

  // Disclosures ----------------------------------------------------------

  // reveal opens every disclosure around the element with id.
  function reveal(id) {
    var el = id && document.getElementById(id);
    for (var d = el && el.closest("details"); d; d = d.parentElement && d.parentElement.closest("details")) {
      d.open = true;
    }
  }
  window.addEventListener("hashchange", function () { reveal(decodeURIComponent(location.hash.slice(1))); });
  reveal(decodeURIComponent(location.hash.slice(1)));

  document.addEventListener("click", function (e) {
    var link = e.target && e.target.closest ? e.target.closest('a[href^="#"]') : null;
    if (link) {
      reveal(decodeURIComponent(link.getAttribute("href").slice(1)));
    }
  });

  document.addEventListener("click", function (e) {
    var button = e.target && e.target.closest ? e.target.closest("[data-navigate]") : null;
    if (!button) {
      return;
    }
    e.preventDefault();
    var posted = navigate(button.getAttribute("data-navigate"));
    var entry = button.closest("[data-right]");
    var status = entry && entry.querySelector(".kc-right__status");
    var rights = document.getElementById("kc-rights");
    if (status && rights) {
      status.textContent = rights.getAttribute(posted ? "data-sent" : "data-no-host");
    }
  });
})();
