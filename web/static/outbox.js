//kc:include parts/retry.js parts/canonical.js parts/outbox-db.js parts/outbox-keys.js parts/outbox-chain.js
//
// outbox.js is this browser's device outbox (docs/outbox.md): it signs the
// receipt of each decision the settings page records with a device key that
// never leaves the browser, keeps it in IndexedDB and posts it to the
// receipt API until the server countersigns it, exactly once.
//
// It was the Go package outbox inside app.wasm; as a script it costs the
// wasm nothing and runs on every page that loads it, wasm or not, so a
// receipt left pending by an earlier visit is sent as soon as the page
// loads. It keeps the database, stores and record shapes the Go outbox
// wrote, so a browser that already holds a key and pending receipts keeps
// them.
//
// The server derives each receipt from its catalogue and hands it over
// unsigned (the order, version 2); this script never builds a receipt. It
// only moves one onto another chain head (rechain): the previous receipt
// decides which purposes are withdrawn rather than refused, and whether a
// withdrawal that gives a purpose is an update (consentreceipt.Check).
//
// It is served as one script (web/pipeline) made of parts with one role
// each: parts/canonical.js (the bytes a receipt is signed and hashed over),
// parts/outbox-db.js (IndexedDB and the Web Lock), parts/outbox-keys.js (the
// device keys and their signatures), parts/outbox-chain.js (entries and the
// rechain rule) and parts/retry.js (the retry policy every queue shares);
// this file records, sends, reads and runs the sender loop.
//
// Public surface, window.kaiconnOutbox:
//   supported()      → whether this browser can keep a device key at all
//   record(order)    → Promise<receipt id>, once the receipt is durable
//   download()       → Promise<string>, the receipts this device signed, countersigned (receipt.History)
//   pending()        → Promise<number> of receipts not yet acknowledged
// and the window event "kaiconn-outbox" ({detail: {id, state}}) when the
// server acknowledges or refuses a receipt.
(function () {
  "use strict";
  if (window.kaiconnOutbox) {
    return;
  }
  // The receipt service is this page's origin, or the consent server a
  // page of the app bundle names (docs/bundle.md).
  var origin = document.querySelector('meta[name="kaiconn-origin"]');
  var API = origin ? origin.getAttribute("content") : "";
  var RECEIPTS = API + "/api/v1/receipts";
  var NONCE = API + "/api/v1/nonce";
  var TICKET = "Kaiconn-Ticket";
  var ORDER_VERSION = 2; // components.ReceiptOrder / consentreceipt.Order
  var ENTRY_VERSION = 2; // entries the Go outbox wrote have no "v"
  // MAX_REBUILDS is how often one receipt is signed again on the server's
  // head after the server said its chain moved: a chain that keeps moving
  // is not something signing again fixes, and the outbox must never loop.
  var MAX_REBUILDS = 3;
  var IDLE_POLL = 60 * 1000; // picks up what another tab stored and could not send

  function supported() {
    return !!(window.indexedDB && window.crypto && window.crypto.subtle);
  }

  // --- recording -------------------------------------------------------
  // record signs the order's receipt and stores it, and resolves with its
  // id once it is durable (not once it is sent). Recording the same order
  // twice stores one receipt.
  async function record(order) {
    if (!order || order.v !== ORDER_VERSION || !order.receipt || !order.receipt.id || !order.receipt.subject) {
      throw new Error("outbox: not a receipt order of version " + ORDER_VERSION);
    }
    if (!supported()) {
      throw new Error("outbox: this browser has no IndexedDB or WebCrypto");
    }
    var wanted = order.receipt;
    var required = order.required || [];
    var id = await locked(async function () {
      var st = await load(), dev = st.dev, entries = st.entries;
      var known = entries.find(function (e) { return e.id === wanted.id; });
      if (known) {
        if (!sameDecision(known.envelope.receipt, wanted)) {
          throw new Error("outbox: receipt " + wanted.id + " already records another decision");
        }
        return known.id;
      }
      var k = await currentKey();
      var subject = wanted.subject;
      var receipt = wanted;
      var next = { subject: subject, head: dev.head, seq: dev.seq + 1 };
      var mine = entries.filter(function (e) { return subjectOf(e) === subject && e.state !== "rejected"; });
      if (subject !== dev.subject) {
        // The server's credential decides the subject; a key signs for one
        // subject only, so a key that signed for another gets a successor.
        if (entries.some(function (e) { return e.state !== "rejected" && sameJWK(keyOf(e), k.jwk) && subjectOf(e) !== subject; })) {
          k = await rotateKey();
        }
      } else if (dev.head && mine.some(function (e) { return e.state === "pending"; })) {
        // Receipts of this subject wait on this device: the server's head
        // is behind them, so the new one chains after the newest.
        var last = mine.find(function (e) { return e.hash === dev.head; }) || mine[mine.length - 1];
        receipt = rechain(wanted, last.hash, prevOf(last), required);
      }
      if (!wanted.prevHash && !mine.length) {
        // An order that shows no head (the app bundle's) is stated against
        // the decision its page showed, the host's; this device holds no
        // receipt of the subject, so the chain starts here, after none.
        receipt = rechain(wanted, "", null, required);
      }
      var e = { v: ENTRY_VERSION, seq: next.seq, state: "pending", attempts: 0, nextAttempt: new Date().toISOString(), ticket: order.ticket || "", required: required };
      await seal(e, receipt, k);
      next.head = e.hash;
      await save(dev, next, [e]);
      return e.id;
    });
    wake(false);
    return id;
  }

  // --- sending ---------------------------------------------------------
  async function call(method, path, headers, body) {
    var opts = { method: method, headers: headers || {}, credentials: "same-origin", cache: "no-store" };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = body;
    }
    var resp = await fetch(path, opts); // throws when no answer came
    var text = await resp.text();
    return { status: resp.status, body: text, retryAfter: resp.headers.get("Retry-After") };
  }

  function errorOf(body) {
    try {
      var a = JSON.parse(body);
      return { code: (a.error && a.error.code) || "", message: (a.error && a.error.message) || "no message" };
    } catch (e) {
      return { code: "", message: "no message" };
    }
  }

  // retryLater keeps e pending and dates its next attempt by the retry
  // policy every queue shares (retryDelay, parts/retry.js).
  function retryLater(e, retryAfter, why) {
    e.attempts = (e.attempts || 0) + 1;
    e.lastError = why;
    e.nextAttempt = new Date(Date.now() + retryDelay(e.attempts, retryAfter)).toISOString();
    return due(e);
  }

  function tell(id, state) {
    try {
      window.dispatchEvent(new CustomEvent("kaiconn-outbox", { detail: { id: id, state: state } }));
    } catch (e) { /* no listener is owed anything */ }
  }

  // flush sends the pending receipts, oldest first, one at a time, and
  // stops at the first that cannot be delivered or is not due (now: try it
  // anyway). It resolves with when the next attempt is due, 0 for none.
  function flush(now) {
    return locked(async function () {
      for (;;) {
        var st = await load(), dev = st.dev, entries = st.entries;
        var i = entries.findIndex(function (x) { return x.state === "pending"; });
        if (i < 0) {
          return 0;
        }
        var e = entries[i];
        if (!now && due(e) > Date.now()) {
          return due(e);
        }
        now = false;
        var reply = null;
        try {
          var h = {};
          if (ticketOf(e)) {
            h[TICKET] = ticketOf(e);
          }
          reply = await call("POST", RECEIPTS, h, canonical(e.envelope));
        } catch (err) {
          reply = null;
        }
        var next;
        if (!reply) {
          next = retryLater(e, "", "network: no answer from the receipt service");
        } else if (reply.status >= 200 && reply.status < 300) {
          if (acknowledge(e, reply.body)) {
            await save(null, null, [e]);
            tell(e.id, "acknowledged");
            continue;
          }
          next = retryLater(e, "", "acknowledgement: is not for this receipt");
        } else if (retryVerdict(reply.status, reply.retryAfter) === "retry") {
          next = retryLater(e, reply.retryAfter, "status " + reply.status + ": " + errorOf(reply.body).message);
        } else if (chainMoved(reply) && (e.rebuilds || 0) < MAX_REBUILDS) {
          if (await rebuild(dev, entries, i)) {
            continue;
          }
          next = retryLater(e, "", "network: no answer from the receipt service while reading the subject's head");
        } else {
          await reject(dev, entries, i, reply);
          continue;
        }
        await save(null, null, [e]);
        return next;
      }
    });
  }

  function acknowledge(e, body) {
    var a;
    try {
      a = JSON.parse(body);
    } catch (err) {
      return false;
    }
    if (!a || a.id !== e.id || a.hash !== e.hash || !a.countersignature) {
      return false;
    }
    e.state = "acknowledged";
    e.countersignature = a.countersignature;
    e.kid = a.kid;
    e.receivedAt = a.receivedAt;
    e.lastError = "";
    e.nextAttempt = "";
    return true;
  }

  // chainMoved: the server refused the receipt because it does not extend
  // its subject's chain for its key. The API gives that one answer for a
  // head that moved, a subject it does not know and a key the subject did
  // not enroll; only reading the head tells which.
  function chainMoved(reply) {
    return reply.status === 422 && errorOf(reply.body).message.indexOf("receipt.prevHash:") === 0;
  }

  var REFUSED = { status: 422, body: JSON.stringify({ error: { code: "unprocessable", message: "receipt.prevHash: not the head of this subject's chain for this key" } }) };

  // rebuild reads the server's head of entries[i]'s subject, with a proof
  // by the key that signed it (and its ticket, which lets a key not yet
  // enrolled read the head it will join), and signs the subject's pending
  // receipts from entries[i] on again after it. When the receipt already
  // chains to that head, or the server will not tell, the receipt is
  // rejected with the server's message. It resolves false when no answer
  // came: the receipt is then retried later.
  async function rebuild(dev, entries, i) {
    var e = entries[i];
    var subject = subjectOf(e);
    var k = await findKey(keyOf(e));
    if (!k) {
      await reject(dev, entries, i, REFUSED);
      return true;
    }
    var head;
    try {
      head = await readHead(subject, k, ticketOf(e));
    } catch (err) {
      return false;
    }
    if (head.status === 404) {
      head = { hash: "" }; // the subject has no receipt yet: start it
    } else if (head.status !== 200 || e.envelope.receipt.prevHash === head.hash) {
      // Already on the server's head: the key is what the server refuses.
      await reject(dev, entries, i, REFUSED);
      return true;
    }
    var prevHash = head.hash;
    var prev = head.hash ? { surface: head.surface, states: head.states || {} } : null;
    var changed = [];
    for (var j = i; j < entries.length; j++) {
      var x = entries[j];
      if (subjectOf(x) !== subject || x.state !== "pending") {
        continue;
      }
      var xk = (await findKey(keyOf(x))) || k;
      await seal(x, rechain(x.envelope.receipt, prevHash, prev, requiredOf(x)), xk);
      x.rebuilds = (x.rebuilds || 0) + 1;
      x.lastError = "rebuilt on the subject's head on the server";
      x.nextAttempt = new Date().toISOString();
      prevHash = x.hash;
      prev = prevOf(x);
      changed.push(x);
    }
    var next = { subject: dev.subject, head: subject === dev.subject ? prevHash : dev.head, seq: dev.seq };
    await save(dev, next, changed);
    return true;
  }

  async function readHead(subject, k, ticket) {
    var n = await call("GET", NONCE);
    if (n.status !== 200) {
      return { status: n.status };
    }
    var nonce = (JSON.parse(n.body) || {}).nonce;
    if (!nonce) {
      return { status: 502 };
    }
    var ts = new Date().toISOString(); // receipt.FormatTime: UTC, milliseconds
    var sig = await sign(k, utf8("kaiconn-history:" + subject + ":" + ts + ":" + nonce));
    var proof = { subject: subject, ts: ts, nonce: nonce, alg: k.alg, jwk: k.jwk, sig: sig };
    var h = { Authorization: "KaiconnProof " + b64url(utf8(JSON.stringify(proof))) };
    if (ticket) {
      h[TICKET] = ticket;
    }
    var r = await call("GET", API + "/api/v1/subjects/" + encodeURIComponent(subject) + "/head", h);
    if (r.status !== 200) {
      return { status: r.status };
    }
    var head = JSON.parse(r.body);
    if (!head || head.subject !== subject) {
      return { status: 502 };
    }
    head.status = 200;
    return head;
  }

  // reject marks entries[i] refused, with the server's message, never to
  // be sent again, and moves the subject's receipts after it onto the one
  // before it: none of them was sent (a receipt is sent only once its
  // predecessor is acknowledged), so none is known under its old hash.
  async function reject(dev, entries, i, reply) {
    var e = entries[i];
    var a = errorOf(reply.body);
    e.state = "rejected";
    e.rejectCode = a.code || String(reply.status);
    e.rejectMessage = "status " + reply.status + ": " + a.message;
    e.lastError = "";
    e.nextAttempt = "";
    var subject = subjectOf(e);
    var before = null;
    entries.slice(0, i).forEach(function (x) {
      if (subjectOf(x) === subject && x.state !== "rejected") {
        before = x;
      }
    });
    var prevHash = before ? before.hash : "";
    var prev = prevOf(before);
    var changed = [e];
    for (var j = i + 1; j < entries.length; j++) {
      var x = entries[j];
      if (subjectOf(x) !== subject || x.state === "rejected") {
        continue;
      }
      var k = await findKey(keyOf(x));
      if (!k) {
        throw new Error("outbox: the key that signed receipt " + x.id + " is gone");
      }
      await seal(x, rechain(x.envelope.receipt, prevHash, prev, requiredOf(x)), k);
      prevHash = x.hash;
      prev = prevOf(x);
      changed.push(x);
    }
    var next = { subject: dev.subject, head: subject === dev.subject ? prevHash : dev.head, seq: dev.seq };
    await save(dev, next, changed);
    tell(e.id, "rejected");
  }

  // --- reading ---------------------------------------------------------
  // download is the device's acknowledged receipts of its subject as a
  // receipt.History, which `kaiconn-verify -chain` checks whole when this
  // device made the subject's whole chain. Pending and rejected receipts
  // are left out, and so are those of a subject the device had before;
  // receipts the server attested or another browser signed are the
  // server's to give (/settings/privacy/receipts.json).
  async function download() {
    if (!(await exists())) {
      return JSON.stringify({ subject: "", receipts: [] }, null, 2);
    }
    var st = await load();
    var h = { subject: st.dev.subject, receipts: [] };
    st.entries.forEach(function (e) {
      if (e.state === "acknowledged" && subjectOf(e) === st.dev.subject) {
        h.receipts.push({ id: e.id, hash: e.hash, envelope: e.envelope, countersignature: e.countersignature, kid: e.kid, receivedAt: e.receivedAt });
      }
    });
    return JSON.stringify(h, null, 2);
  }

  async function pending() {
    if (!supported() || !(await exists())) {
      return 0;
    }
    var st = await load();
    return st.entries.filter(function (e) { return e.state === "pending"; }).length;
  }

  // --- the sender loop -------------------------------------------------
  // One flush at a time per page; a wake while one runs runs another after
  // it. Wakes: the page load, a new receipt, the "online" event, the
  // oldest pending receipt falling due, and every IDLE_POLL.
  var running = false, again = null, timer = 0;

  function wake(now) {
    if (running) {
      again = !!(again || now);
      return;
    }
    running = true;
    clearTimeout(timer);
    flush(now).then(function (next) {
      return next;
    }, function (err) {
      if (window.console) {
        console.warn("outbox:", err && err.message);
      }
      return Date.now() + IDLE_POLL;
    }).then(function (next) {
      running = false;
      if (again !== null) {
        var n = again;
        again = null;
        wake(n);
        return;
      }
      var wait = next ? Math.min(Math.max(next - Date.now(), 0), IDLE_POLL) : IDLE_POLL;
      timer = setTimeout(function () { wake(false); }, wait);
    });
  }

  window.kaiconnOutbox = { supported: supported, record: record, download: download, pending: pending };

  if (supported()) {
    window.addEventListener("online", function () {
      exists().then(function (yes) { if (yes) { wake(true); } });
    });
    exists().then(function (yes) { if (yes) { wake(true); } });
  }
})();
