// Trace explorer end to end: a project and an API key made in the browser, GenAI spans sent as
// OTLP/JSON to /v1/traces with that key, then the list (filter, search), a trace (tree, expand,
// span details), a session and the analytics dashboard. Screenshots go to end2end/test-results/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createProject, ensureAdmin, hex, MODE, newContext, poll, submitForm, url, useBrowser, watchPage } from './support.mjs';

const TIMEOUT = { timeout: 180_000 };
// Unique per run, so the spec can run again on the same server.
const SLUG = `traces-${hex(4)}`;

let browser;
let shots;
useBrowser((b, dir) => {
  browser = b;
  shots = dir;
});

const str = (key, value) => ({ key, value: { stringValue: value } });
const int = (key, value) => ({ key, value: { intValue: String(value) } });

/** One conversation turn: a root "support-chat" span, a retriever and an LLM call. */
function turn({ traceId, startMs, question, answer, model, user, session, error = false, inputTokens = 420, outputTokens = 96 }) {
  const ns = (ms) => String(BigInt(Math.round(ms)) * 1_000_000n);
  const root = hex(8);
  const messages = JSON.stringify([
    { role: 'system', content: 'You are a helpful support assistant.' },
    { role: 'user', content: question },
  ]);
  const reply = JSON.stringify([{ role: 'assistant', content: answer }]);
  return [
    {
      traceId, spanId: root, name: 'support-chat', kind: 2,
      startTimeUnixNano: ns(startMs), endTimeUnixNano: ns(startMs + 1800),
      attributes: [str('session.id', session), str('user.id', user), str('input.value', messages), str('output.value', reply), str('app.route', '/chat')],
      status: { code: error ? 2 : 1, message: error ? 'upstream model error' : '' },
    },
    {
      traceId, spanId: hex(8), parentSpanId: root, name: 'retrieve-docs', kind: 1,
      startTimeUnixNano: ns(startMs + 20), endTimeUnixNano: ns(startMs + 260),
      attributes: [str('openinference.span.kind', 'RETRIEVER'), str('input.value', question), int('retrieval.documents', 4)],
      status: {},
    },
    {
      traceId, spanId: hex(8), parentSpanId: root, name: `chat ${model}`, kind: 3,
      startTimeUnixNano: ns(startMs + 280), endTimeUnixNano: ns(startMs + 1750),
      attributes: [
        str('gen_ai.system', model.startsWith('claude') ? 'anthropic' : 'openai'),
        str('gen_ai.operation.name', 'chat'),
        str('gen_ai.request.model', model),
        int('gen_ai.usage.input_tokens', inputTokens),
        int('gen_ai.usage.output_tokens', outputTokens),
        str('input.value', messages),
        str('output.value', reply),
      ],
      status: error ? { code: 2, message: 'rate limit exceeded (429)' } : {},
    },
  ];
}

async function sendSpans(secret, spans) {
  const body = {
    resourceSpans: [{
      resource: { attributes: [str('service.name', 'support-bot'), str('deployment.environment.name', 'production')] },
      scopeSpans: [{ scope: { name: 'e2e' }, spans }],
    }],
  };
  const res = await fetch(url('/v1/traces'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, `OTLP export: ${res.status} ${await res.text()}`);
}

test('trace explorer: ingest, list, filter, search, trace tree, session, analytics', TIMEOUT, async () => {
  const context = await newContext(browser, { viewport: { width: 1400, height: 900 } });
  const p = await context.newPage();
  const problems = watchPage(p);
  await ensureAdmin(p);

  // A project and an ingest key, through the UI.
  await createProject(p, { name: 'Support bot', slug: SLUG });
  await p.goto(url(`/projects/${SLUG}/settings`));
  await p.fill('form[data-testid=create-key] input[name=name]', 'e2e ingest');
  assert.match(await submitForm(p, 'form[data-testid=create-key]'), /secret/i);
  const secret = (await p.locator('[data-testid=new-secret]').innerText()).trim();

  // Spans: four turns of one session, one of them failing, plus a Japanese question.
  const now = Date.now();
  const session = `sess-${hex(4)}`;
  const turns = [
    { question: 'How do I reset my password?', answer: 'Open Settings → Security and choose “Reset password”.', model: 'gpt-4o-mini', user: 'alice' },
    { question: 'And how do I enable two-factor authentication?', answer: 'In the same Security page, turn on “Two-factor authentication”.', model: 'gpt-4o-mini', user: 'alice' },
    { question: 'Can I export my invoices?', answer: 'The model call failed.', model: 'claude-3-5-haiku-latest', user: 'alice', error: true },
    { question: '請求書はどこでダウンロードできますか？', answer: '「請求」ページからダウンロードできます。', model: 'gpt-4o', user: 'kenji', outputTokens: 1200 },
  ];
  const ids = [];
  const spans = turns.flatMap((t, i) => {
    const traceId = hex(16);
    ids.push(traceId);
    return turn({ ...t, traceId, startMs: now - (turns.length - i) * 60_000, session });
  });
  await sendSpans(secret, spans);

  // The list: newest first, all four traces (ingestion is acknowledged once durable).
  await p.goto(url(`/projects/${SLUG}/traces`));
  await poll(async () => (await p.locator('[data-testid=trace-row]').count()) === 4 || (await p.reload(), false), {
    timeoutMs: 30_000,
    describe: async () => `rows: ${await p.locator('[data-testid=trace-row]').count()}`,
  });
  await p.screenshot({ path: join(shots, `traces-list-${MODE}.png`), fullPage: true });

  // Filter: errors only.
  await p.click('details.filter-more summary');
  await p.selectOption('[data-testid=status-filter]', 'error');
  await Promise.all([p.waitForNavigation(), p.click('[data-testid=apply-filters]')]);
  assert.match(p.url(), /status=error/, 'the filter is in the URL');
  assert.equal(await p.locator('[data-testid=trace-row]').count(), 1);

  // Search (CJK), with the status filter cleared.
  await p.goto(url(`/projects/${SLUG}/traces`));
  await p.fill('[data-testid=search]', '請求書');
  await Promise.all([p.waitForNavigation(), p.click('[data-testid=apply-filters]')]);
  assert.equal(await p.locator('[data-testid=trace-row]').count(), 1);
  assert.match(await p.locator('[data-testid=trace-row]').innerText(), /gpt-4o/);
  await p.screenshot({ path: join(shots, `traces-search-${MODE}.png`), fullPage: true });

  // Open the failing trace: tree, error highlighted, details of a span loaded in place.
  await p.goto(url(`/projects/${SLUG}/traces/${ids[2]}`));
  assert.equal(await p.locator('[data-testid=span-row]').count(), 3);
  assert.equal(await p.locator('.span-row.span-error').count(), 2);
  assert.match(await p.locator('[data-testid=span-detail]').innerText(), /rate limit exceeded|upstream model error/);
  // Collapse the root: its two children hide; expand again.
  await p.click('.span-row[data-depth="0"] .span-toggle');
  assert.equal(await p.locator('.span-row:visible').count(), 1);
  await p.click('[data-testid=expand-all]');
  assert.equal(await p.locator('.span-row:visible').count(), 3);
  // Click the retriever: its details replace the panel without a navigation.
  const before = p.url();
  await p.click('.span-row >> text=retrieve-docs');
  await poll(async () => /retrieve-docs/.test(await p.locator('[data-testid=span-detail] h2').innerText()));
  assert.equal(new URL(p.url()).pathname, new URL(before).pathname);
  await p.screenshot({ path: join(shots, `trace-detail-retriever-${MODE}.png`), fullPage: true });
  // The LLM span shows its messages as a chat.
  await p.click('.span-row >> text=chat claude-3-5-haiku-latest');
  await poll(async () => (await p.locator('[data-testid=span-detail] [data-testid=chat-message]').count()) >= 3);
  await p.screenshot({ path: join(shots, `trace-detail-${MODE}.png`), fullPage: true });

  // The session reads as one conversation, oldest first.
  await p.goto(url(`/projects/${SLUG}/sessions`));
  assert.ok((await p.locator('[data-testid=session-row]').count()) >= 1);
  await p.goto(url(`/projects/${SLUG}/sessions/${session}`));
  assert.equal(await p.locator('[data-testid=session-turn]').count(), 4);
  const text = await p.locator('.conversation').innerText();
  assert.ok(text.indexOf('reset my password') < text.indexOf('two-factor'), 'turns in time order');
  await p.screenshot({ path: join(shots, `session-${MODE}.png`), fullPage: true });

  // Analytics: charts drawn by the vendored ECharts, breakdown by model.
  await p.goto(url(`/projects/${SLUG}/analytics?range=1h`));
  await poll(async () => (await p.locator('[data-echarts][data-rendered=true]').count()) === 4, {
    describe: async () => problems.describe(),
  });
  const models = await p.locator('[data-testid=breakdown]').first().innerText();
  assert.match(models, /gpt-4o-mini/);
  assert.match(models, /claude-3-5-haiku-latest/);
  await p.screenshot({ path: join(shots, `analytics-${MODE}.png`), fullPage: true });

  // The top-level Traces area lists the project.
  await p.goto(url('/traces'));
  assert.ok((await p.locator(`[data-testid=trace-project] a[href="/projects/${SLUG}/traces"]`).count()) >= 1);

  assert.deepEqual(problems.pageErrors, [], problems.describe());
  await context.close();
});
