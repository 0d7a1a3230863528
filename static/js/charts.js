// Draws every <canvas data-chart="ID"> from the JSON in <script type="application/json" id="ID">.
// The table beside each chart holds the same numbers, so without JavaScript nothing is lost.
(function () {
  "use strict";

  // Okabe–Ito palette: distinguishable with colour-blindness, dark enough on white.
  var COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
                "#000000", "#8C564B", "#7F7F7F", "#B8860B", "#1F4E79"];

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || typeof window.Chart === "undefined") { return; }
    var spec;
    try { spec = JSON.parse(source.textContent); } catch (e) { return; }
    var line = spec.type === "line";
    var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    var datasets = spec.series.map(function (s, i) {
      var color = COLORS[i % COLORS.length];
      return {
        label: s.label, data: s.data, borderColor: color, borderWidth: line ? 2 : 1,
        backgroundColor: line ? color : color + "CC", pointRadius: line ? 3 : 0, tension: 0.2,
        cubicInterpolationMode: "monotone"  // curves never dip below a zero count
      };
    });
    var index = spec.horizontal ? "y" : "x";
    var value = spec.horizontal ? "x" : "y";
    var scales = {};
    scales[index] = { stacked: !!spec.stacked, ticks: { color: "#212529" } };
    scales[value] = { stacked: !!spec.stacked, beginAtZero: true, ticks: { color: "#212529" } };
    new window.Chart(canvas, {
      type: line ? "line" : "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: index, responsive: true, maintainAspectRatio: false,
        animation: reduced ? false : { duration: 300 },
        plugins: { legend: { position: "bottom", labels: { color: "#212529" } } },
        scales: scales
      }
    });
  }

  function drawAll() {
    var canvases = document.querySelectorAll("canvas[data-chart]");
    for (var i = 0; i < canvases.length; i++) { draw(canvases[i]); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
