// Follows a background job (templates/_job_progress.html): polls its JSON
// status and moves the bar while it runs, then reloads the page once it has
// finished so that the server renders the result (a download, a table, the error).
(function () {
  "use strict";
  var box = document.querySelector("[data-job-status-url]");
  if (!box) { return; }
  var url = box.getAttribute("data-job-status-url");
  var doneKey = box.getAttribute("data-job-done-key");
  var totalKey = box.getAttribute("data-job-total-key");
  var bar = box.querySelector(".progress");
  function finished(s) { return s === "done" || s === "failed"; }
  function show(field, value) { box.querySelector('[data-job-field="' + field + '"]').textContent = value; }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error("job status: HTTP " + r.status); }
        return r.json();
      })
      .then(function (job) {
        if (finished(job.status)) { window.location.reload(); return; }
        show("status", job.status);
        show("done", job[doneKey]);
        show("total", job[totalKey]);
        bar.firstElementChild.style.width = job.percent + "%";
        bar.setAttribute("aria-valuenow", job.percent);
        setTimeout(poll, 1000);
      })
      // A restart or a network blip: keep following, a little more slowly.
      .catch(function () { setTimeout(poll, 5000); });
  }
  if (!finished(box.getAttribute("data-job-status"))) { setTimeout(poll, 500); }
})();
