// outbox-keys.js (part of outbox.js): the device keys, kept in the
// outbox's database, and the signatures they make.

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
