/* The provider dashboard's earnings chart, on Chart.js. The figures come from the canvas's
 * data-chart attribute ({labels, datasets: [{currency, data}]}, amounts in major units): the CSP
 * forbids inline script. The chart's box is hidden in the HTML and shown here, so a page without
 * JavaScript shows the table only.
 */
(function () {
  "use strict";

  var COLOURS = ["#b5432f", "#2e6f8e", "#2e8b57", "#8e6b2e"];

  function formatter(currency) {
    try {
      return new Intl.NumberFormat(document.documentElement.lang || undefined, { style: "currency", currency: currency });
    } catch (error) {
      return { format: function (value) { return value + " " + currency; } };
    }
  }

  function draw(canvas) {
    var figures = JSON.parse(canvas.dataset.chart);
    var box = canvas.closest("[data-js-only]");
    if (box) box.hidden = false;
    var formats = {};
    var datasets = figures.datasets.map(function (set, index) {
      formats[set.currency] = formatter(set.currency);
      return {
        label: set.currency,
        data: set.data,
        backgroundColor: COLOURS[index % COLOURS.length],
        borderRadius: 3,
      };
    });
    var single = datasets.length === 1 ? formats[datasets[0].label] : null;
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: figures.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: datasets.length > 1 },
          tooltip: {
            callbacks: {
              label: function (item) {
                return formats[item.dataset.label].format(item.parsed.y);
              },
            },
          },
        },
        scales: {
          y: {
            beginAtZero: true,
            ticks: {
              callback: function (value) {
                return single ? single.format(value) : value;
              },
            },
          },
        },
      },
    });
    canvas.dataset.drawn = "true";
  }

  function start() {
    var canvas = document.getElementById("earnings-chart");
    if (canvas && window.Chart) draw(canvas);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
