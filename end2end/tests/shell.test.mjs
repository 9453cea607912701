// The application shell, end to end, in the system Chromium against a running server.
//
//   ED_E2E_BASE_URL=http://127.0.0.1:3000 ED_E2E_MODE=embedded node --test end2end/tests
//
// scripts/test.sh starts the server twice (embedded and scale-out) and runs these specs against each;
// it also sets ED_E2E_EXPECT_BACKENDS (e.g. "sqlite,sqlite,file") so /readyz must name those backends.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  BASE_URL,
  MODE,
  ensureAdmin,
  ensureResultsDir,
  gotoWithRetry,
  launchBrowser,
  newContext,
  poll,
  url,
  waitForServer,
  watchPage,
} from './support.mjs';

const EXPECT_BACKENDS = process.env.ED_E2E_EXPECT_BACKENDS ?? '';
const NAV_LINKS = ['Projects', 'Traces', 'Tests', 'Knowledge base', 'Datasets', 'Dashboards'];
const TIMEOUT = { timeout: 90_000 };

let browser;

before(async () => {
  await waitForServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

const text = (s) => (s ?? '').replace(/\s+/g, ' ').trim();

/** Runs `fn(page, problems)` in a fresh context that is closed afterwards. */
async function withPage(options, fn) {
  const context = await newContext(browser, options);
  try {
    const page = await context.newPage();
    const problems = watchPage(page);
    return await fn(page, problems);
  } finally {
    await context.close();
  }
}

async function waitHydrated(page, problems) {
  const badge = page.locator('[data-testid=ready-badge]').first();
  await poll(async () => (await badge.getAttribute('data-hydrated')) === 'true', {
    timeoutMs: 30_000,
    describe: async () =>
      `the ready badge never hydrated (data-hydrated=${await badge.getAttribute('data-hydrated').catch(() => '?')})\n${problems.describe()}`,
  });
}

test('server-rendered shell: header with the nav links and the ready badge, without JavaScript', TIMEOUT, async () => {
  await withPage({ javaScriptEnabled: false }, async (page) => {
    const res = await gotoWithRetry(page, '/');
    assert.equal(res.status(), 200, `GET / answered ${res.status()}`);
    const html = await res.text();

    const header = page.locator('header.app-header');
    assert.equal(await header.count(), 1, 'exactly one header.app-header');
    const links = (await header.locator('a').allTextContents()).map(text);
    for (const name of NAV_LINKS) {
      assert.ok(links.includes(name), `nav link "${name}" missing; the header's links are ${JSON.stringify(links)}`);
    }
    assert.ok(!links.includes('Admin'), 'no Admin link for a visitor who is not an administrator');
    assert.match(html, /data-testid="?ready-badge"?/, 'the server-rendered HTML contains the ready badge');
    assert.ok((await page.locator('[data-testid=ready-badge]').count()) >= 1, 'ready badge in the DOM');
  });
  await withPage({}, async (page) => {
    await ensureAdmin(page);
    await gotoWithRetry(page, '/');
    const links = (await page.locator('header.app-header a').allTextContents()).map(text);
    assert.ok(links.includes('Admin'), `an administrator sees the Admin link; the header's links are ${JSON.stringify(links)}`);
  });
});

test('response headers of /: CSP without unsafe-eval, nosniff, a request id', TIMEOUT, async () => {
  const res = await fetch(url('/'));
  assert.equal(res.status, 200);
  const csp = res.headers.get('content-security-policy');
  assert.ok(csp, 'content-security-policy header present');
  // 'wasm-unsafe-eval' (needed to instantiate the island wasm) is fine; 'unsafe-eval' is not.
  const tokens = csp.split(/[\s;]+/);
  assert.ok(!tokens.includes("'unsafe-eval'"), `CSP allows 'unsafe-eval': ${csp}`);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.ok(res.headers.get('x-request-id'), 'x-request-id header present');
});

test('the ready island hydrates and its server function round-trips', TIMEOUT, async () => {
  await withPage({}, async (page, problems) => {
    await gotoWithRetry(page, '/');
    const loadedAt = Date.now();
    await waitHydrated(page, problems);

    const badge = page.locator('[data-testid=ready-badge]').first();
    const checkedAt = page.locator('[data-testid=ready-checked-at]').first();
    const before = text(await checkedAt.textContent());
    // The check time may have one-second resolution: let a second pass so a new check shows a new time.
    const wait = 1_100 - (Date.now() - loadedAt);
    if (wait > 0) await page.waitForTimeout(wait);

    const apiResponse = page.waitForResponse((res) => new URL(res.url()).pathname.startsWith('/api/'), { timeout: 20_000 });
    await page.locator('[data-testid=ready-refresh]').first().click();
    const res = await apiResponse;
    assert.ok(res.ok(), `server function ${res.url()} answered ${res.status()}`);

    await poll(
      async () => (await badge.getAttribute('data-state')) === 'ready' && text(await checkedAt.textContent()) !== before,
      {
        describe: async () =>
          `badge data-state=${await badge.getAttribute('data-state')}, checked-at still "${text(await checkedAt.textContent())}" (was "${before}")\n${problems.describe()}`,
      },
    );
    assert.deepEqual(problems.pageErrors, [], 'no uncaught errors in the page');
  });
});

test('readiness: /readyz reports three stores up, backends to administrators only; /status lists them', TIMEOUT, async () => {
  const res = await fetch(url('/readyz'));
  const raw = await res.text();
  assert.equal(res.status, 200, `/readyz answered ${res.status}: ${raw}`);
  const body = JSON.parse(raw);
  assert.equal(body.ready, true, raw);
  assert.ok(Array.isArray(body.stores), raw);
  assert.equal(body.stores.length, 3, raw);
  for (const store of body.stores) assert.equal(store.up, true, `store not up: ${JSON.stringify(store)}`);
  assert.equal(body.detailed, false, `a visitor must not learn the deployment: ${raw}`);
  assert.ok(body.stores.every((s) => s.backend === '' && !s.error), raw);

  await withPage({}, async (page, problems) => {
    const status = await gotoWithRetry(page, '/status');
    assert.equal(status.status(), 200, `GET /status answered ${status.status()}`);
    assert.equal(await page.locator('[data-testid=status-redacted]').count(), 1, 'visitors see the redacted status');

    await ensureAdmin(page);
    const admin = await page.request.get(url('/readyz'));
    const detailed = await admin.json();
    assert.equal(detailed.detailed, true, JSON.stringify(detailed));
    if (EXPECT_BACKENDS) {
      // Proves the mode really runs on the backends it claims (e.g. "postgres,clickhouse,s3").
      const backends = detailed.stores.map((s) => s.backend).sort();
      assert.deepEqual(backends, EXPECT_BACKENDS.split(',').map((b) => b.trim()).sort(), JSON.stringify(detailed));
    }
    await gotoWithRetry(page, '/status');
    const up = page.locator('[data-testid=store-row][data-up=true]');
    await poll(async () => (await up.count()) === 3, {
      describe: async () => {
        const rows = await page.locator('[data-testid=store-row]').evaluateAll((els) => els.map((el) => el.outerHTML));
        return `${await up.count()} store rows up; rows: ${rows.join('\n') || 'none'}\n${problems.describe()}`;
      },
    });
  });
});

test('an unknown URL answers 404 with the not-found page', TIMEOUT, async () => {
  await withPage({ javaScriptEnabled: false }, async (page) => {
    const res = await gotoWithRetry(page, `/no-such-page-${Date.now()}`);
    assert.equal(res.status(), 404, `unknown URL answered ${res.status()}`);
    assert.ok((await page.locator('[data-testid=not-found]').count()) >= 1, 'the page shows [data-testid=not-found]');
  });
});

test(`screenshot of the shell (${MODE})`, TIMEOUT, async () => {
  const dir = await ensureResultsDir();
  await withPage({ viewport: { width: 1280, height: 800 } }, async (page, problems) => {
    await gotoWithRetry(page, '/');
    const path = join(dir, `shell-${MODE}.png`);
    try {
      await waitHydrated(page, problems);
    } finally {
      // Taken even when hydration fails: the picture helps to see why.
      await page.screenshot({ path, fullPage: true, animations: 'disabled' });
      console.log(`screenshot: ${path} (${BASE_URL})`);
    }
  });
});
