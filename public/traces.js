// Trace page: collapse/expand subtrees of the flat span list and load a span's details into
// the side panel without reloading. Rows are in depth-first order with data-depth, so a
// subtree is the run of following rows that are deeper. Without this script every span name
// is a plain link to ?span=… and the page still works.
(function () {
  function rows() { return document.querySelectorAll('.span-row'); }
  function depth(row) { return +row.dataset.depth; }

  // Re-apply visibility from each row's expanded state: one pass, O(n).
  function refresh() {
    var hideBelow = Infinity;
    rows().forEach(function (row) {
      var d = depth(row);
      if (d <= hideBelow) hideBelow = Infinity;
      row.hidden = d > hideBelow;
      if (!row.hidden && row.getAttribute('aria-expanded') === 'false') hideBelow = d;
    });
  }

  function setAll(expanded) {
    rows().forEach(function (row) {
      if (row.hasAttribute('aria-expanded')) row.setAttribute('aria-expanded', expanded ? 'true' : 'false');
    });
    if (!expanded) {
      // Keep the roots' children visible: collapse from depth 1 down.
      rows().forEach(function (row) { if (depth(row) === 0 && row.hasAttribute('aria-expanded')) row.setAttribute('aria-expanded', 'true'); });
    }
    refresh();
  }

  function select(link) {
    var row = link.closest('.span-row');
    var panel = document.getElementById('span-panel');
    var layout = document.querySelector('[data-trace-base]');
    if (!row || !panel || !layout) return false;
    var url = layout.dataset.traceBase + '/spans/' + row.dataset.span;
    panel.setAttribute('aria-busy', 'true');
    fetch(url, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (res) { if (!res.ok) throw new Error(res.status); return res.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var detail = doc.querySelector('[data-span-detail]');
        if (!detail) throw new Error('no detail');
        panel.replaceChildren(document.importNode(detail, true));
        document.querySelectorAll('.span-row.selected').forEach(function (r) { r.classList.remove('selected'); });
        row.classList.add('selected');
        history.replaceState(null, '', link.getAttribute('href'));
        panel.removeAttribute('aria-busy');
        if (panel.getBoundingClientRect().top < 0) panel.scrollIntoView({ block: 'start' });
      })
      .catch(function () { window.location.href = link.href; });
    return true;
  }

  document.addEventListener('click', function (e) {
    var toggle = e.target.closest('.span-toggle');
    if (toggle) {
      var row = toggle.closest('.span-row');
      row.setAttribute('aria-expanded', row.getAttribute('aria-expanded') === 'false' ? 'true' : 'false');
      refresh();
      return;
    }
    var all = e.target.closest('[data-tree]');
    if (all) { setAll(all.dataset.tree === 'expand'); return; }
    var link = e.target.closest('.span-link');
    if (link && !e.metaKey && !e.ctrlKey && !e.shiftKey && e.button === 0) {
      if (select(link)) e.preventDefault();
    }
  });
})();
