// Draws every chart on the page from the figure embedded next to it, with the
// app's own plotly.js. A chart that fails to draw says so in place.
(function () {
  "use strict";
  function draw() {
    var plots = document.querySelectorAll(".plot[data-figure]");
    plots.forEach(function (el) {
      var data = document.getElementById(el.getAttribute("data-figure"));
      if (!data) { return; }
      var fig = JSON.parse(data.textContent);
      window.Plotly.newPlot(el, fig.data || [], fig.layout || {}, {
        responsive: true, displaylogo: false,
        modeBarButtonsToRemove: ["lasso2d", "select2d"]
      }).then(function () { el.setAttribute("data-drawn", "1"); });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
