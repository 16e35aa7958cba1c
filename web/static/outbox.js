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
  var DB = "kaiconn-outbox";
  var DB_VERSION = 1;
  var LOCK = "kaiconn-outbox";
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
  var BACKOFF_BASE = 1000;
  var BACKOFF_CAP = 5 * 60 * 1000;
  var IDLE_POLL = 60 * 1000; // picks up what another tab stored and could not send

  function supported() {
    return !!(window.indexedDB && window.crypto && window.crypto.subtle);
  }

  // --- canonical JSON (RFC 8785) ---------------------------------------
  // JCS is defined from ECMAScript's own serialisation: strings and
  // integers as JSON.stringify writes them, object members sorted by their
  // UTF-16 code units (Array.prototype.sort's default order). A receipt
  // holds nothing else (no floats), so this is all of it.
  function canonical(v) {
    if (Array.isArray(v)) {
      return "[" + v.map(canonical).join(",") + "]";
    }
    if (v !== null && typeof v === "object") {
      var keys = Object.keys(v).filter(function (k) { return v[k] !== undefined; }).sort();
      return "{" + keys.map(function (k) { return JSON.stringify(k) + ":" + canonical(v[k]); }).join(",") + "}";
    }
    if (typeof v === "number" && !Number.isSafeInteger(v)) {
      throw new Error("outbox: canonical JSON of a receipt holds integers only");
    }
    return JSON.stringify(v);
  }

  function utf8(s) { return new TextEncoder().encode(s); }

  function b64url(buf) {
    var bytes = new Uint8Array(buf), s = "";
    for (var i = 0; i < bytes.length; i++) {
      s += String.fromCharCode(bytes[i]);
    }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  async function sha256Hex(bytes) {
    var sum = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    return Array.prototype.map.call(sum, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }

  // --- IndexedDB -------------------------------------------------------
  // Database "kaiconn-outbox", version 1: object store "device" holds the
  // device state under "device" (a JSON string {subject, head, seq}), the
  // current key under "key" and each earlier key under "key:" + its x;
  // object store "entries" holds one row {id, seq, json} per receipt.
  var dbPromise = null;

  function request(r) {
    return new Promise(function (ok, fail) {
      r.onsuccess = function () { ok(r.result); };
      r.onerror = function () { fail(r.error); };
    });
  }

  function done(tx) {
    return new Promise(function (ok, fail) {
      tx.oncomplete = function () { ok(); };
      tx.onabort = function () { fail(tx.error || new Error("outbox: transaction aborted")); };
      tx.onerror = function () { /* onabort follows */ };
    });
  }

  function openDB() {
    if (!dbPromise) {
      dbPromise = new Promise(function (ok, fail) {
        var r = indexedDB.open(DB, DB_VERSION);
        r.onupgradeneeded = function () {
          var db = r.result;
          if (!db.objectStoreNames.contains("device")) {
            db.createObjectStore("device");
          }
          if (!db.objectStoreNames.contains("entries")) {
            db.createObjectStore("entries", { keyPath: "id" });
          }
        };
        r.onsuccess = function () { ok(r.result); };
        r.onerror = function () { fail(r.error); };
      });
      dbPromise.catch(function () { dbPromise = null; });
    }
    return dbPromise;
  }

  // exists tells whether this browser already has an outbox, without
  // creating one: a page load must not start a database for a person who
  // has decided nothing. A browser that cannot list its databases opens it.
  async function exists() {
    if (dbPromise) {
      return true;
    }
    if (!indexedDB.databases) {
      return true;
    }
    try {
      var list = await indexedDB.databases();
      return list.some(function (d) { return d.name === DB; });
    } catch (e) {
      return true;
    }
  }

  function parseDevice(v) {
    var d = { subject: "", head: "", seq: 0 };
    if (typeof v === "string") {
      var x = JSON.parse(v);
      d.subject = x.subject || "";
      d.head = x.head || "";
      d.seq = x.seq || 0;
    }
    return d;
  }

  async function load() {
    var db = await openDB();
    var tx = db.transaction(["device", "entries"], "readonly");
    var dev = request(tx.objectStore("device").get("device"));
    var rows = request(tx.objectStore("entries").getAll());
    await done(tx);
    var entries = (await rows).map(function (r) { return JSON.parse(r.json); });
    entries.sort(function (a, b) { return a.seq - b.seq; });
    return { dev: parseDevice(await dev), entries: entries };
  }

  // save writes entries and, when next is given, the device state, in one
  // transaction; when expect is given and the stored device state differs,
  // it writes nothing and fails: another tab extended the chain meanwhile.
  // (The Web Lock keeps tabs out; this guards browsers without it.)
  async function save(expect, next, entries) {
    var db = await openDB();
    var tx = db.transaction(["device", "entries"], "readwrite");
    var devices = tx.objectStore("device");
    var conflict = false;
    var get = devices.get("device");
    get.onsuccess = function () {
      if (expect) {
        var cur = parseDevice(get.result);
        if (cur.subject !== expect.subject || cur.head !== expect.head || cur.seq !== expect.seq) {
          conflict = true;
          tx.abort();
          return;
        }
      }
      var store = tx.objectStore("entries");
      (entries || []).forEach(function (e) {
        store.put({ id: e.id, seq: e.seq, json: JSON.stringify(e) });
      });
      if (next) {
        devices.put(JSON.stringify({ subject: next.subject, head: next.head, seq: next.seq }), "device");
      }
    };
    try {
      await done(tx);
    } catch (e) {
      throw conflict ? new Error("outbox: device: changed by another tab") : e;
    }
  }

  // locked runs fn holding the Web Lock every tab of the origin shares, so
  // two tabs never extend the chain or send the same receipt at once.
  function locked(fn) {
    if (navigator.locks && navigator.locks.request) {
      return navigator.locks.request(LOCK, fn);
    }
    return fn();
  }

  // --- device keys -----------------------------------------------------
  // A key record is {alg, jwk (a JSON string), privateKey, publicKey}; the
  // private key is a non-extractable CryptoKey, so not even this script can
  // copy it out. Ed25519 where the browser has it, ECDSA P-256 otherwise.
  async function generateKey() {
    var usages = ["sign", "verify"], alg = "EdDSA", pair;
    try {
      pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, usages);
    } catch (e) {
      alg = "ES256";
      pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, usages);
    }
    var x = await crypto.subtle.exportKey("jwk", pair.publicKey);
    // Only the members RFC 7638 thumbprints cover: no ext, no key_ops.
    var jwk = { kty: x.kty, crv: x.crv, x: x.x };
    if (typeof x.y === "string") {
      jwk.y = x.y;
    }
    return { alg: alg, jwk: JSON.stringify(jwk), privateKey: pair.privateKey, publicKey: pair.publicKey };
  }

  function signer(rec) {
    if (!rec) {
      return null;
    }
    var jwk = JSON.parse(rec.jwk);
    return { alg: rec.alg, jwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, priv: rec.privateKey, pub: rec.publicKey };
  }

  async function loadKey(name) {
    var db = await openDB();
    var tx = db.transaction(["device"], "readonly");
    var r = request(tx.objectStore("device").get(name));
    await done(tx);
    return signer(await r);
  }

  // currentKey loads the device key, creating it on the first decision.
  async function currentKey() {
    var k = await loadKey("key");
    if (k) {
      return k;
    }
    var rec = await generateKey();
    var db = await openDB();
    var tx = db.transaction(["device"], "readwrite");
    // add, not put: when another tab created a key meanwhile, its key wins.
    tx.objectStore("device").add(rec, "key").onerror = function (ev) { ev.preventDefault(); };
    await done(tx).catch(function () {});
    k = await loadKey("key");
    if (!k) {
      throw new Error("outbox: the device key was not stored");
    }
    return k;
  }

  // rotateKey makes a new key current and keeps the old one under its own
  // name, in one transaction: a key signs for one subject only.
  async function rotateKey() {
    var rec = await generateKey();
    var db = await openDB();
    var tx = db.transaction(["device"], "readwrite");
    var store = tx.objectStore("device");
    var get = store.get("key");
    get.onsuccess = function () {
      if (get.result) {
        store.put(get.result, "key:" + JSON.parse(get.result.jwk).x);
      }
      store.put(rec, "key");
    };
    await done(tx);
    return loadKey("key");
  }

  function sameJWK(a, b) {
    return !!a && !!b && a.kty === b.kty && a.crv === b.crv && a.x === b.x && (a.y || "") === (b.y || "");
  }

  async function findKey(jwk) {
    var cur = await loadKey("key");
    if (cur && sameJWK(cur.jwk, jwk)) {
      return cur;
    }
    var old = await loadKey("key:" + jwk.x);
    return old && sameJWK(old.jwk, jwk) ? old : null;
  }

  function params(alg) {
    return alg === "ES256" ? { name: "ECDSA", hash: "SHA-256" } : { name: "Ed25519" };
  }

  // sign signs msg and checks the signature before it is used: a signature
  // that does not verify is never stored. ES256 signatures are the raw
  // r||s WebCrypto makes, as the receipt format asks.
  async function sign(k, msg) {
    var sig = await crypto.subtle.sign(params(k.alg), k.priv, msg);
    if (!(await crypto.subtle.verify(params(k.alg), k.pub, sig, msg))) {
      throw new Error("outbox: the device key's signature does not verify");
    }
    return b64url(sig);
  }

  // --- entries ---------------------------------------------------------
  // An entry is the Go outbox's Entry: {seq, id, hash, envelope, subject,
  // key, state, attempts, rebuilds, nextAttempt, lastError,
  // countersignature, kid, receivedAt, rejectCode, rejectMessage}; this
  // script adds v: 2, ticket and required, which the Go outbox kept in meta
  // and decision.
  function ticketOf(e) {
    return e.ticket || (e.meta && e.meta.ticket) || "";
  }

  function requiredOf(e) {
    if (e.required) {
      return e.required;
    }
    return ((e.decision && e.decision.choices) || []).filter(function (c) { return c.required; }).map(function (c) { return c.purpose; });
  }

  function subjectOf(e) { return e.subject || e.envelope.receipt.subject; }
  function keyOf(e) { return e.key || e.envelope.device.jwk; }
  function due(e) { return e.nextAttempt ? Date.parse(e.nextAttempt) || 0 : 0; }

  async function seal(e, receipt, k) {
    var sig = await sign(k, utf8(canonical(receipt)));
    e.envelope = { attestation: "device", receipt: receipt, device: { alg: k.alg, jwk: k.jwk, sig: sig } };
    e.id = receipt.id;
    e.subject = receipt.subject;
    e.key = k.jwk;
    e.hash = await sha256Hex(utf8(canonical(e.envelope)));
    return e;
  }

  function sameAudience(a, b) {
    return (a === "web-banner") === (b === "web-banner");
  }

  function statesOf(receipt) {
    var s = {};
    receipt.purposes.forEach(function (p) { s[p.id] = p.state; });
    return s;
  }

  // rechain returns receipt moved onto prevHash, after the receipt prev
  // ({surface, states}; null when the chain starts there). What a purpose
  // not given now is depends on prev: withdrawn when prev, on the same
  // audience, gave it, refused otherwise; and a withdrawal that gives an
  // optional purpose prev did not give is an update. Those are the rules
  // the server checks (consentreceipt.Check); nothing else changes. Any
  // other state the server wrote (necessary, for processing that rests on
  // no consent) depends on no chain and stays as the order has it.
  function rechain(receipt, prevHash, prev, required) {
    var r = JSON.parse(JSON.stringify(receipt));
    var gave = function (id) {
      return !!prev && sameAudience(prev.surface, r.surface) && prev.states[id] === "given";
    };
    r.prevHash = prevHash;
    r.purposes.forEach(function (p) {
      if (p.state === "refused" || p.state === "withdrawn") {
        p.state = gave(p.id) ? "withdrawn" : "refused";
      }
    });
    if (r.decision === "withdrawn" && r.purposes.some(function (p) {
      return p.state === "given" && required.indexOf(p.id) < 0 && !gave(p.id);
    })) {
      r.decision = "updated";
    }
    return r;
  }

  function prevOf(e) {
    return e ? { surface: e.envelope.receipt.surface, states: statesOf(e.envelope.receipt) } : null;
  }

  function sameDecision(a, b) {
    return a.issuedAt === b.issuedAt && a.surface === b.surface &&
      canonical(a.purposes.map(function (p) { return [p.id, p.state === "given"]; })) ===
      canonical(b.purposes.map(function (p) { return [p.id, p.state === "given"]; }));
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

  // delay is the wait after the n-th consecutive failure: half the doubling
  // schedule plus a random part of the other half, so devices that come
  // back online together do not retry in step.
  function delay(n) {
    var d = BACKOFF_BASE;
    for (var i = 1; i < n && d < BACKOFF_CAP; i++) {
      d *= 2;
    }
    d = Math.min(d, BACKOFF_CAP);
    return d / 2 + Math.random() * d / 2;
  }

  function retryLater(e, atLeast, why) {
    e.attempts = (e.attempts || 0) + 1;
    e.lastError = why;
    e.nextAttempt = new Date(Date.now() + Math.max(delay(e.attempts), atLeast)).toISOString();
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
          next = retryLater(e, 0, "network: no answer from the receipt service");
        } else if (reply.status >= 200 && reply.status < 300) {
          if (acknowledge(e, reply.body)) {
            await save(null, null, [e]);
            tell(e.id, "acknowledged");
            continue;
          }
          next = retryLater(e, 0, "acknowledgement: is not for this receipt");
        } else if (reply.status === 408 || reply.status === 429 || reply.status >= 500) {
          var after = (parseInt(reply.retryAfter, 10) || 0) * 1000;
          next = retryLater(e, after, "status " + reply.status + ": " + errorOf(reply.body).message);
        } else if (chainMoved(reply) && (e.rebuilds || 0) < MAX_REBUILDS) {
          if (await rebuild(dev, entries, i)) {
            continue;
          }
          next = retryLater(e, 0, "network: no answer from the receipt service while reading the subject's head");
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
