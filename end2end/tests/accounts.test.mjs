// Accounts end to end: the first admin, a plan and a user; the user's forced
// password change, a project and an API key; an analyst who cannot edit; the
// audit trail and its chain. One story, in order; on a fresh server it creates the first admin
// through /setup, else it signs in as that admin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  addMember,
  changePassword,
  createUser,
  ensureAdmin,
  flashText,
  gotoWithRetry,
  hex,
  MODE,
  newPage,
  pathname,
  signIn,
  submitForm,
  url,
  useBrowser,
} from './support.mjs';

const TIMEOUT = { timeout: 120_000 };
// Unique per run, so the spec can run again on the same server, before or after the others.
const RUN = hex(3);
const USER = { email: `user-${RUN}@example.com`, temporary: 'temporary passphrase', password: 'my own passphrase 42' };
const ANALYST = { email: `analyst-${RUN}@example.com`, temporary: 'analyst temporary 7', password: 'analyst passphrase 7' };
const PLAN = `Team ${RUN}`;
// The slug is left for the server to derive from the name.
const PROJECT = { name: `Support Bot ${RUN}`, slug: `support-bot-${RUN}` };

let browser;
let shots;
useBrowser((b, dir) => {
  browser = b;
  shots = dir;
});

const page = () => newPage(browser, { viewport: { width: 1280, height: 800 } });

test('admin, user, project, key, analyst and audit', TIMEOUT, async () => {
  // The first visitor creates the administrator (unless another spec already did: then it signs in).
  const admin = await page();
  if (await ensureAdmin(admin)) assert.match(pathname(admin), /^\/projects/);

  // A plan, then two users.
  await admin.goto(url('/admin/plans'));
  await admin.fill('form[data-testid=create-plan] input[name=name]', PLAN);
  await admin.fill('form[data-testid=create-plan] input[name=projects]', '5');
  assert.match(await submitForm(admin, 'form[data-testid=create-plan]'), new RegExp(`Plan “${PLAN}” created`));
  await admin.screenshot({ path: join(shots, `admin-plans-${MODE}.png`), fullPage: true });
  for (const u of [USER, ANALYST]) assert.match(await createUser(admin, u.email, u.temporary), /created/);
  await admin.screenshot({ path: join(shots, `admin-users-${MODE}.png`), fullPage: true });

  // The user must change the temporary password before anything else.
  const user = await page();
  await signIn(user, USER.email, USER.temporary);
  await gotoWithRetry(user, '/projects');
  assert.equal(pathname(user), '/account', 'redirected to change the password');
  assert.equal(await user.locator('[data-testid=must-change]').count(), 1);
  assert.match(await changePassword(user, USER.temporary, USER.password), /Password changed/);

  // A project, an analyst member, an API key shown once.
  await user.goto(url('/projects'));
  await user.fill('form[data-testid=create-project] input[name=name]', PROJECT.name);
  assert.match(await submitForm(user, 'form[data-testid=create-project]'), new RegExp(`Project “${PROJECT.name}” created`));
  assert.match(await addMember(user, PROJECT.slug, ANALYST.email, 'analyst'), /Members updated/);
  await user.fill('form[data-testid=create-key] input[name=name]', 'production ingest');
  assert.match(await submitForm(user, 'form[data-testid=create-key]'), /Copy its secret now/);
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
  await gotoWithRetry(analyst, `/projects/${PROJECT.slug}/settings`);
  assert.equal(await analyst.locator('form[action$="/settings"]').count(), 0, 'no settings form for analysts');
  const forged = await analyst.context().request.post(url(`/projects/${PROJECT.slug}/settings`), {
    form: { name: 'Hacked', description: '' },
    headers: { origin: new URL(analyst.url()).origin },
    maxRedirects: 0,
  });
  assert.equal(forged.status(), 303);
  await analyst.goto(new URL(forged.headers().location, analyst.url()).href);
  assert.match(await flashText(analyst), /permission/);
  // Without our Origin the same post is refused outright (CSRF defence).
  const crossSite = await analyst.context().request.post(url(`/projects/${PROJECT.slug}/settings`), {
    form: { name: 'Hacked', description: '' },
    headers: { origin: 'http://evil.example' },
    maxRedirects: 0,
  });
  assert.equal(crossSite.status(), 403);

  // The audit trail shows it all and its chain verifies.
  await admin.goto(url('/admin/audit?verify=1'));
  assert.equal(await admin.locator('[data-testid=chain-ok]').count(), 1, 'the chain verifies');
  const actions = await admin.locator('[data-testid=audit-row] td:nth-child(4)').allInnerTexts();
  for (const a of ['plan.create', 'user.create', 'user.password_change', 'project.create', 'member.add', 'api_key.create']) {
    assert.ok(actions.includes(a), `${a} in the audit trail: ${actions.join(', ')}`);
  }
  await admin.screenshot({ path: join(shots, `audit-${MODE}.png`), fullPage: true });
  // The first admin's creation may lie pages back when other specs ran first: filter for it.
  await admin.goto(url('/admin/audit?action=user.create_first_admin'));
  assert.deepEqual(await admin.locator('[data-testid=audit-row] td:nth-child(4)').allInnerTexts(), ['user.create_first_admin']);
});
