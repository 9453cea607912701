// Ledger dashboard: clicking a chart element (a month, a bar, a donut slice, a waterfall step)
// opens the dashboard cross-filtered by it. Each chart carries, in data-links, a JSON object
// from category name to the filtered URL (built on the server). Without this script the
// "Figures and records" tables under each chart link to the same records.
(function () {
  function wire() {
    if (!window.echarts) return;
    document.querySelectorAll('[data-echarts][data-links]').forEach(function (el) {
      var chart = window.echarts.getInstanceByDom(el);
      if (!chart) return;
      var links;
      try { links = JSON.parse(el.getAttribute('data-links')); } catch (e) { return; }
      chart.on('click', function (params) {
        var href = links[params.name];
        if (href) window.location.assign(href);
      });
      el.classList.add('cross-filter');
    });
  }
  // charts.js (loaded before, also deferred) has drawn the charts by now.
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', wire);
  else wire();
})();
