// Ledger dashboard of a fresh project: the empty state, filters that live in the URL (the back
// button returns to the previous filter), the page without JavaScript, and no script errors
// under the CSP. With uploaded records (filters, cross-filter, drill-down, exports) it is
// covered by datasets.test.mjs; KPI figures against hand sums in tests/api_dashboards.rs.
// Screenshots go to end2end/test-results/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ensureResultsDir, gotoWithRetry, launchBrowser, newContext, url, waitForServer, watchPage } from './support.mjs';

const TIMEOUT = { timeout: 180_000 };
// The first administrator (the accounts spec creates the same one when it runs first).
const ADMIN = { email: 'admin@example.com', password: 'admin passphrase 2026' };
const SLUG = `ledger-${randomBytes(4).toString('hex')}`;

let browser;
let shots;
before(async () => {
  await waitForServer();
  browser = await launchBrowser();
  shots = await ensureResultsDir();
});
after(async () => browser?.close());

async function submit(p, formSelector) {
  await Promise.all([p.waitForNavigation(), p.click(`${formSelector} button[type=submit]`)]);
}

async function signInAdmin(p) {
  await gotoWithRetry(p, '/setup');
  if (await p.locator('form[data-testid=setup-form]').count()) {
    await p.fill('form[data-testid=setup-form] input[name=name]', 'Ada Admin');
    await p.fill('form[data-testid=setup-form] input[name=email]', ADMIN.email);
    await p.fill('form[data-testid=setup-form] input[name=password]', ADMIN.password);
    await p.fill('form[data-testid=setup-form] input[name=password_repeat]', ADMIN.password);
    await submit(p, 'form[data-testid=setup-form]');
    if (!new URL(p.url()).pathname.startsWith('/login')) return;
  }
  await gotoWithRetry(p, '/login');
  await p.fill('input[name=email]', ADMIN.email);
  await p.fill('input[name=password]', ADMIN.password);
  await Promise.all([p.waitForNavigation(), p.click('form[data-testid=login-form] button[type=submit]')]);
  assert.ok(!new URL(p.url()).pathname.startsWith('/login'), 'admin sign-in failed');
}

test('a new project shows the empty dashboard; filters live in the URL', TIMEOUT, async () => {
  const context = await newContext(browser, { viewport: { width: 390, height: 844 } });
  const p = await context.newPage();
  const problems = watchPage(p);
  await signInAdmin(p);
  await gotoWithRetry(p, '/projects');
  await p.fill('form[data-testid=create-project] input[name=name]', 'Ledger e2e');
  await p.fill('form[data-testid=create-project] input[name=slug]', SLUG);
  await submit(p, 'form[data-testid=create-project]');

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
