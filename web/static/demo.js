// The demo page's own script: a settings button that reopens the banner
// and a live view of the consent state, both through the public API.
(function () {
  "use strict";
  var out = document.getElementById("demo-state");
  function render(state) { out.textContent = JSON.stringify(state, null, 2); }
  document.addEventListener("kaiconn:consent", function (e) { render(e.detail); });
  document.getElementById("demo-settings").addEventListener("click", function () {
    if (window.KaiconnConsent) window.KaiconnConsent.show();
  });
  (function wait() {
    if (window.KaiconnConsent) render(window.KaiconnConsent.get());
    else setTimeout(wait, 50);
  })();
})();
