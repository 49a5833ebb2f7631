// Toggle a flag without reloading the page. The forms work without this
// script too (plain POST and redirect); the server checks the role either way.
(function () {
  "use strict";
  var status = document.getElementById("flag-status");

  function say(text, isError) {
    if (!status) return;
    status.textContent = text;
    status.className = isError ? "error" : "";
  }

  function render(form, enabled) {
    var row = form.closest("[data-flag]");
    var badge = row ? row.querySelector(".state .badge") : null;
    if (badge) {
      badge.textContent = enabled ? "on" : "off";
      badge.className = "badge " + (enabled ? "on" : "off");
    }
    form.querySelector("input[name=enabled]").value = enabled ? "false" : "true";
    form.querySelector("button[type=submit]").textContent = enabled ? "Turn off" : "Turn on";
    form.querySelector("input[name=reason]").value = "";
  }

  document.querySelectorAll("form.toggle[data-async]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.json().then(function (body) {
            if (!response.ok) throw new Error(body.error || body.detail || "The change was refused.");
            return body;
          });
        })
        .then(function (body) {
          render(form, body.enabled);
          say(body.message, false);
        })
        .catch(function (error) {
          say(error.message, true);
        })
        .finally(function () {
          button.disabled = false;
        });
    });
  });
})();
