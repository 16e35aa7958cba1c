//kc:include parts/retry.js parts/list.js parts/consent-cookie.js
//
// Kaiconn consent banner: the one script a site embeds, and the messenger
// inside the banner frame. On the site it draws the first layer itself (a
// shadow root, no request of its own), applies a choice at once and records
// it in the background, by the retry policy every queue shares
// (parts/retry.js). Contract: docs/banner.md. ES2017, no dependencies, no
// wasm; served minified, and a Go test keeps it under 10 KB gzip.
(function () {
  "use strict";
  // The server replaces the marker with the catalogue's web categories, the
  // first layer's text in both languages and the cookie's lifetimes.
  var CONFIG = /*KC_CONFIG*/null;
  var NAME = "kc_consent";
  // Choices not yet acknowledged by the server, across page loads.
  var QUEUE = "kc_consent_queue";
  // The first layer's style. The server replaces the marker with the
  // design tokens (tokens.css) as the defaults of private properties on
  // :host, light and dark; each takes the --kc-* property the site set on
  // <kaiconn-banner> first (docs/banner.md, "Theming"). The three buttons
  // share one rule: one size, one colour, no choice nudged. On a phone the
  // layer is a sheet along the bottom; from 640 px it is a compact box in
  // the corner (as vanilla-cookieconsent's "box"), not a bar whose buttons
  // span the page.
  var CSS = /*KC_TOKENS*/"" +
    ":host{all:initial;display:block;position:fixed;left:0;right:0;bottom:0;z-index:2147483647}" +
    ".kc{box-sizing:border-box;max-height:90vh;overflow:auto;background:var(--_bg);color:var(--_fg);border-top:1px solid var(--_ln);border-radius:var(--_rl) var(--_rl) 0 0;box-shadow:var(--_sh);" +
    "font-size:var(--_fs);line-height:1.6;font-family:var(--_fc)}.kc:lang(en){font-family:var(--_fl)}" +
    ".in{max-width:var(--kc-max-width,60em);margin:0 auto;padding:1em 1em 0}" +
    "h2{font-size:1.125em;line-height:1.35;margin:0 0 .5em}p{margin:0 0 .75em}" +
    "a{color:var(--_bb);text-decoration:underline;text-underline-offset:.18em;padding:.85em 0}" +
    ".g{padding:.5em .75em;border-left:3px solid var(--_bb);background:var(--_sf);color:var(--_mu)}" +
    ".a{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(9em,100%),1fr));gap:.5em;padding:.75em 0 1em}" +
    "@media (max-width:600px){.a{grid-template-columns:repeat(3,minmax(0,1fr))}}" +
    // English labels do not fit three to a row on a narrow phone with room
    // inside them: there the three stack, still one size.
    "@media (max-width:400px){.kc:lang(en) .a{grid-template-columns:1fr}}" +
    "@media (min-width:640px){:host{left:auto;right:1.5em;bottom:1.5em;width:min(26em,calc(100vw - 3em))}" +
    ".kc{border:1px solid var(--_ln);border-radius:var(--_rl)}.in{padding:1.25em 1.25em 0}.a{grid-template-columns:repeat(3,minmax(0,1fr))}}" +
    "button{min-height:var(--_tg);min-width:var(--_tg);padding:.5em .625em;font:inherit;font-weight:600;line-height:1.35;cursor:pointer;color:var(--_bf);background:var(--_bb);border:2px solid var(--_bb);border-radius:var(--_ra)}" +
    "button:hover{background:var(--_bh);border-color:var(--_bh)}" +
    "button:focus-visible,a:focus-visible{outline:3px solid var(--_fo);outline-offset:2px}";
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

  // frame runs inside the banner page (the second layer, or the first
  // where the page cannot draw it): it tells the host page the banner's
  // height and, on the done layer, the decision. It posts only to the
  // origin the server checked (data-kc-parent-origin).
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
    var text = CONFIG.l[lang];
    var listeners = [];
    var layer = null; // <kaiconn-banner>, the first layer drawn here
    var frameEl = null; // the banner frame: second layer, or fallback
    var shown = null; // {p: the ticket's promise, tk: the ticket once here}
    var back = null; // where focus returns when the banner closes
    var sheet = null;
    var list = storedList(QUEUE);
    var busy = {}, timer = 0, tries = 0;
    var state = parse(readCookies());
    // A choice made on an earlier page whose ticket never came (offline)
    // has no cookie yet, but it is the person's decision all the same.
    var last = queue().slice(-1)[0];
    if (!state.decided && last && last.v === CONFIG.v) {
      state = (last.c && parseOne(last.c)) || chosen(last.g);
      state.q = last.id;
      if (last.c) writeCookie(last.c);
    }

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
    w.addEventListener("online", flush);
    flush();

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
    // decision. The mac is the server's to check; see docs/banner.md.
    function parse(values) {
      var best = null;
      values.forEach(function (v) {
        var st = parseOne(v);
        if (st && (!best || st.at >= best.at)) best = st;
      });
      return best || blank();
    }

    function parseOne(v) {
      var f = consentCookieFields(v);
      if (!f || f.version !== CONFIG.v) return null;
      var st = blank(), ids = f.granted, i;
      for (i = 0; i < ids.length; i++) {
        if (!cat(ids[i])) return null;
        st.categories[ids[i]] = true;
      }
      for (i = 0; i < cats.length; i++) if (cats[i].r && ids.indexOf(cats[i].id) < 0) return null;
      st.decided = true;
      st.at = f.at;
      st.receipt = f.receipt;
      st.value = v;
      return st;
    }

    function cat(id) {
      for (var i = 0; i < cats.length; i++) if (cats[i].id === id) return cats[i];
      return null;
    }

    function chosen(ids) {
      var st = blank();
      st.decided = true;
      ids.forEach(function (id) { st.categories[id] = true; });
      return st;
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

    // writeCookie stores a signed value the server made (pre-signed by
    // GET /banner/ticket, or answered to a post) and returns its state.
    // It goes on the server's cookie domain when this page is inside it,
    // so the consent host reads the same decision.
    function writeCookie(v, maxAge) {
      var st = parseOne(v);
      if (!st) return null;
      var all = cats.every(function (k) { return st.categories[k.id]; });
      var c = NAME + "=" + v + "; path=/; max-age=" + (maxAge || CONFIG.a[all ? 0 : 1]) + "; samesite=lax";
      var d = CONFIG.d, h = location.hostname;
      if (d && (h === d || h.slice(-d.length - 1) === "." + d)) c += "; domain=" + d;
      if (location.protocol === "https:") c += "; secure";
      doc.cookie = c;
      return st;
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
      if (layer || frameEl) return;
      // Without shadow DOM the server-rendered banner does the job.
      if (!doc.body.attachShadow || !w.fetch || !w.URLSearchParams) return showFrame(open ? "&open=1" : "");
      var s = shown = { p: ticket(), id: Math.random().toString(36).slice(2) };
      s.p.then(function (tk) {
        s.tk = tk;
        // A choice now writes its cookie at once (docs/banner.md).
        if (layer) layer.setAttribute("data-kc-ready", "");
        queue(function (q) {
          q.forEach(function (e) { if (e.s === s.id) attach(e, tk); });
        });
        flush();
      }, function () {
        s.failed = true;
        flush();
      });
      draw(open);
    }

    function el(parent, tag, attrs, txt) {
      var e = doc.createElement(tag);
      for (var k in attrs) e.setAttribute(k, attrs[k]);
      if (txt) e.textContent = txt;
      if (parent) parent.appendChild(e);
      return e;
    }

    // draw renders the first layer: a labelled region with the title, the
    // notice, a link to the policy and three buttons of one kind, size and
    // style, in the order of the second layer.
    function draw(focus) {
      layer = doc.createElement("kaiconn-banner");
      if (data.theme === "light" || data.theme === "dark") layer.setAttribute("data-theme", data.theme);
      var sr = layer.attachShadow({ mode: "open" });
      try {
        if (!sheet) {
          sheet = new CSSStyleSheet();
          sheet.replaceSync(CSS);
        }
        sr.adoptedStyleSheets = [sheet];
      } catch (e) {
        el(sr, "style", {}, CSS);
      }
      var box = el(el(sr, "div", { "class": "kc", role: "region", "aria-labelledby": "kc-title", lang: lang }), "div", { "class": "in" });
      el(box, "h2", { id: "kc-title" }, text.title);
      var p = el(box, "p", {}, text.intro + " ");
      el(p, "a", { href: base + text.policyURL, target: "_blank", rel: "noopener" }, text.policy);
      if (gpc && !state.decided) el(box, "p", { id: "kc-gpc", "class": "g", role: "status" }, text.gpc);
      var acts = el(box, "div", { "class": "a" });
      var accept = button(acts, "kc-accept", text.accept, function () {
        choose("accept", cats.map(function (k) { return k.id; }));
      });
      button(acts, "kc-reject", text.reject, function () {
        choose("reject", cats.filter(function (k) { return k.r; }).map(function (k) { return k.id; }));
      });
      button(acts, "kc-customise", text.customise, function () {
        close();
        showFrame("&layer=2", true);
      });
      // First in the tab order, whatever the site's layout; fixed at the
      // bottom of the viewport.
      doc.body.insertBefore(layer, doc.body.firstChild);
      if (focus) {
        back = doc.activeElement;
        accept.focus();
      }
    }

    function button(parent, id, label, fn) {
      var b = el(parent, "button", { type: "button", id: id }, label);
      b.addEventListener("click", fn);
      return b;
    }

    // choose applies a choice at once: the cookie (when the ticket is
    // here), Consent Mode, held scripts and cookies, the event; then it
    // removes the layer and records the choice in the background.
    function choose(action, ids) {
      var s = shown || {};
      var e = { id: Math.random().toString(36).slice(2) + Date.now().toString(36), v: CONFIG.v, a: action, g: ids, l: lang, at: Date.now(), s: s.id };
      var next = chosen(ids);
      next.q = e.id;
      if (s.tk) {
        attach(e, s.tk);
        next = writeCookie(e.c) || next;
        next.q = e.id;
      }
      change(next);
      close();
      queue(function (q) { q.push(e); });
      flush();
    }

    // attach gives a queued choice its ticket and, when it is the page's
    // current choice, writes the pre-signed cookie.
    function attach(e, tk) {
      if (e.t) return;
      e.t = tk.ticket;
      e.c = tk.cookies && tk.cookies[e.g.join("_")];
      if (e.c && state.q === e.id) {
        var st = writeCookie(e.c);
        if (st) {
          st.q = e.id;
          state = st;
        }
      }
    }

    function ticket() {
      return fetch(base + "/banner/ticket", { credentials: "include" }).then(function (r) {
        if (r.ok) return r.json();
        var err = new Error("ticket: " + r.status);
        err.refused = retryVerdict(r.status, r.headers.get("Retry-After")) === "refused";
        throw err;
      });
    }

    // queue reads the choices not yet acknowledged and, with fn, changes
    // them (storedList, parts/list.js).
    function queue(fn) {
      return fn ? list.update(fn) : list.read();
    }

    // flush posts every queued choice: with its ticket, or after fetching
    // one when it has none (chosen offline, or before the ticket came).
    function flush() {
      clearTimeout(timer);
      timer = 0;
      queue().forEach(function (e) {
        if (busy[e.id]) return;
        if (!e.t) {
          // The banner's own ticket is still on its way.
          if (shown && shown.id === e.s && !shown.tk && !shown.failed) return;
          busy[e.id] = 1;
          ticket().then(function (tk) {
            queue(function (q) {
              q.forEach(function (x) { if (x.id === e.id) attach(x, tk); });
            });
            busy[e.id] = 0;
            flush();
          }, function (err) {
            busy[e.id] = 0;
            if (!err.refused) return retry();
            console.warn("kaiconn: " + err.message + "; the choice is not recorded");
            forget(e);
          });
          return;
        }
        busy[e.id] = 1;
        post(e).then(function (after) {
          busy[e.id] = 0;
          if (after !== true) retry(after);
        });
      });
    }

    // post records one choice. It resolves true when the choice leaves the
    // queue (2xx, or a refusal that will never change: retryVerdict), else
    // with the answer's Retry-After ("" for none, or no answer at all): the
    // choice is tried again. The server stores a choice once per ticket, so
    // a retry after a lost answer stores nothing more.
    function post(e) {
      var body = new URLSearchParams({ action: e.a, lang: e.l, ticket: e.t, at: e.at });
      e.g.forEach(function (id) { body.append("cat", id); });
      return fetch(base + "/banner/consent", {
        method: "POST", body: body, credentials: "include", keepalive: true, headers: { Accept: "application/json" }
      }).then(function (r) {
        var after = r.headers.get("Retry-After") || "", verdict = retryVerdict(r.status, after);
        if (verdict === "done") return r.json().then(function (o) { acknowledged(e, o); return true; });
        if (verdict === "refused") {
          console.warn("kaiconn: the choice was refused (" + r.status + ")");
          forget(e);
          return true;
        }
        return after;
      }, function () { return ""; });
    }

    function forget(e) {
      queue(function (q) {
        for (var i = q.length - 1; i >= 0; i--) if (q[i].id === e.id) q.splice(i, 1);
      });
    }

    // acknowledged drops a recorded choice from the queue and, when the
    // server's cookie differs from the one written at the click (the ticket
    // came too late, or could not be used), writes the server's.
    function acknowledged(e, o) {
      forget(e);
      tries = 0;
      if (o.cookie && o.cookie !== e.c && (state.q === e.id || (e.c && state.value === e.c))) {
        var st = writeCookie(o.cookie, o.maxAge);
        if (st) state = st;
      }
    }

    function retry(after) {
      if (timer) return;
      timer = setTimeout(flush, retryDelay(++tries, after));
    }

    // showFrame opens the server-rendered banner in a frame: the second
    // layer (Customise), or the first where this page cannot draw it.
    function showFrame(extra, focus) {
      var q = "embed=1&lang=" + lang + "&origin=" + encodeURIComponent(location.origin) + extra;
      if (data.theme === "light" || data.theme === "dark") q += "&theme=" + data.theme;
      if (gpc) q += "&gpc=1";
      frameEl = doc.createElement("iframe");
      frameEl.src = base + "/banner?" + q;
      frameEl.title = text.label;
      frameEl.setAttribute("data-kc-banner", "");
      // Style properties, not a style attribute: CSPs that forbid inline
      // styles allow the CSSOM.
      var st = frameEl.style;
      st.position = "fixed";
      st.left = st.bottom = "0";
      st.width = "100%";
      // From 640 px, a box in the corner, as the first layer is.
      if (w.matchMedia && w.matchMedia("(min-width: 640px)").matches) {
        st.left = "auto";
        st.right = st.bottom = "1.5em";
        st.width = "min(30em, calc(100% - 3em))";
      }
      st.height = "14rem";
      st.border = "0";
      st.zIndex = "2147483647";
      st.colorScheme = "normal";
      if (focus) frameEl.addEventListener("load", function () { frameEl && frameEl.focus(); });
      doc.body.appendChild(frameEl);
    }

    function close() {
      var a = doc.activeElement, inside = a && (a === layer || a === frameEl);
      if (layer) layer.remove();
      if (frameEl) frameEl.remove();
      layer = frameEl = null;
      if (inside && back && back.focus) back.focus();
    }

    function onMessage(e) {
      if (!frameEl || e.source !== frameEl.contentWindow || e.origin !== base) return;
      var m = e.data;
      if (!m || m.kc !== 1) return;
      if (m.type === "size") {
        frameEl.style.height = Math.min(Math.max(m.height | 0, 48), Math.floor(w.innerHeight * 0.75)) + "px";
      } else if (m.type === "decision") {
        var next = parseOne(String(m.cookie));
        if (!next) return;
        // The server set the cookie for its Domain; a site outside that
        // domain keeps its own first-party copy.
        if (readCookies().indexOf(next.value) < 0) writeCookie(next.value, m.maxAge | 0);
        close();
        change(next);
      }
    }
  }
})();
