// retry.js (part): the one retry policy of every queue the scripts keep
// until the server acknowledges what they hold: the gate's decisions
// (bridge.js), the banner's choices (embed.js) and the device outbox's
// receipts (outbox.js). The schedule and the verdicts are vectors shared
// with the Go tests (testdata/scripts/retry.json).

// RETRY_BASE and RETRY_CAP bound the wait between attempts, in ms: 1 s,
// doubling after each failure in a row, at most a minute.
var RETRY_BASE = 1000;
var RETRY_CAP = 60000;

// retryDelay is the wait after the n-th failure in a row (n ≥ 1): half the
// doubling schedule plus a random part of the other half (equal jitter),
// so devices that come back online together do not retry in step; and
// never shorter than the server asked for in Retry-After (seconds, or an
// HTTP date). random is a number in [0, 1), Math.random() when omitted.
function retryDelay(n, retryAfter, random) {
  var d = RETRY_BASE;
  for (var i = 1; i < n && d < RETRY_CAP; i++) {
    d *= 2;
  }
  d = Math.min(d, RETRY_CAP);
  var r = typeof random === "number" ? random : Math.random();
  return Math.max(d / 2 + r * d / 2, retryAfterMs(retryAfter));
}

// retryAfterMs reads a Retry-After header as a wait in ms, 0 when absent or
// unreadable.
function retryAfterMs(v) {
  if (v === null || v === undefined || v === "") {
    return 0;
  }
  var s = String(v).trim();
  if (/^\d+$/.test(s)) {
    return Number(s) * 1000;
  }
  var at = Date.parse(s);
  return isNaN(at) ? 0 : Math.max(at - Date.now(), 0);
}

// retryVerdict says what a queue does with an answer: "done" for 2xx;
// "retry" for no answer (status 0), 408, 429, 5xx and any answer that
// carries Retry-After (the server's 409 for a subject whose chain is busy:
// nothing was stored and a retry is safe, docs/api.md); "refused" for any
// other answer, which sending again would only repeat (a forged ticket, a
// form the server refuses, an origin it does not serve): the item leaves
// the queue.
function retryVerdict(status, retryAfter) {
  if (status >= 200 && status < 300) {
    return "done";
  }
  if (!status || status === 408 || status === 429 || status >= 500 || (retryAfter !== null && retryAfter !== undefined && retryAfter !== "")) {
    return "retry";
  }
  return "refused";
}
