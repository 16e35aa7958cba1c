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
// - Times (<time class="kc-time" datetime>) arrive in a zone the server chose
//   by language (Beijing time for Chinese, UTC for English); here they are
//   shown in the browser's own zone, named, in the same shape.
//
// Clicks are taken on the document and times are watched with a
// MutationObserver, so both keep working after the wasm renders the page
// again. The script changes a time's text node in place, never replaces it,
// so the wasm's later updates of that node still land.
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
  document.addEventListener("submit", function () { submitting = true; }, true);
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

  // Times ------------------------------------------------------------------

  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { zone = ""; }
  if (!zone) {
    return; // the server's zone stays: it is named, so it is never wrong
  }
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var BEIJING = { "Asia/Shanghai": 1, "Asia/Chongqing": 1, "Asia/Chungking": 1, "Asia/Harbin": 1, "PRC": 1 };
  var numeric, names = {};
  try {
    numeric = new Intl.DateTimeFormat("en-US", {
      timeZone: zone, year: "numeric", month: "numeric", day: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    });
  } catch (e) {
    return;
  }

  function zoneName(date, lang) {
    if (lang === "zh-Hans" && BEIJING[zone]) {
      return "北京时间";
    }
    if (zone === "UTC" || zone === "Etc/UTC") {
      return "UTC";
    }
    var key = lang === "zh-Hans" ? "zh-Hans" : "en";
    try {
      names[key] = names[key] || new Intl.DateTimeFormat(lang === "zh-Hans" ? "zh-CN" : "en-GB", { timeZone: zone, timeZoneName: "short" });
      var parts = names[key].formatToParts(date);
      for (var i = 0; i < parts.length; i++) {
        if (parts[i].type === "timeZoneName") {
          return parts[i].value;
        }
      }
    } catch (e) { /* fall through */ }
    return zone;
  }

  // format mirrors components.LocalTime, in the browser's zone.
  function format(date, lang) {
    var p = {};
    numeric.formatToParts(date).forEach(function (x) { p[x.type] = x.value; });
    var hm = p.hour + ":" + p.minute;
    if (lang === "zh-Hans") {
      return p.year + "年" + Number(p.month) + "月" + Number(p.day) + "日 " + hm + "（" + zoneName(date, lang) + "）";
    }
    return Number(p.day) + " " + MONTHS[Number(p.month) - 1] + " " + p.year + ", " + hm + " " + zoneName(date, lang);
  }

  function localise(root) {
    var list = root.querySelectorAll ? root.querySelectorAll("time.kc-time[datetime]") : [];
    for (var i = 0; i < list.length; i++) {
      var el = list[i];
      var date = new Date(el.getAttribute("datetime"));
      if (isNaN(date.getTime())) {
        continue;
      }
      var closest = el.closest("[lang]");
      var text = format(date, closest ? closest.getAttribute("lang") : "en");
      var node = el.firstChild;
      if (node && node.nodeType === 3 && !node.nextSibling) {
        if (node.nodeValue !== text) {
          node.nodeValue = text;
        }
      } else if (el.textContent !== text) {
        el.textContent = text;
      }
      el.setAttribute("data-zone", zone);
    }
  }

  localise(document);
  if (window.MutationObserver) {
    new MutationObserver(function () { localise(document); })
      .observe(document.documentElement, { childList: true, subtree: true, characterData: true });
  }
})();
