// Chat playground end to end, against the fake LLM vendor (crates/fake-llm, started by
// scripts/test.sh; its URL in ED_FAKE_LLM_URL): provider keys pointing at it, a persona, a chat
// whose reply visibly streams in, Stop, two models compared side by side, a saved conversation,
// and the call's span in the project's traces. Screenshots go to end2end/test-results/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { addProvider, createProject, ensureAdmin, hex, MODE, newContext, poll, submitForm, url, useBrowser, watchPage } from './support.mjs';

const TIMEOUT = { timeout: 240_000 };
const FAKE_LLM = (process.env.ED_FAKE_LLM_URL ?? '').replace(/\/+$/, '');
const SLUG = `playground-${hex(4)}`;

let browser;
let shots;
useBrowser((b, dir) => {
  browser = b;
  shots = dir;
});

const status = (p, pane) => p.getAttribute(`[data-testid=pane-${pane}]`, 'data-status');

/** The text of a pane's reply being written, or '' once it is done. */
async function liveText(p, pane) {
  const live = p.locator(`[data-testid=pane-${pane}-live] p`);
  return (await live.count()) ? live.innerText() : '';
}

/** The assistant turns of a pane. */
async function replies(p, pane) {
  return p.locator(`[data-testid=pane-${pane}] .pg-assistant:not(.pg-live) p`).allInnerTexts();
}

async function waitStatus(p, pane, wanted, problems) {
  await poll(async () => (await status(p, pane)) === wanted, {
    timeoutMs: 30_000,
    describe: async () => `pane ${pane} is ${await status(p, pane)}; ${await p.locator('[data-testid=playground]').innerText()}\n${problems.describe()}`,
  });
}

async function send(p, text) {
  await p.fill('[data-testid=playground-input]', text);
  await p.click('[data-testid=playground-send]');
}

async function optionValue(p, select, label) {
  const value = await p.locator(`${select} option`, { hasText: label }).first().getAttribute('value');
  assert.ok(value, `no option “${label}” in ${select}`);
  return value;
}

test('playground: providers on the fake vendor, a persona, streamed chat, stop, compare, save', TIMEOUT, async () => {
  assert.ok(FAKE_LLM, 'ED_FAKE_LLM_URL is not set: scripts/test.sh starts the fake vendor (scripts/services.sh fake_llm_start)');
  const stats = async () => (await fetch(`${FAKE_LLM}/stats`)).json();
  const context = await newContext(browser, { viewport: { width: 1400, height: 1000 } });
  const p = await context.newPage();
  const problems = watchPage(p);
  await ensureAdmin(p);

  // A project with two provider keys on the fake vendor, and a persona.
  await createProject(p, { name: 'Playground bot', slug: SLUG });
  await p.goto(url(`/projects/${SLUG}/providers`));
  await addProvider(p, { name: 'Fake OpenAI', vendor: 'openai', baseUrl: `${FAKE_LLM}/v1`, apiKey: 'sk-e2e-good-key-1', model: 'gpt-4o-mini' });
  await addProvider(p, { name: 'Fake Claude', vendor: 'anthropic', baseUrl: FAKE_LLM, apiKey: 'sk-ant-e2e-good-2', model: 'claude-3-5-haiku-latest' });
  assert.equal(await p.locator('[data-testid=provider-row]').count(), 2);
  assert.ok(!(await p.content()).includes('sk-e2e-good-key-1'), 'the key is never shown back');
  await p.screenshot({ path: join(shots, `playground-providers-${MODE}.png`), fullPage: true });

  await p.goto(url(`/projects/${SLUG}/personas`));
  const persona = 'form[data-testid=create-persona]';
  await p.fill(`${persona} [name=name]`, 'Impatient shopper');
  await p.fill(`${persona} [name=description]`, 'A customer whose parcel is late.');
  await p.fill(`${persona} [name=goals]`, 'Find out where the order is.');
  await p.fill(`${persona} [name=tone]`, 'curt');
  await p.fill(`${persona} [name=language]`, 'English');
  await p.fill(`${persona} [name=traits]`, 'impatient, direct');
  assert.match(await submitForm(p, persona), /persona/i);
  assert.deepEqual(await p.locator('[data-testid=persona-name]').allInnerTexts(), ['Impatient shopper']);
  await p.screenshot({ path: join(shots, `playground-personas-${MODE}.png`), fullPage: true });

  // The playground, as the persona: the reply streams in word by word.
  await p.goto(url(`/projects/${SLUG}/playground`));
  await poll(async () => (await p.getAttribute('[data-testid=playground]', 'data-hydrated')) === 'true', { describe: () => problems.describe() });
  await p.selectOption('[data-testid=playground-persona]', await optionValue(p, '[data-testid=playground-persona]', 'Impatient shopper'));
  assert.match(await p.inputValue('[data-testid=playground-system]'), /Impatient shopper/);
  await p.selectOption('[data-testid=playground-key-a]', await optionValue(p, '[data-testid=playground-key-a]', 'Fake OpenAI'));
  assert.equal(await p.inputValue('[data-testid=playground-model-a]'), 'gpt-4o-mini', 'the key’s default model');
  const question = 'Where is my order number 12345 and when will it finally arrive here';
  await send(p, question);
  const seen = [];
  await poll(
    async () => {
      const text = await liveText(p, 'a');
      if (text && text !== seen[seen.length - 1]) seen.push(text);
      return (await status(p, 'a')) !== 'streaming';
    },
    { timeoutMs: 30_000, intervalMs: 20, describe: () => problems.describe() },
  );
  assert.equal(await status(p, 'a'), 'done', problems.describe());
  const expected = `gpt-4o-mini heard: ${question}`;
  assert.ok(seen.length >= 3, `the reply should appear in steps, saw ${JSON.stringify(seen)}`);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i].startsWith(seen[i - 1]) && seen[i].length > seen[i - 1].length, 'the text only grows');
  assert.ok(seen[0].length < expected.length / 2, `seen early, before it was complete: ${JSON.stringify(seen[0])}`);
  assert.deepEqual(await replies(p, 'a'), [expected]);
  assert.match(await p.innerText('[data-testid=pane-a-tokens]'), /[1-9]\d* in · 15 out tokens/);
  assert.match(await p.innerText('[data-testid=pane-a-cost]'), /^\$0\.\d{6}$/);
  await p.screenshot({ path: join(shots, `playground-chat-${MODE}.png`), fullPage: true });

  // Stop: the fetch is aborted and the server drops the vendor's stream.
  const before = await stats();
  await p.fill('[data-testid=playground-model-a]', 'fake-slow');
  await send(p, 'Tell me everything');
  await poll(async () => (await liveText(p, 'a')).split(' ').length > 3, { timeoutMs: 15_000, describe: () => problems.describe() });
  await p.click('[data-testid=playground-stop]');
  await waitStatus(p, 'a', 'stopped', problems);
  await poll(async () => (await stats()).abandoned > before.abandoned, {
    timeoutMs: 10_000,
    describe: async () => `fake vendor: ${JSON.stringify(await stats())}`,
  });
  const partial = (await replies(p, 'a')).at(-1);
  assert.match(partial, /^word1 word2 word3/);
  assert.ok(!partial.includes('word300'), 'stopped before the end');
  await p.screenshot({ path: join(shots, `playground-stopped-${MODE}.png`), fullPage: true });

  // Compare: the same message to two models at once, side by side.
  await p.click('[data-testid=playground-new]');
  await p.fill('[data-testid=playground-model-a]', 'gpt-4o-mini');
  await p.check('[data-testid=playground-compare]');
  await p.selectOption('[data-testid=playground-key-b]', await optionValue(p, '[data-testid=playground-key-b]', 'Fake Claude'));
  assert.equal(await p.inputValue('[data-testid=playground-model-b]'), 'claude-3-5-haiku-latest');
  await send(p, 'Which of you answers first');
  await poll(async () => (await status(p, 'a')) === 'streaming' && (await status(p, 'b')) === 'streaming', {
    timeoutMs: 10_000,
    intervalMs: 20,
    describe: async () => `a ${await status(p, 'a')}, b ${await status(p, 'b')}`,
  }).catch(() => {}); // both usually stream at once; the fake is fast enough that one may be done first
  await waitStatus(p, 'a', 'done', problems);
  await waitStatus(p, 'b', 'done', problems);
  assert.deepEqual(await replies(p, 'a'), ['gpt-4o-mini heard: Which of you answers first']);
  assert.deepEqual(await replies(p, 'b'), ['claude-3-5-haiku-latest heard: Which of you answers first']);
  await p.screenshot({ path: join(shots, `playground-compare-${MODE}.png`), fullPage: true });

  // Save, then find it in the list and reopen it.
  await p.fill('[data-testid=playground-title]', 'E2E compare');
  await p.click('[data-testid=playground-save]');
  await poll(async () => (await p.locator('[data-testid=playground-saved]').count()) > 0, {
    describe: async () => `${(await p.locator('[data-testid=playground-problem]').allInnerTexts()).join(' ')} ${problems.describe()}`,
  });
  await p.goto(url(`/projects/${SLUG}/playground`));
  const row = p.locator('[data-testid=conversation-row]', { hasText: 'E2E compare' });
  assert.equal(await row.count(), 1);
  await Promise.all([p.waitForNavigation(), row.locator('a').click()]);
  await poll(async () => (await p.getAttribute('[data-testid=playground]', 'data-hydrated')) === 'true');
  assert.deepEqual(await replies(p, 'a'), ['gpt-4o-mini heard: Which of you answers first']);
  await p.screenshot({ path: join(shots, `playground-reopened-${MODE}.png`), fullPage: true });

  // The platform observed itself: the calls are spans in the project's traces (written a moment
  // after the reply: the list is reloaded until they show).
  await poll(async () => {
    await p.goto(url(`/projects/${SLUG}/traces`));
    return (await p.content()).includes('chat gpt-4o-mini');
  }, {
    timeoutMs: 15_000,
    intervalMs: 300,
    describe: async () => (await p.locator('main').innerText()).slice(0, 500),
  });
  await p.screenshot({ path: join(shots, `playground-traces-${MODE}.png`), fullPage: true });
  assert.deepEqual(problems.pageErrors, [], problems.describe());
  await context.close();
});
