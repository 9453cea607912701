// Defects found from outside (issue 11), reproduced in Chromium as a person would meet them:
// the account page must not carry session tokens (another session is ended by its handle), and a
// sign-in form posted from another site must not sign the browser in (login CSRF).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { ADMIN, ensureAdmin, gotoWithRetry, MODE, newPage, pathname, press, signIn, url, useBrowser } from './support.mjs';

const TIMEOUT = { timeout: 120_000 };

let browser;
let shots;
useBrowser((b, dir) => {
  browser = b;
  shots = dir;
});

const sessionValues = async (page) => (await page.context().cookies(url('/'))).filter((c) => /session/.test(c.name)).map((c) => c.value);

test('the account page lists sessions by handle, never by token, and ends another one', TIMEOUT, async () => {
  const mine = await newPage(browser, { viewport: { width: 1280, height: 800 } });
  await ensureAdmin(mine);
  // A second session of the same person, in another browser.
  const other = await newPage(browser);
  await signIn(other, ADMIN.email, ADMIN.password);
  assert.ok(!pathname(other).startsWith('/login'), 'the second sign-in worked');
  const tokens = [...(await sessionValues(mine)), ...(await sessionValues(other))];
  assert.equal(tokens.length, 2, `one session cookie per browser: ${tokens}`);

  const res = await gotoWithRetry(mine, '/account');
  const html = await res.text();
  for (const token of tokens) assert.ok(!html.includes(token), 'a session token is in the account page');
  const dom = await mine.content();
  for (const token of tokens) assert.ok(!dom.includes(token), 'a session token is in the hydrated page');
  const rows = mine.locator('[data-testid=session-row]');
  assert.ok((await rows.count()) >= 2, 'both sessions are listed');
  await mine.screenshot({ path: join(shots, `security-sessions-${MODE}.png`), fullPage: true });

  // Every listed handle is a handle (SHA-256 of a label and the token, 128 bits), not a token.
  const handles = await rows.locator('input[name=session]').evaluateAll((els) => els.map((el) => el.value));
  assert.ok(handles.every((h) => /^[0-9a-f]{32}$/.test(h) && !tokens.includes(h)), `handles, not tokens: ${handles}`);
  const handleOf = (token) => createHash('sha256').update('elasticdash session handle\0').update(token).digest('hex').slice(0, 32);
  const [otherToken] = await sessionValues(other);
  assert.ok(handles.includes(handleOf(otherToken)), 'the other browser\'s session is listed by its handle');
  assert.match(await press(mine, `[data-testid=session-row]:has(input[value="${handleOf(otherToken)}"]) button`), /signed out/);
  await gotoWithRetry(other, '/account');
  assert.ok(pathname(other).startsWith('/login'), 'the other browser is signed out');
  await gotoWithRetry(mine, '/account');
  assert.equal(pathname(mine), '/account', 'this session goes on');
});

test('a sign-in form posted from another site does not sign the browser in', TIMEOUT, async () => {
  // The attacker's page, on another origin (another port of this machine).
  const evil = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><form id="f" method="post" action="${url('/auth/login')}">
      <input name="email" value="${ADMIN.email}"><input name="password" value="${ADMIN.password}"></form>
      <script>document.getElementById('f').submit()</script>`);
  });
  evil.listen(0, '127.0.0.1');
  await once(evil, 'listening');
  try {
    const victim = await newPage(browser);
    const answer = victim.waitForResponse((r) => r.url().endsWith('/auth/login'));
    await victim.goto(`http://localhost:${evil.address().port}/`);
    const res = await answer;
    assert.equal(res.status(), 403, `the cross-site sign-in answered ${res.status()}`);
    await victim.waitForLoadState();
    assert.match(await victim.locator('body').innerText(), /another site/);
    assert.deepEqual(await sessionValues(victim), [], 'no session cookie was set');
    await gotoWithRetry(victim, '/account');
    assert.ok(pathname(victim).startsWith('/login'), 'the browser is not signed in');
  } finally {
    evil.close();
  }
});
