// newer.js runs on the gate and the settings of the app bundle
// (docs/bundle.md, "A newer policy"), after bundle.js: it shows a policy
// version newer than the one the bundle was built with, with that
// version's texts, online and, once they are kept, offline.
//
// - Learn: GET ORIGIN/api/v1/policy/latest names the newest version, where
//   its texts are (the catalogues the wasm renders the gate from, at a URL
//   of that version, cached for good) and the SHA-256 of those bytes.
// - Check: the texts are shown, and kept, only when their SHA-256 is the
//   one named; any other text is refused and the bundle's own version
//   stands (html[data-policy=refused]).
// - Keep: the checked texts, with their hash and the notice references a
//   receipt of that gate names, wait in localStorage (kc_bundle_policy), so
//   that the next start shows them with no network, checked again.
// - Show: the wasm renders the gate of that version, in the worker boot.js
//   uses (engine.js), with the same Go code as the server's page
//   (takeover.Newer): the re-ask for the host's ?state=, or the first
//   launch's ask. The view is put in place only while the person has not
//   decided on the page as it was; the decision is then taken, and its
//   receipt ordered, under the version shown (bundle.js reads it from the
//   page data at the tap). html[data-policy-shown] names that version, and
//   html[data-policy-notice] the notice the receipt must name. On the
//   settings, the worker boot.js keeps there renders that version's
//   settings (kaiconnSettingsEngine.newer) and decides each later change
//   under it; the notice is then the settings' (settingsNotices).
(function () {
  "use strict";
  var html = document.documentElement;
  var originMeta = document.querySelector('meta[name="kaiconn-origin"]');
  var versionMeta = document.querySelector('meta[name="kaiconn-policy-version"]');
  var stateEl = document.getElementById("kc-state");
  var boot = document.querySelector("script[data-engine]");
  if (!originMeta || !versionMeta || !stateEl || !boot || !window.Worker || !window.fetch ||
      !window.TextEncoder || !(window.crypto && crypto.subtle) || !window.localStorage) {
    return;
  }
  var ORIGIN = originMeta.getAttribute("content");
  var SHIPPED = versionMeta.getAttribute("content");
  var KEEP = "kc_bundle_policy";
  var params = new URLSearchParams(location.search);
  var settings = html.getAttribute("data-surface") === "settings";

  // newer compares policy versions (YYYY-MM) as the server does: as text.
  function newer(v) { return typeof v === "string" && /^\d{4}-\d{2}$/.test(v) && v > SHIPPED; }

  function hex(buf) {
    return Array.prototype.map.call(new Uint8Array(buf), function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
  }

  // checked resolves with p when the SHA-256 of its texts is p.sha256, and
  // fails otherwise: a text that does not match is never shown nor kept.
  function checked(p) {
    if (!p || !newer(p.version) || typeof p.catalogues !== "string" || !/^[0-9a-f]{64}$/.test(p.sha256 || "")) {
      return Promise.reject(new Error("kaiconn: no policy texts"));
    }
    return crypto.subtle.digest("SHA-256", new TextEncoder().encode(p.catalogues)).then(function (d) {
      if (hex(d) !== p.sha256) {
        throw new Error("kaiconn: the policy texts of " + p.version + " do not match their hash");
      }
      return p;
    });
  }

  function kept() {
    try { return JSON.parse(localStorage.getItem(KEEP) || "null"); } catch (e) { return null; }
  }

  function refused(err) {
    html.setAttribute("data-policy", "refused");
    console.warn("kaiconn: the bundle's own policy version stands", err);
  }

  // onSettings hands p's texts to the settings' worker once it is ready
  // (boot.js), which shows that version's settings. Texts kept without
  // the settings' notices (before they were kept) wait to be fetched again.
  function onSettings(p) {
    var notice = "";
    try { notice = (p.settingsNotices || {})[JSON.parse(stateEl.textContent).lang] || ""; } catch (e) { return; }
    if (!notice) {
      return;
    }
    var go = function () {
      if ((html.getAttribute("data-policy-shown") || "") >= p.version) {
        return;
      }
      window.kaiconnSettingsEngine.newer(p.catalogues, function () {
        html.setAttribute("data-policy-shown", p.version);
        html.setAttribute("data-policy-notice", notice);
      });
    };
    if (window.kaiconnSettingsEngine && html.getAttribute("data-wasm") === "ready") {
      go();
    } else if (window.MutationObserver) {
      new MutationObserver(function (_, o) {
        if (window.kaiconnSettingsEngine && html.getAttribute("data-wasm") === "ready") {
          o.disconnect();
          go();
        }
      }).observe(html, { attributes: true, attributeFilter: ["data-wasm"] });
    }
  }

  // show has the wasm render the gate of p's version and puts it in place
  // of the page's, while the person has not decided on it.
  function show(p) {
    if (settings) {
      onSettings(p);
      return;
    }
    var page;
    try {
      page = JSON.parse(stateEl.textContent);
      page.receiptId = JSON.parse(document.getElementById("kc-gate").textContent).receiptId;
    } catch (e) {
      return;
    }
    var abs = function (u) { return new URL(u, location.href).href; };
    var worker = new Worker(boot.getAttribute("data-engine"));
    worker.onmessage = function (e) {
      worker.terminate();
      var r = e.data || {}, main = document.getElementById("main");
      if (!r.main || !main || main.getAttribute("data-mode") === "done" || (html.getAttribute("data-policy-shown") || "") >= p.version) {
        return;
      }
      // Marked first, so that what listens for kaiconn:view (bundle.js)
      // sees which version is shown.
      html.setAttribute("data-policy-shown", p.version);
      html.setAttribute("data-policy-notice", (p.notices || {})[page.lang] || "");
      window.kaiconnShowView(r); // boot.js's, as the host's state is shown
    };
    worker.postMessage({
      exec: abs(boot.getAttribute("data-wasm-exec")), wasm: abs(boot.getAttribute("data-wasm")),
      input: {
        surface: "gate", page: JSON.stringify(page), state: params.get("state") || "",
        open: params.get("open") === "1", catalogues: p.catalogues
      }
    });
  }

  // The kept texts first: with no network, they are all there is.
  var have = kept();
  if (have && newer(have.version)) {
    checked(have).then(show, function (err) { localStorage.removeItem(KEEP); refused(err); });
  } else if (have) {
    localStorage.removeItem(KEEP); // a release now carries that version, or a later one
    have = null;
  }

  fetch(ORIGIN + "/api/v1/policy/latest", { credentials: "omit" }).then(function (res) {
    return res.ok ? res.json() : null;
  }).then(function (latest) {
    if (!latest || !newer(latest.version) || typeof latest.catalogues !== "string" || latest.catalogues.charAt(0) !== "/") {
      return;
    }
    html.setAttribute("data-policy", "newer");
    if (have && have.version === latest.version && have.sha256 === latest.sha256 && have.settingsNotices) {
      return; // kept and shown already
    }
    return fetch(ORIGIN + latest.catalogues, { credentials: "omit" }).then(function (res) {
      if (!res.ok) { throw new Error("kaiconn: policy texts: " + res.status); }
      return res.text();
    }).then(function (text) {
      return checked({ version: latest.version, sha256: latest.sha256, notices: latest.notices,
        settingsNotices: latest.settingsNotices, catalogues: text });
    }).then(function (p) {
      try { localStorage.setItem(KEEP, JSON.stringify(p)); } catch (e) { /* full: shown, not kept */ }
      show(p);
    }, refused);
  }).catch(function () { /* offline: the kept or the bundle's own version stands */ });
})();
