// Test cases end to end, against the fake target application (crates/fake-target, started by
// scripts/test.sh; its URL in ED_FAKE_TARGET_URL): a trace of the app is seeded through OTLP, a
// case is made from it, reviewed and approved, run against the fake app (which continues the
// runner's traceparent and exports its LLM spans back to this server), passes; the app's answer
// changes, the next run fails, a step is overridden by hand, two runs are compared, and a suite
// runs and shows its report. Screenshots (desktop and phone) go to end2end/test-results/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BASE_URL, createProject, ensureAdmin, hex, MODE, newContext, poll, press, url, useBrowser, watchPage } from './support.mjs';

const TIMEOUT = { timeout: 300_000 };
const FAKE_TARGET = (process.env.ED_FAKE_TARGET_URL ?? '').replace(/\/+$/, '');
const SLUG = `tests-${hex(4)}`;
const QUESTION = 'How long do refunds take?';
const INTENT = 'intent: refund';
const ANSWER = 'Refunds take 5 business days.';
const CHANGED = 'Refunds are no longer possible.';
const PHONE = { width: 390, height: 844 };

let browser;
let shots;
useBrowser((b, dir) => {
  browser = b;
  shots = dir;
});

const str = (key, value) => ({ key, value: { stringValue: value } });
const int = (key, value) => ({ key, value: { intValue: String(value) } });

/** A recorded request to the fake app: the root span names its URL, two LLM calls below it. */
function appTrace(traceId) {
  const ns = (ms) => String(BigInt(Math.round(ms)) * 1_000_000n);
  const start = Date.now() - 60_000;
  const root = hex(8);
  const llm = (offset, output) => ({
    traceId, spanId: hex(8), parentSpanId: root, name: 'chat gpt-4o-mini', kind: 3,
    startTimeUnixNano: ns(start + offset), endTimeUnixNano: ns(start + offset + 400),
    attributes: [
      str('gen_ai.operation.name', 'chat'),
      str('gen_ai.system', 'openai'),
      str('gen_ai.request.model', 'gpt-4o-mini'),
      int('gen_ai.usage.input_tokens', 30),
      int('gen_ai.usage.output_tokens', 8),
      str('input.value', QUESTION),
      str('output.value', output),
    ],
    status: { code: 1 },
  });
  return [
    {
      traceId, spanId: root, name: 'POST /chat', kind: 2,
      startTimeUnixNano: ns(start), endTimeUnixNano: ns(start + 1200),
      attributes: [
        str('url.full', `${FAKE_TARGET}/chat`),
        str('http.request.method', 'POST'),
        str('input.value', JSON.stringify({ message: QUESTION })),
        str('output.value', JSON.stringify({ answer: ANSWER })),
      ],
      status: { code: 1 },
    },
    llm(100, INTENT),
    llm(600, ANSWER),
  ];
}

async function sendSpans(secret, spans) {
  const body = { resourceSpans: [{ resource: { attributes: [str('service.name', 'fake-target')] }, scopeSpans: [{ scope: { name: 'e2e' }, spans }] }] };
  const res = await fetch(url('/v1/traces'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, `OTLP export: ${res.status} ${await res.text()}`);
}

/** Tells the fake app how to behave (POST /_answer, see crates/fake-target). */
async function configureTarget(settings) {
  const res = await fetch(`${FAKE_TARGET}/_answer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(settings) });
  assert.ok(res.ok, `fake target /_answer: HTTP ${res.status}`);
}

/** Reloads `path` until its run (or suite run) status is final; returns that status. */
async function waitFinal(p, path, problems) {
  return poll(
    async () => {
      await p.goto(url(path), { waitUntil: 'load' });
      const status = await p.locator('[data-testid=run-status]').first().getAttribute('data-status');
      return ['success', 'failed', 'cancelled'].includes(status) ? status : null;
    },
    { timeoutMs: 60_000, intervalMs: 1_000, describe: async () => `${path}: ${await p.locator('main').innerText().catch(() => '')}\n${problems.describe()}` },
  );
}

async function shot(p, name) {
  await p.screenshot({ path: join(shots, `testcases-${MODE}-${name}.png`), fullPage: true });
}

async function phoneShot(context, path, name) {
  const phone = await context.newPage();
  await phone.setViewportSize(PHONE);
  await phone.goto(url(path), { waitUntil: 'load' });
  await phone.screenshot({ path: join(shots, `testcases-${MODE}-${name}-phone.png`), fullPage: true });
  await phone.close();
}

test('test cases: from a trace, approve, run against the fake app, failure, override, compare, suite report', TIMEOUT, async () => {
  assert.ok(FAKE_TARGET, 'ED_FAKE_TARGET_URL is not set: scripts/test.sh starts the fake target app (crates/fake-target)');
  const context = await newContext(browser, { viewport: { width: 1400, height: 1000 } });
  const p = await context.newPage();
  const problems = watchPage(p);
  await ensureAdmin(p);

  // A project and an ingest key, through the UI.
  await createProject(p, { name: 'Refund bot', slug: SLUG });
  await p.goto(url(`/projects/${SLUG}/settings`));
  await p.fill('form[data-testid=create-key] input[name=name]', 'e2e ingest');
  await press(p, 'form[data-testid=create-key] button[type=submit]');
  const secret = (await p.locator('[data-testid=new-secret]').innerText()).trim();
  const [publicKey, secretKey] = secret.split(':');

  // The fake app answers like the recorded trace and sends its spans to this project.
  await configureTarget({ ingest_url: BASE_URL, public_key: publicKey, secret_key: secretKey, outputs: [INTENT, ANSWER], export: 'before', status: 200, delay_ms: 0 });

  // A recorded trace of the app, then a case made from it on the trace page.
  const traceId = hex(16);
  await sendSpans(secret, appTrace(traceId));
  const tracePath = `/projects/${SLUG}/traces/${traceId}`;
  await poll(async () => {
    await p.goto(url(tracePath), { waitUntil: 'load' });
    return (await p.locator('[data-testid=trace-to-test]').count()) > 0;
  }, { timeoutMs: 30_000, intervalMs: 500, describe: problems.describe });
  assert.match(await press(p, '[data-testid=trace-to-test]'), /created from the trace/);
  const casePath = new URL(p.url()).pathname;
  assert.match(casePath, new RegExp(`^/projects/${SLUG}/tests/[0-9a-f-]+$`));
  assert.equal(await p.locator('[data-testid=step]').count(), 2, 'one step per LLM call of the trace');
  assert.match(await p.locator('[data-testid=target-summary]').innerText(), new RegExp(`POST ${FAKE_TARGET}/chat`));
  assert.equal(await p.locator('[data-testid=case-status]').first().getAttribute('data-status'), 'draft');
  await shot(p, 'case-draft');

  // Review: draft → review → approved, with a reviewer's comment.
  assert.match(await press(p, '[data-testid=review-review]'), /in review/i);
  await p.fill('form[data-testid=review-form] textarea[name=comment]', 'Matches what support expects.');
  assert.match(await press(p, '[data-testid=review-approved]'), /approved/i);
  assert.equal(await p.locator('[data-testid=case-status]').first().getAttribute('data-status'), 'approved');
  assert.match(await p.locator('[data-testid=comments]').innerText(), /Matches what support expects/);

  // First run: the app answers as recorded, every step passes.
  assert.match(await press(p, '[data-testid=run-case]'), /Run started/);
  const firstRun = new URL(p.url()).pathname;
  assert.match(firstRun, /\/tests\/runs\//);
  assert.equal(await waitFinal(p, firstRun, problems), 'success', `first run: ${await p.locator('main').innerText()}`);
  assert.equal((await p.locator('[data-testid=steps-passed]').innerText()).trim(), '2/2');
  assert.match(await p.locator('[data-testid=run-trace]').getAttribute('href'), new RegExp(`/projects/${SLUG}/traces/[0-9a-f]{32}$`));
  await shot(p, 'run-passed');

  // The app's answer changes: the second run fails on the last step, with a reason.
  await configureTarget({ answer: CHANGED });
  await p.goto(url(casePath));
  await press(p, '[data-testid=run-case]');
  const secondRun = new URL(p.url()).pathname;
  assert.equal(await waitFinal(p, secondRun, problems), 'failed');
  const failing = p.locator('[data-testid=run-step][data-passed=false]');
  assert.equal(await failing.count(), 1, 'exactly the changed step fails');
  assert.match(await failing.locator('[data-testid=observed]').innerText(), /no longer possible/);
  assert.match(await failing.locator('[data-testid=expected]').innerText(), /5 business days/);
  assert.ok((await failing.locator('[data-testid=reasons] li').count()) > 0, 'the failure says why');
  await shot(p, 'run-failed');

  // A person overrides the failing step: the run becomes a success and shows who and why.
  await failing.locator('[data-testid=override-open]').click();
  await failing.locator('form[data-testid=override-form] input[name=passed][value=true]').check();
  await failing.locator('form[data-testid=override-form] textarea[name=comment]').fill('Policy changed on purpose.');
  assert.match(await press(p, '[data-testid=run-step][data-passed=false] [data-testid=override-save]'), /overridden; the run is now passed/);
  assert.match(await p.locator('[data-testid=override]').innerText(), /Passed by hand by admin@example\.com/);
  assert.equal(await p.locator('[data-testid=run-status]').first().getAttribute('data-status'), 'success');
  await shot(p, 'run-overridden');
  await phoneShot(context, secondRun, 'run');

  // History and comparison of the two runs.
  await p.goto(url(casePath));
  assert.equal(await p.locator('[data-testid=run-row]').count(), 2);
  // Newest first: the older run as A, the newer as B.
  await p.locator('[data-testid=run-row]').nth(1).locator('input[name=a]').check();
  await p.locator('[data-testid=run-row]').nth(0).locator('input[name=b]').check();
  await shot(p, 'case-approved');
  await phoneShot(context, casePath, 'case');
  await Promise.all([p.waitForNavigation(), p.click('[data-testid=compare]')]);
  // The form's fields come in table order (b may precede a): check the parameters, not their order.
  const compared = new URL(p.url());
  assert.match(compared.pathname, /\/tests\/compare$/);
  assert.ok(compared.searchParams.get('a') && compared.searchParams.get('b'), p.url());
  assert.equal(await p.locator('[data-testid=compare-step][data-changed=true]').count(), 1, 'the answer step changed');
  await shot(p, 'compare');

  // A suite with the approved case, run from the list; its report shows the failure first.
  await p.goto(url(`/projects/${SLUG}/tests`));
  assert.equal(await p.locator('[data-testid=case-row]').count(), 1);
  await p.click('[data-testid=new-suite] summary');
  await p.fill('form[data-testid=create-suite] input[name=name]', 'Smoke');
  await p.locator('form[data-testid=create-suite] input[name=case_ids]').first().check();
  assert.match(await press(p, 'form[data-testid=create-suite] button[type=submit]'), /Suite “Smoke” created with 1 test case\./);
  await shot(p, 'cases');
  await phoneShot(context, `/projects/${SLUG}/tests`, 'cases');
  assert.match(await press(p, '[data-testid=run-suite]'), /Suite run started: 1 test case/);
  const report = new URL(p.url()).pathname;
  assert.match(report, /\/tests\/suite-runs\//);
  await poll(async () => {
    await p.goto(url(report), { waitUntil: 'load' });
    return (await p.locator('[data-testid=suite-progress]').count()) === 0;
  }, { timeoutMs: 60_000, intervalMs: 1_000, describe: problems.describe });
  assert.equal((await p.locator('[data-testid=count-failed]').innerText()).trim(), '1');
  assert.match(await p.locator('[data-testid=pass-rate]').innerText(), /0%/);
  assert.match(await p.locator('[data-testid=report-row] [data-testid=failures]').first().innerText(), /step 2/);
  await shot(p, 'suite-report');
  await phoneShot(context, report, 'suite-report');

  // The list links to the latest report.
  await p.goto(url(`/projects/${SLUG}/tests`));
  assert.equal(new URL(await p.locator('[data-testid=suite-report-link]').first().getAttribute('href'), BASE_URL).pathname, report);

  assert.equal(problems.pageErrors.length, 0, problems.describe());
  await context.close();
});
