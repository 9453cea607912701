// Ledger dashboard of a fresh project: the empty state, filters that live in the URL (the back
// button returns to the previous filter), the page without JavaScript, and no script errors
// under the CSP. With uploaded records (filters, cross-filter, drill-down, exports) it is
// covered by datasets.test.mjs; KPI figures against hand sums in tests/api_dashboards.rs.
// Screenshots go to end2end/test-results/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createProject, ensureAdmin, hex, newContext, url, useBrowser, watchPage } from './support.mjs';

const TIMEOUT = { timeout: 180_000 };
const SLUG = `ledger-${hex(4)}`;

let browser;
let shots;
useBrowser((b, dir) => {
  browser = b;
  shots = dir;
});

test('a new project shows the empty dashboard; filters live in the URL', TIMEOUT, async () => {
  const context = await newContext(browser, { viewport: { width: 390, height: 844 } });
  const p = await context.newPage();
  const problems = watchPage(p);
  await ensureAdmin(p);
  await createProject(p, { name: 'Ledger e2e', slug: SLUG });

  await p.goto(url(`/projects/${SLUG}/dashboards`));
  assert.match(await p.locator('[data-testid=dashboard-empty]').innerText(), /No ledger records yet.*datasets page/s);
  await p.screenshot({ path: join(shots, 'dashboards-empty-phone.png'), fullPage: true });

  // Nothing to filter yet: only the message. A filter in the URL shows the form with it chosen;
  // Back returns to the unfiltered page.
  assert.equal(await p.locator('form[data-testid=dashboard-filters]').count(), 0);
  await p.goto(url(`/projects/${SLUG}/dashboards?dataset=ds-1`));
  assert.match(await p.locator('[data-testid=dashboard-empty]').innerText(), /match these filters/);
  assert.deepEqual(await p.locator('select[data-testid=filter-dataset]').evaluate((s) => [...s.selectedOptions].map((o) => o.value)), ['ds-1']);
  await p.goBack();
  assert.equal(new URL(p.url()).search, '');
  assert.equal(problems.describe(), '', 'no script or HTTP errors');

  // Without JavaScript the same URL renders the same page.
  const cookies = await context.cookies();
  const noJs = await newContext(browser, { javaScriptEnabled: false });
  await noJs.addCookies(cookies);
  const q = await noJs.newPage();
  await q.goto(url(`/projects/${SLUG}/dashboards?dataset=ds-1&from=2024-01`));
  assert.match(await q.locator('[data-testid=dashboard-empty]').innerText(), /match these filters/);
  await noJs.close();
  await context.close();
});
