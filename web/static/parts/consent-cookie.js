// consent-cookie.js (part): reads a kc_consent value in the format the
// server writes (banner/cookie.go, docs/banner.md):
// v1.<policy version>.<granted ids joined by _>.<unix s>.<receipt id>.<mac>.
// The mac is the server's to check (the key never leaves it); the script
// only needs to know which categories a value grants. Vectors shared with
// the Go tests: testdata/scripts/consent-cookie.json.

var CONSENT_COOKIE = /^v1\.(\d{4}-(?:0[1-9]|1[0-2]))\.([a-z][a-z0-9-]*(?:_[a-z][a-z0-9-]*)*)\.([1-9][0-9]{0,10})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.[A-Za-z0-9_-]{43}$/;

// consentCookieFields returns {version, granted, at (unix s), receipt} of
// a well-formed value, or null: anything else, a category listed twice and
// a value longer than the server reads (512 bytes) included.
function consentCookieFields(v) {
  if (typeof v !== "string" || v.length > 512) {
    return null;
  }
  var m = CONSENT_COOKIE.exec(v);
  if (!m) {
    return null;
  }
  var granted = m[2].split("_");
  for (var i = 0; i < granted.length; i++) {
    if (granted.indexOf(granted[i]) !== i) {
      return null;
    }
  }
  return { version: m[1], granted: granted, at: +m[3], receipt: m[4] };
}
