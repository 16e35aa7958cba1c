// outbox-db.js (part of outbox.js): where the device outbox keeps its
// state, in IndexedDB, and the Web Lock every tab of the origin shares.
// The database, its stores and record shapes are the ones the Go outbox
// wrote, so a browser that already holds a key and pending receipts keeps
// them.

var DB = "kaiconn-outbox";
var DB_VERSION = 1;
var LOCK = "kaiconn-outbox";

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
