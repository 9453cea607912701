// Draws every server-built chart: elements carry their ECharts option as JSON
// in data-echarts (see crates/app/src/components/charts.rs). No CDN: echarts
// is vendored in /vendor.
(function () {
  function draw() {
    if (!window.echarts) return;
    var dark = document.documentElement.dataset.theme === 'dark' ||
      (!document.documentElement.dataset.theme && window.matchMedia('(prefers-color-scheme: dark)').matches);
    document.querySelectorAll('[data-echarts]').forEach(function (el) {
      try {
        var option = JSON.parse(el.getAttribute('data-echarts'));
        option.backgroundColor = 'transparent';
        var chart = window.echarts.init(el, dark ? 'dark' : null, { renderer: 'svg' });
        chart.setOption(option);
        window.addEventListener('resize', function () { chart.resize(); });
        el.dataset.rendered = 'true';
      } catch (e) {
        el.textContent = 'This chart could not be drawn.';
      }
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', draw);
  else draw();
})();
