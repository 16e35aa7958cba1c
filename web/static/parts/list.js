// list.js (part): a list kept in localStorage, as the queues keep what
// waits for the server (bridge.js: kc_gate_queue; embed.js:
// kc_consent_queue). It is read again at each use, so two tabs do not undo
// each other's changes; without storage (disabled, full, a private mode
// that throws) it lives in this page's memory.

// storedList returns {read, write, update} for the JSON array under key.
function storedList(key) {
  var memory = [];
  function read() {
    try {
      var q = JSON.parse(localStorage.getItem(key) || "[]");
      return Array.isArray(q) ? q : [];
    } catch (e) {
      return memory.slice();
    }
  }
  function write(q) {
    memory = q.slice();
    try {
      if (q.length) {
        localStorage.setItem(key, JSON.stringify(q));
      } else {
        localStorage.removeItem(key);
      }
    } catch (e) { /* kept in memory */ }
  }
  // update reads the list, lets fn change it in place and writes it back.
  function update(fn) {
    var q = read();
    fn(q);
    write(q);
    return q;
  }
  return { read: read, write: write, update: update };
}
