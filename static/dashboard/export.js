// Polls the export's status until it is done or failed, moving the bar.
(function () {
  "use strict";
  var box = document.getElementById("export");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  function finished(s) { return s === "done" || s === "failed"; }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        document.getElementById("export-status").textContent = job.status;
        document.getElementById("export-rows").textContent = job.rows_done + " of " + job.rows_total;
        document.getElementById("export-bar").style.width = job.percent + "%";
        document.querySelector(".progress").setAttribute("aria-valuenow", job.percent);
        document.getElementById("export-error").textContent = job.error || "";
        if (job.status === "done") { document.getElementById("export-download").hidden = false; }
        if (!finished(job.status)) { setTimeout(poll, 1000); }
      });
  }
  if (!finished(box.getAttribute("data-status"))) { setTimeout(poll, 500); }
})();
