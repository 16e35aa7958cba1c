// outbox-chain.js (part of outbox.js): the outbox's entries and the rules
// that move a receipt onto another chain head. The rules are the server's
// (package consentreceipt), which cannot run here: the device rechains
// receipts the server has not seen yet. Vectors shared with the Go tests:
// testdata/scripts/chain.json.

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

// sameAudience is consentreceipt.SameAudience: the app's surfaces share
// one audience, the website's banner has its own. The server checks the
// receipt by its own copy of the rule, so the two are held to the same
// cases (testdata/scripts/chain.json, with rechain's below).
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
