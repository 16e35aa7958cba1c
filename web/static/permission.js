//kc:include parts/host.js
//
// permission.js tells the host app what the person chose on /permission,
// the page the app shows before the operating system asks for a device
// permission (docs/privacy-centre.md). It sends exactly one message per page,
// {type: "permission", permission, choice, at}, as every message goes to the
// host (hostPost, parts/host.js). It needs no wasm; the page loads none.
(function () {
  "use strict";
  var sent = false;

  // Clicks are taken on the document, so a control that is rendered again
  // keeps working, and a choice counts once however often it is pressed.
  document.addEventListener("click", function (e) {
    var button = e.target && e.target.closest ? e.target.closest("[data-permission-choice]") : null;
    var page = document.querySelector("[data-permission]");
    if (!button || !page) {
      return;
    }
    var choice = button.getAttribute("data-permission-choice");
    // A page for a refused purpose has no Continue; if one appeared there
    // all the same, it would send nothing.
    if (choice !== "later" && !(choice === "continue" && page.getAttribute("data-state") === "ask")) {
      return;
    }
    e.preventDefault();
    if (sent) {
      return;
    }
    sent = true;
    var posted = hostPost({
      type: "permission",
      permission: page.getAttribute("data-permission"),
      choice: choice,
      at: new Date().toISOString()
    });
    var buttons = document.querySelectorAll("[data-permission-choice]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].disabled = true;
    }
    page.setAttribute("data-chosen", choice);
    var status = document.getElementById("kc-permission-status");
    if (status) {
      status.textContent = page.getAttribute(posted ? "data-sent" : "data-no-host");
    }
  });
})();
