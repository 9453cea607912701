// Accounts end to end: the first admin, a plan and a user; the user's forced
// password change, a project and an API key; an analyst who cannot edit; the
// audit trail and its chain. One story, in order, on a fresh server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { MODE, ensureResultsDir, gotoWithRetry, launchBrowser, newContext, waitForServer } from './support.mjs';

const TIMEOUT = { timeout: 120_000 };
const ADMIN = { email: 'admin@example.com', password: 'admin passphrase 2026' };
const USER = { email: 'user@example.com', temporary: 'temporary passphrase', password: 'my own passphrase 42' };
const ANALYST = { email: 'analyst@example.com', temporary: 'analyst temporary 7', password: 'analyst passphrase 7' };

let browser;
let shots;
before(async () => {
  await waitForServer();
  browser = await launchBrowser();
  shots = await ensureResultsDir();
});
after(async () => browser?.close());

async function page() {
  const context = await newContext(browser, { viewport: { width: 1280, height: 800 } });
  return context.newPage();
}

async function flash(p) {
  const el = p.locator('[data-testid=flash]');
  return (await el.count()) ? (await el.first().innerText()).trim() : '';
}

async function signIn(p, email, password) {
  await gotoWithRetry(p, '/login');
  await p.fill('input[name=email]', email);
  await p.fill('input[name=password]', password);
  await Promise.all([p.waitForNavigation(), p.click('form[data-testid=login-form] button[type=submit]')]);
}

async function changePassword(p, from, to) {
  await p.fill('form[data-testid=password-form] input[name=current]', from);
  await p.fill('form[data-testid=password-form] input[name=new]', to);
  await p.fill('form[data-testid=password-form] input[name=repeat]', to);
  return submit(p, 'form[data-testid=password-form]');
}

async function submit(p, formSelector) {
  await Promise.all([p.waitForNavigation(), p.click(`${formSelector} button[type=submit]`)]);
  return flash(p);
}

test('admin, user, project, key, analyst and audit', TIMEOUT, async () => {
  // The first visitor creates the administrator.
  const admin = await page();
  await gotoWithRetry(admin, '/setup');
  await admin.fill('form[data-testid=setup-form] input[name=name]', 'Ada Admin');
  await admin.fill('form[data-testid=setup-form] input[name=email]', ADMIN.email);
  await admin.fill('form[data-testid=setup-form] input[name=password]', ADMIN.password);
  await admin.fill('form[data-testid=setup-form] input[name=password_repeat]', ADMIN.password);
  await submit(admin, 'form[data-testid=setup-form]');
  assert.match(new URL(admin.url()).pathname, /^\/projects/);

  // A plan, then two users.
  await admin.goto(new URL('/admin/plans', admin.url()).href);
  await admin.fill('form[data-testid=create-plan] input[name=name]', 'Team');
  await admin.fill('form[data-testid=create-plan] input[name=projects]', '5');
  assert.match(await submit(admin, 'form[data-testid=create-plan]'), /Plan “Team” created/);
  await admin.screenshot({ path: join(shots, `admin-plans-${MODE}.png`), fullPage: true });
  await admin.goto(new URL('/admin', admin.url()).href);
  for (const [u, pw] of [[USER, USER.temporary], [ANALYST, ANALYST.temporary]]) {
    await admin.fill('form[data-testid=create-user] input[name=email]', u.email);
    await admin.fill('form[data-testid=create-user] input[name=password]', pw);
    assert.match(await submit(admin, 'form[data-testid=create-user]'), /created/);
  }
  await admin.screenshot({ path: join(shots, `admin-users-${MODE}.png`), fullPage: true });

  // The user must change the temporary password before anything else.
  const user = await page();
  await signIn(user, USER.email, USER.temporary);
  await gotoWithRetry(user, '/projects');
  assert.equal(new URL(user.url()).pathname, '/account', 'redirected to change the password');
  assert.equal(await user.locator('[data-testid=must-change]').count(), 1);
  assert.match(await changePassword(user, USER.temporary, USER.password), /Password changed/);

  // A project, an analyst member, an API key shown once.
  await user.goto(new URL('/projects', user.url()).href);
  await user.fill('form[data-testid=create-project] input[name=name]', 'Support Bot');
  assert.match(await submit(user, 'form[data-testid=create-project]'), /Project “Support Bot” created/);
  await user.goto(new URL('/projects/support-bot/settings', user.url()).href);
  await user.fill('form[data-testid=add-member] input[name=email]', ANALYST.email);
  await user.selectOption('form[data-testid=add-member] select[name=role]', 'analyst');
  assert.match(await submit(user, 'form[data-testid=add-member]'), /Members updated/);
  await user.fill('form[data-testid=create-key] input[name=name]', 'production ingest');
  assert.match(await submit(user, 'form[data-testid=create-key]'), /Copy its secret now/);
  const secret = (await user.locator('[data-testid=new-secret]').innerText()).trim();
  assert.match(secret, /^pk-ed-[0-9a-f]{16}:sk-ed-[0-9a-f]{64}$/);
  await user.screenshot({ path: join(shots, `project-settings-${MODE}.png`), fullPage: true });
  await user.reload();
  assert.equal(await user.locator('[data-testid=new-secret]').count(), 0, 'the secret is shown once');

  // The analyst reads but cannot edit: no edit form, and a forged post is refused.
  const analyst = await page();
  await signIn(analyst, ANALYST.email, ANALYST.temporary);
  await gotoWithRetry(analyst, '/account');
  assert.match(await changePassword(analyst, ANALYST.temporary, ANALYST.password), /Password changed/);
  await gotoWithRetry(analyst, '/projects/support-bot/settings');
  assert.equal(await analyst.locator('form[action$="/settings"]').count(), 0, 'no settings form for analysts');
  const forged = await analyst.context().request.post(new URL('/projects/support-bot/settings', analyst.url()).href, {
    form: { name: 'Hacked', description: '' },
    headers: { origin: new URL(analyst.url()).origin },
    maxRedirects: 0,
  });
  assert.equal(forged.status(), 303);
  await analyst.goto(new URL(forged.headers().location, analyst.url()).href);
  assert.match(await flash(analyst), /permission/);
  // Without our Origin the same post is refused outright (CSRF defence).
  const crossSite = await analyst.context().request.post(new URL('/projects/support-bot/settings', analyst.url()).href, {
    form: { name: 'Hacked', description: '' },
    headers: { origin: 'http://evil.example' },
    maxRedirects: 0,
  });
  assert.equal(crossSite.status(), 403);

  // The audit trail shows it all and its chain verifies.
  await admin.goto(new URL('/admin/audit?verify=1', admin.url()).href);
  assert.equal(await admin.locator('[data-testid=chain-ok]').count(), 1, 'the chain verifies');
  const actions = await admin.locator('[data-testid=audit-row] td:nth-child(4)').allInnerTexts();
  for (const a of ['user.create_first_admin', 'plan.create', 'user.create', 'user.password_change', 'project.create', 'member.add', 'api_key.create']) {
    assert.ok(actions.includes(a), `${a} in the audit trail: ${actions.join(', ')}`);
  }
  await admin.screenshot({ path: join(shots, `audit-${MODE}.png`), fullPage: true });
});
