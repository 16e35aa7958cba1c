/* Kaiconn consent banner: the one script a site embeds, and the messenger
 * inside the banner frame. Contract: README, "The kaiconn.com cookie banner". No dependencies, no
 * wasm; it must stay under 10 KB gzip (a Go test checks). */
(function () {
  "use strict";
  // The server replaces the marker with the catalogue's web categories.
  var CONFIG = /*KC_CONFIG*/null;
  var NAME = "kc_consent";
  // v1.<policy version>.<granted ids joined by _>.<unix s>.<receipt uuid>.<mac>
  var FORMAT = /^v1\.(\d{4}-(?:0[1-9]|1[0-2]))\.([a-z][a-z0-9-]*(?:_[a-z][a-z0-9-]*)*)\.([1-9][0-9]{0,10})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.[A-Za-z0-9_-]{43}$/;
  var w = window, doc = document, root = doc.documentElement;

  if (root.getAttribute("data-surface") === "banner") {
    frame();
    return;
  }
  if (w.KaiconnConsent) return; // included twice
  if (!CONFIG) {
    console.warn("kaiconn: embed.js must be loaded from /embed.js of the consent host");
    return;
  }
  host(doc.currentScript);

  // frame runs inside the banner page when embed.js framed it: it tells the
  // host page the banner's height and, on the done layer, the decision. It
  // posts only to the origin the server checked (data-kc-parent-origin).
  function frame() {
    var parent = root.getAttribute("data-kc-parent-origin");
    if (w.parent === w || !parent) return;
    function send(m) {
      m.kc = 1;
      w.parent.postMessage(m, parent);
    }
    function size() {
      send({ type: "size", height: Math.ceil(doc.body.getBoundingClientRect().height) });
    }
    function start() {
      var value = root.getAttribute("data-kc-decision");
      if (value) {
        send({ type: "decision", cookie: value, maxAge: +root.getAttribute("data-kc-max-age") || 0 });
        return;
      }
      size();
      if (w.ResizeObserver) new ResizeObserver(size).observe(doc.body);
    }
    if (doc.body) start();
    else doc.addEventListener("DOMContentLoaded", start);
  }

  function host(script) {
    var base = new URL(script.src).origin;
    var data = script.dataset;
    var cats = CONFIG.c;
    var gpc = navigator.globalPrivacyControl === true;
    var lang = norm(data.lang || root.lang || navigator.language);
    var listeners = [];
    var frameEl = null;
    var state = parse(readCookies());

    // Consent Mode v2: everything denied before any tag can run, then the
    // stored decision, if there is one.
    var denied = {};
    CONFIG.s.forEach(function (s) { denied[s] = "denied"; });
    denied.wait_for_update = 500;
    consentMode("default", denied);
    if (state.decided) consentMode("update", signals(state));

    release();
    ready(function () {
      release();
      if (!state.decided) show(false);
    });
    w.addEventListener("message", onMessage);

    w.KaiconnConsent = {
      version: CONFIG.v,
      get: function () { return snapshot(state, []); },
      show: function () { ready(function () { show(true); }); },
      on: function (name, fn) {
        if (name === "change" && typeof fn === "function") listeners.push(fn);
      }
    };

    function norm(l) {
      return /^zh/i.test(l || "") ? "zh-Hans" : "en";
    }

    function ready(fn) {
      if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", fn);
      else fn();
    }

    function readCookies() {
      return doc.cookie.split(/;\s*/).filter(function (c) {
        return c.indexOf(NAME + "=") === 0;
      }).map(function (c) { return c.slice(NAME.length + 1); });
    }

    // parse returns the state the newest well-formed kc_consent value of
    // the current policy version records. Anything else (garbage, another
    // version, an unknown category, the required one missing) is no
    // decision. The mac is the server's to check; see the README.
    function parse(values) {
      var best = null;
      values.forEach(function (v) {
        var st = parseOne(v);
        if (st && (!best || st.at >= best.at)) best = st;
      });
      return best || blank();
    }

    function parseOne(v) {
      var m = FORMAT.exec(v);
      if (!m || m[1] !== CONFIG.v) return null;
      var st = blank(), ids = m[2].split("_"), seen = {};
      for (var i = 0; i < ids.length; i++) {
        if (seen[ids[i]] || !cat(ids[i])) return null;
        seen[ids[i]] = true;
        st.categories[ids[i]] = true;
      }
      for (i = 0; i < cats.length; i++) if (cats[i].r && !seen[cats[i].id]) return null;
      st.decided = true;
      st.at = +m[3];
      st.receipt = m[4];
      st.value = v;
      return st;
    }

    function cat(id) {
      for (var i = 0; i < cats.length; i++) if (cats[i].id === id) return cats[i];
      return null;
    }

    function blank() {
      var c = {};
      cats.forEach(function (k) { c[k.id] = !!k.r; });
      return { decided: false, categories: c, at: 0, receipt: null, value: null };
    }

    function snapshot(st, revoked) {
      var c = {};
      for (var k in st.categories) c[k] = st.categories[k];
      return {
        decided: st.decided,
        version: CONFIG.v,
        categories: c,
        gpc: gpc,
        receipt: st.receipt,
        at: st.at ? new Date(st.at * 1000).toISOString() : null,
        revoked: revoked
      };
    }

    function signals(st) {
      var m = {};
      CONFIG.s.forEach(function (s) { m[s] = "denied"; });
      cats.forEach(function (k) {
        if (st.categories[k.id]) (k.m || []).forEach(function (s) { m[s] = "granted"; });
      });
      return m;
    }

    // consentMode talks to gtag when the page defines it, else pushes the
    // same arguments object onto dataLayer; with neither it does nothing.
    function consentMode(cmd, params) {
      if (typeof w.gtag === "function") w.gtag("consent", cmd, params);
      else if (Array.isArray(w.dataLayer)) (function () { w.dataLayer.push(arguments); })("consent", cmd, params);
    }

    // release runs every held element of a granted category, once: a held
    // <script> is replaced by a live copy (data-src becomes src, inline text
    // is kept, the nonce carried over for the page's CSP); any other held
    // element (an iframe) gets its data-src as src.
    function release() {
      var held = doc.querySelectorAll("[data-consent-category]:not([data-consent-released])");
      for (var i = 0; i < held.length; i++) {
        var el = held[i];
        if (!state.categories[el.getAttribute("data-consent-category")]) continue;
        el.setAttribute("data-consent-released", "");
        var src = el.getAttribute("data-src");
        if (el.tagName !== "SCRIPT") {
          if (src) el.src = src;
          continue;
        }
        var s = doc.createElement("script");
        for (var j = 0; j < el.attributes.length; j++) {
          var a = el.attributes[j].name;
          if (!/^(type|src|nonce|data-src|data-consent-category|data-consent-released)$/.test(a)) s.setAttribute(a, el.attributes[j].value);
        }
        if (el.nonce) s.nonce = el.nonce;
        if (src) s.src = src;
        else s.text = el.text;
        el.parentNode.insertBefore(s, el.nextSibling);
      }
    }

    // unrelease blanks released frames of refused categories so they can
    // be released again; a script that ran cannot be undone, which is why
    // the page is told (kaiconn:consent, revoked).
    function unrelease() {
      var done = doc.querySelectorAll("[data-consent-category][data-consent-released]");
      for (var i = 0; i < done.length; i++) {
        var el = done[i];
        if (el.tagName === "SCRIPT" || state.categories[el.getAttribute("data-consent-category")]) continue;
        el.removeAttribute("src");
        el.removeAttribute("data-consent-released");
      }
    }

    // deleteCookies removes a refused category's cookies (names or glob
    // patterns from the catalogue) on this host and each parent domain, at
    // "/" and at each prefix of the current path.
    function deleteCookies(k) {
      var pats = (k.k || []).map(function (p) {
        return new RegExp("^" + p.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$");
      });
      if (!pats.length) return;
      var names = doc.cookie.split(/;\s*/).map(function (c) { return c.split("=")[0]; });
      var domains = [""], parts = location.hostname.split(".");
      if (!/^[\d.]+$|:/.test(location.hostname)) {
        for (var i = 0; i < parts.length - 1; i++) domains.push("; domain=" + parts.slice(i).join("."));
      }
      var paths = ["/"], segs = location.pathname.split("/");
      for (i = 2; i <= segs.length; i++) paths.push(segs.slice(0, i).join("/"));
      names.forEach(function (n) {
        if (!n || !pats.some(function (p) { return p.test(n); })) return;
        domains.forEach(function (d) {
          paths.forEach(function (p) {
            doc.cookie = n + "=; expires=Thu, 01 Jan 1970 00:00:00 GMT; max-age=0; path=" + p + d;
          });
        });
      });
    }

    function change(next) {
      var prev = state, revoked = [];
      state = next;
      cats.forEach(function (k) {
        if (state.categories[k.id]) return;
        if (prev.categories[k.id]) revoked.push(k.id);
        deleteCookies(k);
      });
      consentMode("update", signals(state));
      unrelease();
      release();
      var detail = snapshot(state, revoked);
      listeners.forEach(function (fn) {
        try { fn(detail); } catch (e) { console.error(e); }
      });
      doc.dispatchEvent(new CustomEvent("kaiconn:consent", { detail: detail }));
    }

    function show(open) {
      if (frameEl) return;
      var q = "embed=1&lang=" + lang + "&origin=" + encodeURIComponent(location.origin);
      if (data.theme === "light" || data.theme === "dark") q += "&theme=" + data.theme;
      if (gpc) q += "&gpc=1";
      if (open) q += "&open=1";
      frameEl = doc.createElement("iframe");
      frameEl.src = base + "/banner?" + q;
      frameEl.title = CONFIG.t[lang] || "";
      frameEl.setAttribute("data-kc-banner", "");
      // Style properties, not a style attribute: CSPs that forbid inline
      // styles allow the CSSOM.
      var st = frameEl.style;
      st.position = "fixed";
      st.left = st.bottom = "0";
      st.width = "100%";
      st.height = "14rem";
      st.border = "0";
      st.zIndex = "2147483647";
      st.colorScheme = "normal";
      doc.body.appendChild(frameEl);
    }

    function close() {
      if (frameEl) frameEl.remove();
      frameEl = null;
    }

    function onMessage(e) {
      if (!frameEl || e.source !== frameEl.contentWindow || e.origin !== base) return;
      var m = e.data;
      if (!m || m.kc !== 1) return;
      if (m.type === "size") {
        frameEl.style.height = Math.min(Math.max(m.height | 0, 48), Math.floor(w.innerHeight * 0.9)) + "px";
      } else if (m.type === "decision") {
        var next = parseOne(String(m.cookie));
        if (!next) return;
        // The server set the cookie for its Domain; a site outside that
        // domain keeps its own first-party copy.
        if (readCookies().indexOf(next.value) < 0) {
          doc.cookie = NAME + "=" + next.value + "; path=/; max-age=" + (m.maxAge | 0) + "; samesite=lax" + (location.protocol === "https:" ? "; secure" : "");
        }
        close();
        change(next);
      }
    }
  }
})();
