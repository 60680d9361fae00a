// fairclick pages: copy buttons and charts. No inline scripts (the CSP forbids them);
// chart data comes from <script type="application/json"> blocks rendered by the server.
(function () {
  "use strict";

  function setupCopy(root) {
    root.querySelectorAll("button[data-copy]").forEach(function (button) {
      if (button.dataset.ready) return;
      button.dataset.ready = "1";
      button.addEventListener("click", function () {
        var input = document.getElementById(button.dataset.copy);
        if (!input) return;
        var done = function () {
          var label = button.textContent;
          button.textContent = button.dataset.copied || "Copied";
          button.setAttribute("aria-live", "polite");
          setTimeout(function () { button.textContent = label; }, 2000);
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(input.value).then(done, function () {
            input.select(); document.execCommand("copy"); done();
          });
        } else {
          input.select(); document.execCommand("copy"); done();
        }
      });
    });
  }

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function setupCharts() {
    if (typeof Chart === "undefined") return;
    var reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    var clicks = readJson("clicks-chart-data");
    if (clicks) {
      new Chart(document.getElementById("clicks-chart"), {
        type: "bar",
        data: {
          labels: clicks.labels,
          datasets: [
            { label: clicks.rawLabel, data: clicks.raw, backgroundColor: "#9ca3af" },
            { label: clicks.validLabel, data: clicks.valid, backgroundColor: "#1d4e89" }
          ]
        },
        options: { animation: reduce ? false : {}, maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
      });
    }
    var share = readJson("share-chart-data");
    if (share) {
      new Chart(document.getElementById("share-chart"), {
        type: "bar",
        data: { labels: share.labels, datasets: [{ label: share.label, data: share.share, backgroundColor: "#b42318" }] },
        options: { animation: reduce ? false : {}, maintainAspectRatio: false, scales: { y: { beginAtZero: true, max: 100 } } }
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupCopy(document);
    setupCharts();
  });
  document.addEventListener("htmx:afterSwap", function (event) { setupCopy(event.target); });
})();
