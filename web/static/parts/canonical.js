// canonical.js (part): the bytes a receipt is signed and hashed over:
// its canonical JSON (RFC 8785) and the encodings of signatures and hashes.
// Vectors shared with the Go tests: testdata/scripts/jcs.json.

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
