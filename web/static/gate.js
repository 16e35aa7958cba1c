//kc:include parts/time.js
//
// gate.js takes a decision on the first-launch gate (/consent) without a
// round trip and without the wasm. On Agree or Disagree it builds the
// bridge message from the form and the page data (#kc-gate), delivers it
// at once (bridge.js, once per receipt id), shows the result in place, and
// records the receipt in the background: the form is posted to /consent
// with the page's ticket, queued in localStorage and resent until the
// server acknowledges it (bridge.js). Without script, or without what it
// needs, the form posts as it is and the server answers with the result
// page. Contract: docs/bridge.md.
//
// The wasm may put another view in place of the form (package takeover:
// the host's state on a page rendered without one) and says so with the
// document event kaiconn:view; the script then takes the new form.
(function () {
  "use strict";
  function init() {
  var dataEl = document.getElementById("kc-gate");
  var form = document.getElementById("kc-gate-form");
  var done = document.getElementById("kc-gate-done");
  var kc = window.KaiconnConsent;
  if (!dataEl || !form || !done || !kc || !kc.deliver || !kc.record || !window.fetch || !window.URLSearchParams || !window.FormData) {
    return;
  }
  var data;
  try { data = JSON.parse(dataEl.textContent); } catch (e) { return; }
  // A page of the app bundle has no ticket; its receipt id is the one
  // bundle.js made (docs/bundle.md).
  if (!data || !data.receiptId || !Array.isArray(data.purposes) || !data.decisions) {
    return;
  }
  var adult = document.getElementById("kc-adult");
  var error = document.getElementById("kc-gate-error");
  var decided = false;
  // The button pressed, for browsers whose submit event has no submitter.
  var pressed = "";

  function box(id) { return document.getElementById("kc-p-" + id); }

  function showError(text, focus) {
    error.textContent = text;
    error.hidden = false;
    if (focus) {
      focus.setAttribute("aria-invalid", "true");
      focus.setAttribute("aria-describedby", "kc-minors kc-gate-error");
      focus.focus();
      var block = document.getElementById("kc-adult-block");
      if (block) { block.classList.add("kc-gate__adult--error"); }
    }
  }
  function clearError() {
    error.hidden = true;
    error.textContent = "";
    if (adult) {
      adult.removeAttribute("aria-invalid");
      adult.setAttribute("aria-describedby", "kc-minors");
      var block = document.getElementById("kc-adult-block");
      if (block) { block.classList.remove("kc-gate__adult--error"); }
    }
  }

  // message is the bridge message (version 2) of the decision: every
  // purpose of the version; the required one on; those asked as the person
  // answered; on a re-ask, every other one as it was. Its decision is the
  // kind the server resolved for the button (data.decisions, by the gate's
  // one rule, consentview.Catalogues.GateDecision): nothing is decided here.
  function message(action, at) {
    var asked = {};
    data.asked.forEach(function (id) { asked[id] = true; });
    var purposes = {};
    data.purposes.forEach(function (id) {
      if (id === data.required) {
        purposes[id] = true;
      } else if (asked[id]) {
        var b = box(id);
        purposes[id] = action === "agree" && !!(b && b.checked);
      } else {
        purposes[id] = !!(data.current && data.current[id]);
      }
    });
    return {
      v: data.v,
      type: "consent",
      decision: data.decisions[action],
      policyVersion: data.policyVersion,
      purposes: purposes,
      receiptId: data.receiptId,
      at: at.toISOString()
    };
  }

  // when shows the moment of decision as the server shows every time
  // (formatTime, parts/time.js): in the zone and format its rule picked for
  // the page's language, which the page carries; ISO 8601 without it.
  function when(at) {
    try {
      return formatTime(at, JSON.parse(done.getAttribute("data-time-format")));
    } catch (e) {
      return at.toISOString();
    }
  }

  // showDone renders the result in place of the form.
  function showDone(msg, at) {
    var heading = null;
    Array.prototype.forEach.call(done.querySelectorAll("h1[data-decision]"), function (h) {
      h.hidden = h.getAttribute("data-decision") !== msg.decision;
      if (!h.hidden) { heading = h; }
    });
    var offShown = 0;
    Array.prototype.forEach.call(done.querySelectorAll("#kc-done-on li[data-purpose]"), function (li) {
      li.hidden = msg.purposes[li.getAttribute("data-purpose")] !== true;
    });
    Array.prototype.forEach.call(done.querySelectorAll("#kc-done-off li[data-purpose]"), function (li) {
      li.hidden = msg.purposes[li.getAttribute("data-purpose")] !== false;
      if (!li.hidden) { offShown++; }
    });
    var offBlock = document.getElementById("kc-done-off-block");
    if (offBlock) { offBlock.hidden = offShown === 0; }
    document.getElementById("kc-done-receipt").textContent = msg.receiptId;
    document.getElementById("kc-done-at").textContent = when(at);
    document.getElementById("kc-done-version").textContent = msg.policyVersion;
    form.hidden = true;
    done.hidden = false;
    var main = document.getElementById("main");
    if (main) { main.setAttribute("data-mode", "done"); }
    if (heading) {
      var t = document.title, i = t.indexOf(" · ");
      document.title = heading.textContent.replace(/^\s*✓\s*/, "").trim() + (i >= 0 ? t.slice(i) : "");
    }
    window.scrollTo(0, 0);
    document.getElementById("kc-done-title").focus();
  }

  form.addEventListener("click", function (e) {
    var b = e.target && e.target.closest ? e.target.closest("button[name=action]") : null;
    if (b) { pressed = b.value; }
  });
  if (adult) {
    adult.addEventListener("change", function () { if (adult.checked) { clearError(); } });
  }

  form.addEventListener("submit", function (e) {
    var action = (e.submitter && e.submitter.value) || pressed;
    if (!data.decisions.hasOwnProperty(action)) {
      return; // the server says what is missing
    }
    e.preventDefault();
    if (decided) {
      return;
    }
    if (action === "agree" && adult && !adult.checked) {
      showError(error.getAttribute("data-adult"), adult);
      return;
    }
    decided = true;
    var at = new Date();
    var msg = message(action, at);
    kc.deliver(msg);
    showDone(msg, at);
    var body = new URLSearchParams(new FormData(form));
    body.set("action", action);
    body.set("at", String(at.getTime()));
    kc.record(form.getAttribute("action") || "/consent", body.toString(), data.receiptId);
  });
  // From here a tap is taken in place (make bench waits for it).
  document.documentElement.setAttribute("data-gate", "ready");
  }
  init();
  document.addEventListener("kaiconn:view", init);
})();
