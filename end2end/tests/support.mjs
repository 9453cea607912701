// Shared helpers for the end-to-end specs: server URL, the system Chromium, retries and polling.
// (Not a spec itself: `node --test end2end/tests` only runs files named *.test.mjs.)
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
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

/**
 * Polls `probe` until it returns the same value (compared as JSON) `samples` times in a row, e.g.
 * the geometry of an element whose CSS transition or chart animation is running; returns it.
 */
export async function waitForStable(probe, { samples = 3, intervalMs = 100, timeoutMs = 10_000, describe } = {}) {
  let last;
  let same = 0;
  const settled = await poll(
    async () => {
      const value = JSON.stringify(await probe()) ?? 'undefined';
      same = value === last ? same + 1 : 1;
      last = value;
      return same >= samples ? { value } : null;
    },
    { timeoutMs, intervalMs, describe: describe ?? (() => `still changing: ${last}`) },
  );
  return settled.value === 'undefined' ? undefined : JSON.parse(settled.value);
}

/**
 * The per-spec setup every browser spec shares: wait for the server, start Chromium and the
 * screenshot folder before the tests, close the browser after them. `ready(browser, shotsDir)`.
 */
export function useBrowser(ready) {
  let browser;
  before(async () => {
    await waitForServer();
    browser = await launchBrowser();
    ready(browser, await ensureResultsDir());
  });
  after(async () => browser?.close());
}

export async function ensureResultsDir() {
  await mkdir(RESULTS_DIR, { recursive: true });
  return RESULTS_DIR;
}

// ------------------------------------------------------------------ forms, accounts, sign-in

/** The first administrator every spec shares (created through /setup by whichever spec runs first). */
export const ADMIN = Object.freeze({ name: 'Ada Admin', email: 'admin@example.com', password: 'admin passphrase 2026' });

/** The text of the page's flash message, or '' when there is none. */
export async function flashText(page) {
  const el = page.locator('[data-testid=flash]');
  return (await el.count()) ? (await el.first().innerText()).trim() : '';
}

/** Clicks `button` (a selector) and waits for the form post's redirect to land; returns the flash. */
export async function press(page, button) {
  await Promise.all([page.waitForNavigation(), page.click(button)]);
  return flashText(page);
}

/** Submits the form `form` (a selector) with its submit button; returns the flash after the redirect. */
export async function submitForm(page, form) {
  return press(page, `${form} button[type=submit]`);
}

/** A fresh context (closed with the browser) and its page. */
export async function newPage(browser, options = {}) {
  const context = await newContext(browser, options);
  return context.newPage();
}

export const pathname = (page) => new URL(page.url()).pathname;

/** Signs in through the form at /login; returns the flash (an error message when it failed). */
export async function signIn(page, email, password) {
  await gotoWithRetry(page, '/login');
  await page.fill('form[data-testid=login-form] input[name=email]', email);
  await page.fill('form[data-testid=login-form] input[name=password]', password);
  return submitForm(page, 'form[data-testid=login-form]');
}

/** Where the admin's session cookies are kept between spec files (one file per server). */
const ADMIN_SESSION_FILE = join(tmpdir(), `elasticdash-e2e-admin-${createHash('sha256').update(BASE_URL).digest('hex').slice(0, 12)}.json`);

/** True when the page's browser context is signed in (GET /account is not sent to /login). */
async function signedIn(page) {
  await gotoWithRetry(page, '/account');
  return !pathname(page).startsWith('/login');
}

/**
 * Signs the page's context in as the first admin, as a person would keep one session across
 * tabs: the session cookies saved by an earlier spec are reused while the server still accepts
 * them (every spec signing in afresh would exhaust the default sign-in rate limit, 10 per 15
 * minutes per address). Otherwise creates the admin through /setup when the instance has none
 * (the setup form signs it in) or signs in through the form, and saves the cookies.
 * Throws with the page's message when signing in fails. Returns true when this call created the admin.
 */
export async function ensureAdmin(page) {
  const context = page.context();
  const saved = await readFile(ADMIN_SESSION_FILE, 'utf8').then(JSON.parse).catch(() => null);
  if (saved) {
    await context.addCookies(saved);
    if (await signedIn(page)) return false;
    await context.clearCookies();
  }
  let created = false;
  await gotoWithRetry(page, '/setup');
  if (await page.locator('form[data-testid=setup-form]').count()) {
    const form = 'form[data-testid=setup-form]';
    await page.fill(`${form} input[name=name]`, ADMIN.name);
    await page.fill(`${form} input[name=email]`, ADMIN.email);
    await page.fill(`${form} input[name=password]`, ADMIN.password);
    await page.fill(`${form} input[name=password_repeat]`, ADMIN.password);
    await submitForm(page, form);
    // Another spec may have created it between the page load and the post: sign in below.
    created = !pathname(page).startsWith('/setup') && !pathname(page).startsWith('/login');
  }
  if (!created) {
    const flash = await signIn(page, ADMIN.email, ADMIN.password);
    const answer = flash || (await page.locator('body').innerText().catch(() => '?')).slice(0, 300);
    if (!(await signedIn(page))) throw new Error(`admin sign-in failed: ${answer}`);
  }
  await writeFile(ADMIN_SESSION_FILE, JSON.stringify(await context.cookies(BASE_URL)));
  return created;
}

/** Fills and submits the change-password form at /account; returns the flash. */
export async function changePassword(page, from, to) {
  const form = 'form[data-testid=password-form]';
  await page.fill(`${form} input[name=current]`, from);
  await page.fill(`${form} input[name=new]`, to);
  await page.fill(`${form} input[name=repeat]`, to);
  return submitForm(page, form);
}

/**
 * Creates a user as the signed-in admin (at /admin, with a temporary password); returns the flash.
 * The user must change the password at the first sign-in: see `signInNewUser`.
 */
export async function createUser(page, email, temporaryPassword) {
  await gotoWithRetry(page, '/admin');
  const form = 'form[data-testid=create-user]';
  await page.fill(`${form} input[name=email]`, email);
  await page.fill(`${form} input[name=password]`, temporaryPassword);
  return submitForm(page, form);
}

/** Signs a user created by `createUser` in and replaces the temporary password by `password`. */
export async function signInNewUser(page, email, temporaryPassword, password) {
  const signedIn = await signIn(page, email, temporaryPassword);
  if (pathname(page).startsWith('/login')) throw new Error(`sign-in of ${email} failed: ${signedIn}`);
  await gotoWithRetry(page, '/account');
  const changed = await changePassword(page, temporaryPassword, password);
  if (!/Password changed/.test(changed)) throw new Error(`password change of ${email} failed: ${changed}`);
}

/** Adds `email` to the project `slug` with `role` (owner, editor, analyst) as a signed-in owner. */
export async function addMember(page, slug, email, role) {
  await gotoWithRetry(page, `/projects/${slug}/settings`);
  await page.fill('form[data-testid=add-member] input[name=email]', email);
  await page.selectOption('form[data-testid=add-member] select[name=role]', role);
  return submitForm(page, 'form[data-testid=add-member]');
}

/** A fresh random hex string of `bytes` bytes. */
export const hex = (bytes) => randomBytes(bytes).toString('hex');

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
export async function createProject(page, { name, slug, adminEmail = ADMIN.email }) {
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

/** Adds a provider key on the providers page open in `p` (a project's or the admin's). */
export async function addProvider(p, { name, vendor, baseUrl, apiKey, model }) {
  const form = 'form[data-testid=add-provider]';
  await p.fill(`${form} [name=name]`, name);
  await p.selectOption(`${form} select[name=vendor]`, vendor);
  await p.fill(`${form} [name=base_url]`, baseUrl);
  await p.fill(`${form} [name=api_key]`, apiKey);
  await p.fill(`${form} [name=default_model]`, model);
  const message = await submitForm(p, form);
  if (!/saved/i.test(message)) throw new Error(`provider ${name}: ${message}`);
}
