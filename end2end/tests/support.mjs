// Shared helpers for the end-to-end specs: server URL, the system Chromium, retries and polling.
// (Not a spec itself: `node --test end2end/tests` only runs files named *.test.mjs.)
import { chromium } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

export const BASE_URL = (process.env.ED_E2E_BASE_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
export const MODE = process.env.ED_E2E_MODE ?? 'local';
export const CHROMIUM = process.env.ED_E2E_CHROMIUM ?? '/usr/bin/chromium';
export const RESULTS_DIR = fileURLToPath(new URL('../test-results/', import.meta.url));

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function url(path) {
  return BASE_URL + (path.startsWith('/') ? path : `/${path}`);
}

/** Waits until GET /healthz answers 2xx (the server may still be starting). */
export async function waitForServer(timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url('/healthz'), { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err.cause?.code ?? err.message;
    }
    await sleep(250);
  }
  throw new Error(`${BASE_URL}/healthz did not answer within ${timeoutMs} ms (last: ${last})`);
}

/**
 * The system Chromium. launch() runs it with a fresh temporary profile (--user-data-dir) that is
 * deleted on close; playwright-core never downloads a browser.
 */
export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/** A context with sane timeouts plus a record of page errors and failed requests for diagnostics. */
export async function newContext(browser, options = {}) {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(20_000);
  context.setDefaultNavigationTimeout(30_000);
  return context;
}

export function watchPage(page) {
  const problems = { pageErrors: [], failedRequests: [], badResponses: [], console: [] };
  page.on('pageerror', (err) => problems.pageErrors.push(err.message));
  page.on('requestfailed', (req) => {
    const why = req.failure()?.errorText ?? '';
    // ERR_ABORTED: the page navigated on (a form submit, a link) before the load finished — not a failure.
    if (!why.includes('ERR_ABORTED')) problems.failedRequests.push(`${req.url()}: ${why}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) problems.badResponses.push(`${res.status()} ${res.url()}`);
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') problems.console.push(`${msg.type()}: ${msg.text()}`);
  });
  problems.describe = () =>
    [
      problems.pageErrors.length ? `page errors: ${problems.pageErrors.join(' | ')}` : '',
      problems.failedRequests.length ? `failed requests: ${problems.failedRequests.join(' | ')}` : '',
      problems.badResponses.length ? `HTTP errors: ${problems.badResponses.join(' | ')}` : '',
      problems.console.length ? `console: ${problems.console.slice(0, 10).join(' | ')}` : '',
    ]
      .filter(Boolean)
      .join('\n');
  return problems;
}

/** page.goto that retries while the server does not accept connections yet. */
export async function gotoWithRetry(page, path, { timeoutMs = 60_000, ...options } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await page.goto(url(path), { waitUntil: 'load', ...options });
    } catch (err) {
      const retriable = /ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|ERR_CONNECTION_RESET|ERR_SOCKET_NOT_CONNECTED/.test(err.message);
      if (!retriable || Date.now() > deadline) throw err;
      await sleep(250);
    }
  }
}

/**
 * Polls `probe` (an async function, run in node: no eval inside the page, which the app's CSP forbids)
 * until it returns a truthy value; throws with `describe()` after `timeoutMs`.
 */
export async function poll(probe, { timeoutMs = 20_000, intervalMs = 100, describe = () => '' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const detail = await describe();
      throw new Error(
        `timed out after ${timeoutMs} ms${detail ? `: ${detail}` : ''}${lastError ? `\nlast error: ${lastError.message}` : ''}`,
      );
    }
    await sleep(intervalMs);
  }
}

export async function ensureResultsDir() {
  await mkdir(RESULTS_DIR, { recursive: true });
  return RESULTS_DIR;
}

async function flashText(page) {
  const el = page.locator('[data-testid=flash]');
  return (await el.count()) ? (await el.first().innerText()).trim() : '';
}

async function submitForm(page, form) {
  await Promise.all([page.waitForNavigation(), page.click(`${form} button[type=submit]`)]);
  return flashText(page);
}

/** Gives the signed-in admin a plan without a project limit: every spec creates a project as that
 * admin, and the default plan allows only a few. */
export async function liftProjectLimit(page, adminEmail) {
  await gotoWithRetry(page, '/admin/plans');
  await page.fill('form[data-testid=create-plan] input[name=name]', `e2e ${randomBytes(3).toString('hex')}`);
  const created = await submitForm(page, 'form[data-testid=create-plan]');
  const name = created.match(/Plan “(.+)” created/)?.[1];
  if (!name) throw new Error(`no plan created: ${created}`);
  await gotoWithRetry(page, '/admin');
  const assign = page.locator('[data-testid=user-row]', { hasText: adminEmail }).locator('form:has(select[name=plan_id])');
  await assign.locator('select').selectOption({ label: name });
  await Promise.all([page.waitForNavigation(), assign.locator('button').click()]);
  const assigned = await flashText(page);
  if (!/Plan assigned/.test(assigned)) throw new Error(`plan not assigned: ${assigned}`);
}

/** Creates a project as the signed-in admin, lifting the plan's project limit when it is reached. */
export async function createProject(page, { name, slug, adminEmail }) {
  for (let attempt = 0; ; attempt++) {
    await gotoWithRetry(page, '/projects');
    await page.fill('form[data-testid=create-project] input[name=name]', name);
    await page.fill('form[data-testid=create-project] input[name=slug]', slug);
    const flash = await submitForm(page, 'form[data-testid=create-project]');
    if (/created/i.test(flash)) return;
    if (attempt > 0) throw new Error(`the project was not created: ${flash}`);
    await liftProjectLimit(page, adminEmail);
  }
}
