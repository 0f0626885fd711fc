// Dashboard charts: read the unit's stored figures (reports:unit_json) and draw four
// Chart.js charts. The page is complete without this script (headline and table are
// server-rendered); when every chart is drawn the section gets data-charts="drawn".
(function () {
  "use strict";
  const root = document.getElementById("dashboard-charts");
  if (!root || !window.Chart) return;
  const labels = JSON.parse(document.getElementById("chart-labels").textContent);
  const STEP_COLOURS = { collect: "#0b6e4f", update: "#2563eb", police: "#b45309", sign: "#7c3aed" };
  const OUTCOME_COLOURS = ["#0b6e4f", "#34d399", "#b91c1c", "#f59e0b", "#64748b"];
  const MAX_UNITS = 15;

  // Charts are read and printed, not watched: no animation, so a print or a screenshot
  // shows them whole.
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;

  const dayLabel = (iso) => iso.slice(8, 10) + "/" + iso.slice(5, 7);
  const sum = (arrays) => arrays[0].map((_, i) => arrays.reduce((total, a) => total + (a[i] || 0), 0));
  const integerTicks = { beginAtZero: true, ticks: { precision: 0 } };

  function backlog(data) {
    const values = data.series.values;
    const steps = Object.keys(labels.steps);
    return new Chart(document.getElementById("chart-backlog"), {
      type: "bar",
      data: {
        labels: data.series.days.map(dayLabel),
        datasets: steps.map((step) => ({
          label: labels.steps[step],
          backgroundColor: STEP_COLOURS[step],
          data: sum(Object.keys(values).filter((name) => name.startsWith("backlog_" + step + "_"))
            .map((name) => values[name])),
        })),
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, ...integerTicks } } },
    });
  }

  function police(data) {
    const names = Object.keys(labels.police);
    return new Chart(document.getElementById("chart-police"), {
      type: "doughnut",
      data: {
        labels: names.map((name) => labels.police[name]),
        datasets: [{ data: names.map((name) => data.summary[name]), backgroundColor: OUTCOME_COLOURS }],
      },
      options: { plugins: { legend: { position: "right" } } },
    });
  }

  function signed(data) {
    return new Chart(document.getElementById("chart-signed"), {
      type: "bar",
      data: {
        labels: data.series.days.map(dayLabel),
        datasets: [{ label: labels.signed, backgroundColor: "#7c3aed", data: data.series.values.records_signed }],
      },
      options: { plugins: { legend: { display: false } }, scales: { y: integerTicks } },
    });
  }

  function overdue(data) {
    const units = data.children_overdue.slice(0, MAX_UNITS);
    return new Chart(document.getElementById("chart-overdue"), {
      type: "bar",
      data: {
        labels: units.length ? units.map((u) => u.name) : [labels.none],
        datasets: [{ label: labels.overdue, backgroundColor: "#b91c1c", data: units.map((u) => u.overdue) }],
      },
      options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: integerTicks } },
    });
  }

  fetch(root.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((response) => {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    .then((data) => {
      const charts = [backlog(data), police(data), signed(data), overdue(data)];
      root.dataset.charts = "drawn";
      root.dataset.chartCount = String(charts.length);
    })
    .catch(() => {
      root.dataset.charts = "failed";
      root.querySelector(".chart-error").hidden = false;
    });
})();
