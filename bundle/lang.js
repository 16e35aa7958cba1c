// lang.js is the script of a surface's index.html in the app bundle
// (docs/bundle.md): it opens the page of the language asked for (?lang=,
// else the bundle's first language), and on the permission surface the
// page of ?p=, passing every other query parameter (?state=) and the
// fragment on.
(function () {
  "use strict";
  var langs = (document.documentElement.getAttribute("data-langs") || "").split(" ");
  var q = new URLSearchParams(location.search);
  var lang = q.get("lang");
  if (langs.indexOf(lang) < 0) {
    lang = langs[0];
    q.set("lang", lang);
  }
  var target = lang + ".html";
  var p = q.get("p");
  if (p !== null) {
    if (!/^[a-z0-9-]+$/.test(p)) {
      return;
    }
    target = p + "/" + target;
  }
  location.replace(target + "?" + q.toString() + location.hash);
})();
