// reader.js makes the policy (/privacy) and its lists (/privacy/collected,
// /privacy/shared) quicker to read. The server renders these pages whole
// and answers their search form itself (?q=), so everything here is an
// enhancement of a page that works without it (issue 11: they load no
// wasm):
//
// - on the policy, search marks hits as one types, exactly where the
//   server's ?q= marks them (policyview: a case-insensitive substring of
//   one run of text, hits numbered in reading order), and Enter or the
//   arrows step through them;
// - on a list, the filter hides the entries as one types, by the server's
//   rule (lists.Data.Page: an entry is shown when one of its lines of
//   text, or its group's head, holds the query);
// - the address holds the search (history.replaceState), so a reload or a
//   shared link shows the same;
// - the language and view switches carry the search and the section the
//   reader is at (#s7): ids are the same in both languages.
//
// The form names the page (data-reader) and hands the messages the script
// shows (data-msg-*), in the page's language. html[data-reader="ready"]
// says the script has taken the page.
(function () {
  "use strict";
  var form = document.querySelector("form[data-reader]");
  var input = document.getElementById("kc-q");
  if (!form || !input || !("replaceState" in history)) {
    return;
  }
  var html = document.documentElement;

  // Go's unicode.IsSpace, which strings.TrimSpace trims: JavaScript's
  // trim also takes U+FEFF and leaves U+0085.
  var space = "[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
  var trimRE = new RegExp("^" + space + "+|" + space + "+$", "g");
  // The server reads at most 200 bytes of ?q=.
  var maxQueryBytes = 200;

  // query is the search as the server reads the raw ?q=: cut at 200 bytes
  // of UTF-8, then trimmed. A character cut in two is dropped (the lists
  // make the rest valid UTF-8) or left as U+FFFD, which matches nothing
  // (the policy reads the broken bytes as such).
  function query(raw, keepBroken) {
    var bytes = 0;
    var out = "";
    var chars = Array.from(raw);
    for (var i = 0; i < chars.length; i++) {
      var c = chars[i].codePointAt(0);
      var n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
      if (bytes + n > maxQueryBytes) {
        if (keepBroken && bytes < maxQueryBytes) {
          out += "\ufffd";
        }
        break;
      }
      bytes += n;
      out += chars[i];
    }
    return out.replace(trimRE, "");
  }

  // The policy shows Chinese punctuation in full width and its search
  // takes either width (cjk.Fold); the lists' filter does not.
  var halfWidth = { "\uff0c": ",", "\uff1a": ":", "\uff1b": ";", "\uff08": "(", "\uff09": ")", "\uff01": "!", "\uff1f": "?" };

  // lower lower-cases one character as Go's unicode.ToLower does: one
  // character for one, so that positions in the folded text are positions
  // in the text.
  function lower(c) {
    var l = c.toLowerCase();
    if (l === c) {
      return c;
    }
    var cs = Array.from(l);
    return cs.length === 1 ? l : cs[0];
  }

  // foldChar is policyview's fold of one character: widths, then case.
  function foldChar(c) {
    return lower(halfWidth[c] || c);
  }

  function fold(s) {
    return Array.from(s).map(foldChar);
  }

  // lowerAll is strings.ToLower, the lists' fold.
  function lowerAll(s) {
    return Array.from(s).map(lower).join("");
  }

  // find returns the [start, end) UTF-16 offsets of every non-overlapping
  // occurrence of the folded query q in text, left to right, as
  // policyview's split cuts a run.
  function find(text, q) {
    var chars = Array.from(text);
    var folded = chars.map(foldChar);
    var offsets = [];
    var at = 0;
    for (var i = 0; i < chars.length; i++) {
      offsets.push(at);
      at += chars[i].length;
    }
    offsets.push(at);
    var out = [];
    for (var s = 0; s + q.length <= folded.length;) {
      var j = 0;
      while (j < q.length && folded[s + j] === q[j]) {
        j++;
      }
      if (j === q.length) {
        out.push([offsets[s], offsets[s + q.length]]);
        s += q.length;
      } else {
        s++;
      }
    }
    return out;
  }

  // A run of another language inside a text (views.ForeignRuns): a span
  // with lang and nothing else. It is inside a run of text, not a node of
  // the tree, like the hits' marks.
  function isLangRun(n) {
    return n.nodeType === 1 && n.tagName === "SPAN" && n.attributes.length === 1 && n.hasAttribute("lang");
  }

  function isMark(n) {
    return n.nodeType === 1 && n.tagName === "MARK";
  }

  // The address the server would answer for what the reader sees now.
  function pageURL(q) {
    var u = new URL(location.href);
    if (q) {
      u.searchParams.set("q", q);
    } else {
      u.searchParams.delete("q");
    }
    u.searchParams.delete("setlang"); // a reload is no new choice
    if (u.hash.indexOf("#kc-hit-") === 0) {
      u.hash = "";
    }
    return u.pathname + u.search + u.hash;
  }

  // withQuery rewrites a link so that it carries the search q.
  function withQuery(a, q) {
    var u = new URL(a.getAttribute("href"), location.href);
    if (q) {
      u.searchParams.set("q", q);
    } else {
      u.searchParams.delete("q");
    }
    a.setAttribute("href", u.pathname + u.search + u.hash);
  }

  // place is the id of the deepest element of selector that holds the top
  // of what the reader sees (below the sticky bar), else the first below
  // it, without a column's prefix: it names the same place in the other
  // language and view.
  function place(selector) {
    var line = 80;
    var found = "";
    var els = document.querySelectorAll(selector);
    for (var i = 0; i < els.length; i++) {
      if (!els[i].getClientRects().length) {
        continue; // hidden by the filter
      }
      var r = els[i].getBoundingClientRect();
      if (r.top <= line && r.bottom > line) {
        found = els[i].id; // a later one is inside it or below it
      } else if (r.top > line) {
        if (!found) {
          found = els[i].id;
        }
        break;
      }
    }
    return found.replace(/^(zh|en)-/, "");
  }

  // The switches carry the reader's place. The href changes before the
  // browser follows it, so a new tab (ctrl-click) gets it too.
  function keepPlace(link, selector, choice) {
    if (!link) {
      return;
    }
    link.addEventListener("click", function () {
      var u = new URL(link.getAttribute("href"), location.href);
      if (choice && navigator.globalPrivacyControl !== true) {
        // The reader chose a language: the server remembers it (kc_lang)
        // only once the reader's website decision allows preference
        // cookies, and never under Global Privacy Control, which the
        // server also reads from Sec-GPC. Until then the language stays in
        // the address, which every link of the pages carries.
        u.searchParams.set("setlang", "1");
      } else {
        u.searchParams.delete("setlang");
      }
      var id = place(selector);
      u.hash = id ? "#" + id : "";
      link.setAttribute("href", u.pathname + u.search + u.hash);
    });
  }

  function message(name, n) {
    return (form.getAttribute("data-msg-" + name) || "").replace("{n}", String(n));
  }

  function policy() {
    var langSwitch = document.querySelector(".kc-lang-switch");
    var viewSwitch = document.querySelector(".kc-view-switch");
    var sections = ".kc-doc section[id], .kc-bi-row section[id], .kc-preamble[id]";
    var hits = document.querySelectorAll("mark.kc-hit").length;
    var current = 0;
    var searched = query(input.value, true);

    // The live region is there from the start, so that a screen reader
    // announces the first count; without a search it takes no room.
    var status = document.querySelector("[data-testid=search-results]");
    if (!status) {
      status = document.createElement("p");
      status.setAttribute("role", "status");
      status.setAttribute("data-testid", "search-results");
      var header = form.closest("header");
      header.parentNode.insertBefore(status, header.nextSibling);
    }

    function showStatus() {
      status.textContent = "";
      if (!searched) {
        status.className = "kc-results kc-sr";
        return;
      }
      status.className = "kc-results";
      if (!hits) {
        status.textContent = message("none", 0);
        return;
      }
      var count = document.createElement("a");
      count.href = "#kc-hit-1";
      count.textContent = message("results", hits);
      count.addEventListener("click", function (e) {
        e.preventDefault();
        current = 0;
        step(1);
      });
      status.appendChild(count);
      [[-1, "prev", "\u2191"], [1, "next", "\u2193"]].forEach(function (b) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "kc-btn";
        button.setAttribute("aria-label", message(b[1]));
        button.textContent = b[2];
        button.addEventListener("click", function () { step(b[0]); });
        status.appendChild(button);
      });
    }

    // units lists the runs of text a search looks in, as policyview does:
    // one per span of the tree, which the page writes as the text of an
    // element (a paragraph, a heading) or of a link or a bold run in it;
    // the runs of another language and the marks lie inside a run.
    // Section and clause numbers and the notes that a clause exists in
    // one language only are not searched.
    function units() {
      var out = [];
      var cur = null;
      function flush() {
        if (cur) {
          out.push(cur);
        }
        cur = null;
      }
      function visit(el) {
        for (var n = el.firstChild; n; n = n.nextSibling) {
          if (n.nodeType === 3) {
            if (!cur) {
              cur = { nodes: [], text: "" };
            }
            cur.nodes.push({ node: n, at: cur.text.length });
            cur.text += n.data;
          } else if (n.nodeType === 1) {
            if (isLangRun(n) || isMark(n)) {
              visit(n);
            } else {
              flush();
              if (!n.classList.contains("kc-num") && !n.classList.contains("kc-only")) {
                visit(n);
              }
              flush();
            }
          }
        }
      }
      var roots = document.querySelectorAll("#main > .kc-doc, #main > .kc-bi");
      for (var i = 0; i < roots.length; i++) {
        visit(roots[i]);
        flush();
      }
      return out;
    }

    // unmark takes the marks out, and joins again what marking split.
    function unmark() {
      var marks = document.querySelectorAll("mark.kc-hit");
      var touched = new Set();
      for (var i = 0; i < marks.length; i++) {
        var m = marks[i];
        var p = m.parentNode;
        while (m.firstChild) {
          p.insertBefore(m.firstChild, m);
        }
        p.removeChild(m);
        touched.add(isLangRun(p) ? p.parentNode : p);
      }
      touched.forEach(function (p) {
        for (var c = p.firstChild; c;) {
          var next = c.nextSibling;
          if (next && isLangRun(c) && isLangRun(next) && c.getAttribute("lang") === next.getAttribute("lang")) {
            while (next.firstChild) {
              c.appendChild(next.firstChild);
            }
            p.removeChild(next);
            continue;
          }
          c = next;
        }
        p.normalize();
      });
    }

    // at finds the text node and offset of UTF-16 offset off in unit u;
    // an end offset belongs to the node it ends.
    function at(u, off, end) {
      for (var i = 0; i < u.nodes.length; i++) {
        var n = u.nodes[i];
        var len = n.node.data.length;
        if (end ? off > n.at && off <= n.at + len : off >= n.at && off < n.at + len) {
          return [n.node, off - n.at];
        }
      }
      return null;
    }

    function search(q) {
      searched = q;
      current = 0;
      unmark();
      var found = [];
      if (q) {
        var fq = fold(q);
        units().forEach(function (u) {
          find(u.text, fq).forEach(function (m) {
            found.push({ u: u, start: m[0], end: m[1] });
          });
        });
      }
      // Last first: marking splits text nodes after the hits before it.
      // One range for all: the browser updates every live range on each
      // change of the page.
      var r = document.createRange();
      for (var i = found.length - 1; i >= 0; i--) {
        var h = found[i];
        var a = at(h.u, h.start, false);
        var b = at(h.u, h.end, true);
        r.setStart(a[0], a[1]);
        r.setEnd(b[0], b[1]);
        var mark = document.createElement("mark");
        mark.className = "kc-hit";
        mark.id = "kc-hit-" + (i + 1);
        mark.appendChild(r.extractContents());
        r.insertNode(mark);
      }
      hits = found.length;
      showStatus();
      history.replaceState(history.state, "", pageURL(q));
      [langSwitch, viewSwitch].forEach(function (a) {
        if (a) {
          withQuery(a, q);
        }
      });
    }

    // step moves to the next (+1) or previous (-1) hit, wrapping around.
    function step(delta) {
      if (!hits) {
        return;
      }
      var old = document.getElementById("kc-hit-" + current);
      if (old) {
        old.classList.remove("kc-current");
        old.removeAttribute("aria-current");
      }
      current = ((current - 1 + delta + hits) % hits) + 1;
      var m = document.getElementById("kc-hit-" + current);
      m.classList.add("kc-current");
      m.setAttribute("aria-current", "true");
      m.scrollIntoView({ block: "center" });
    }

    input.addEventListener("input", function () {
      var q = query(input.value, true);
      if (q !== searched) {
        search(q);
      }
    });
    // Enter steps to the next hit: the page already shows the search.
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var q = query(input.value, true);
      if (q !== searched) {
        search(q);
      }
      step(1);
    });
    keepPlace(langSwitch, sections, true);
    keepPlace(viewSwitch, sections, false);

    var tools = document.querySelector(".kc-tools");
    // Print is for a computer: a phone's browser or the app's webview has
    // no use for it, and it would cost the header a line.
    if (tools && "print" in window && window.matchMedia && window.matchMedia("(min-width: 37.5rem) and (hover: hover)").matches) {
      var print = document.createElement("button");
      print.type = "button";
      print.className = "kc-print";
      print.textContent = message("print");
      print.addEventListener("click", function () { window.print(); });
      tools.appendChild(print);
    }
    showStatus();
  }

  function list() {
    var status = document.querySelector("[data-testid=filter-results]");
    var langSwitch = document.querySelector(".kc-lang-switch");
    var clearURL = location.pathname + "?lang=" + encodeURIComponent(html.lang);
    // The server's page shows the entries of its filter only: the whole
    // list comes (once) from the page without one.
    var whole = query(input.defaultValue, false) === "";
    var loading = false;
    var filtered = query(input.value, false);
    var entries = null;

    // lines is the text of the tree's nodes under el, one per node, as
    // lists' nodeText reads it: links, bold runs and runs of another
    // language are inside a node's text, not nodes.
    function lines(el, out) {
      var own = "";
      for (var n = el.firstChild; n; n = n.nextSibling) {
        if (n.nodeType === 3) {
          own += n.data;
        } else if (n.nodeType === 1) {
          if (isLangRun(n) || isMark(n) || n.tagName === "A" || n.tagName === "STRONG") {
            own += n.textContent;
          } else {
            lines(n, out);
          }
        }
      }
      if (own) {
        out.push(lowerAll(own));
      }
      return out;
    }

    // index reads the list once: its groups (a head and entries) and the
    // entries outside a group.
    function index() {
      entries = [];
      var root = document.getElementById("kc-list");
      for (var c = root.firstElementChild; c; c = c.nextElementSibling) {
        if (c.classList.contains("kc-group")) {
          var head = c.firstElementChild;
          var group = { el: c, head: lines(head, []), entries: [] };
          for (var e = head.nextElementSibling; e; e = e.nextElementSibling) {
            group.entries.push({ el: e, lines: lines(e, []) });
          }
          entries.push(group);
        } else {
          entries.push({ el: null, head: [], entries: [{ el: c, lines: lines(c, []) }] });
        }
      }
    }

    function holds(ls, fq) {
      for (var i = 0; i < ls.length; i++) {
        if (ls[i].indexOf(fq) >= 0) {
          return true;
        }
      }
      return false;
    }

    function filter(q) {
      filtered = q;
      var fq = lowerAll(q);
      var shown = 0;
      var total = 0;
      entries.forEach(function (g) {
        var headHit = fq !== "" && holds(g.head, fq);
        var any = 0;
        g.entries.forEach(function (e) {
          total++;
          var show = fq === "" || headHit || holds(e.lines, fq);
          e.el.hidden = !show;
          any += show ? 1 : 0;
        });
        if (g.el) {
          g.el.hidden = any === 0;
        }
        shown += any;
      });
      var text = status.querySelector("span");
      text.textContent = shown === 0 ? message("none") : message("count", shown);
      var clear = status.querySelector("[data-testid=filter-clear]");
      if (q && !clear) {
        clear = document.createElement("a");
        clear.setAttribute("data-testid", "filter-clear");
        clear.href = clearURL;
        clear.textContent = message("clear");
        status.appendChild(clear);
      } else if (!q && clear) {
        clear.parentNode.removeChild(clear);
      }
      history.replaceState(history.state, "", pageURL(q));
      if (langSwitch) {
        withQuery(langSwitch, q);
      }
    }

    // loadWhole fetches the whole list into the page, then filters it by
    // what the reader has typed meanwhile. Should it fail, the form still
    // asks the server.
    function loadWhole() {
      if (loading) {
        return;
      }
      loading = true;
      fetch(clearURL, { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) {
          throw new Error("status " + r.status);
        }
        return r.text();
      }).then(function (text) {
        var doc = new DOMParser().parseFromString(text, "text/html");
        var fresh = doc.getElementById("kc-list");
        if (!fresh) {
          throw new Error("no list");
        }
        var old = document.getElementById("kc-list");
        old.parentNode.replaceChild(document.importNode(fresh, true), old);
        whole = true;
        index();
        filter(query(input.value, false));
      }).catch(function (err) {
        loading = false;
        console.warn("kaiconn: the filter works on submit only", err);
      });
    }

    input.addEventListener("input", function () {
      if (!whole) {
        loadWhole();
        return;
      }
      var q = query(input.value, false);
      if (q !== filtered) {
        filter(q);
      }
    });
    // The list is already filtered; until it is whole, the server filters.
    form.addEventListener("submit", function (e) {
      if (whole) {
        e.preventDefault();
      }
    });
    status.addEventListener("click", function (e) {
      var clear = e.target.closest("[data-testid=filter-clear]");
      if (!clear || !whole) {
        return;
      }
      e.preventDefault();
      input.value = "";
      filter("");
      input.focus();
    });
    keepPlace(langSwitch, "#kc-list section[id], #kc-list article[id]", false);
    if (whole) {
      index();
    }
  }

  if (form.getAttribute("data-reader") === "policy") {
    policy();
  } else {
    list();
  }
  html.setAttribute("data-reader", "ready");
})();
