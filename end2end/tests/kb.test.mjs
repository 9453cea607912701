// Knowledge base end to end, as a team would use it: an OpenAPI document uploaded on the import
// page, its preview turned into drafts, drafts submitted and published as release 1, the entry
// read as a schema tree, searched on the search page once the index job has built it, a deletion
// published as release 2, rolled back (release 3), and the release searched by an agent through
// the MCP server with a `read` API key made on the project's settings page. Then vector search
// (an embedding key on the fake vendor, chosen on the search page) and a playground turn grounded
// on the knowledge base.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  addProvider,
  createProject,
  ensureAdmin,
  flashText,
  hex,
  MODE,
  newContext,
  poll,
  press,
  submitForm,
  url,
  useBrowser,
  watchPage,
} from './support.mjs';

const TIMEOUT = { timeout: 240_000 };
const SLUG = `kb-${hex(4)}`;
const FAKE_LLM = (process.env.ED_FAKE_LLM_URL ?? '').replace(/\/+$/, '');

let browser;
let shots;
useBrowser((b, dir) => {
  browser = b;
  shots = dir;
});

/** A small shop API: 12 operations over orders, refunds and customers, one recursive schema. */
function spec() {
  const paths = {};
  for (const resource of ['orders', 'customers', 'invoices', 'shipments']) {
    paths[`/${resource}`] = {
      get: { summary: `List ${resource}`, tags: [resource], parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', maximum: 100 } }], responses: { 200: { description: 'A page', content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/Item' } } } } } } },
      post: { summary: `Create one of the ${resource}`, tags: [resource], requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Item' } } } }, responses: { 201: { description: 'Created' } } },
    };
    paths[`/${resource}/{id}`] = {
      delete: { summary: `Delete one of the ${resource}`, tags: [resource], parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { 204: { description: 'Deleted' } } },
    };
  }
  paths['/orders/{id}/refund'] = {
    post: { summary: 'Refund an order', description: 'Sends the money back to the card the customer paid with.', tags: ['payments'], parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { 202: { description: 'Refund started' } } },
  };
  return JSON.stringify({
    openapi: '3.0.3',
    info: { title: 'Shop', version: '1' },
    paths,
    components: { schemas: { Item: { type: 'object', required: ['id'], properties: { id: { type: 'string', description: 'Identifier' }, total: { type: 'number' }, children: { type: 'array', items: { $ref: '#/components/schemas/Item' } } } } } },
  }, null, 2);
}

/** Submits every open draft of the "mine" list, then publishes them all as the owner. */
async function submitAndPublish(p, summary, slug = SLUG) {
  await p.goto(url(`/projects/${slug}/kb/drafts?list=mine`));
  const links = await p.locator('[data-testid=kb-draft-link]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  for (const href of [...new Set(links)]) {
    await p.goto(url(href));
    if (!(await p.locator('[data-testid=submit-draft]').count())) continue;
    const flash = await press(p, '[data-testid=submit-draft]');
    assert.match(flash, /submitted|review/i, flash);
  }
  await p.goto(url(`/projects/${slug}/kb/drafts?list=review`));
  assert.ok(await p.locator('form[data-testid=kb-publish-form]').count(), (await p.locator('main').innerText()).slice(0, 600));
  for (const box of await p.locator('[data-testid=publish-check]').all()) await box.check();
  await p.fill('form[data-testid=kb-publish-form] [name=summary]', summary);
  return submitForm(p, 'form[data-testid=kb-publish-form]');
}

test('knowledge base: import, review, publish, read, search, roll back, MCP', TIMEOUT, async () => {
  const context = await newContext(browser, { viewport: { width: 1400, height: 900 } });
  const p = await context.newPage();
  const problems = watchPage(p);
  await ensureAdmin(p);
  await createProject(p, { name: 'Shop API', slug: SLUG });

  // Import: the preview lists every operation as new.
  await p.goto(url(`/projects/${SLUG}/kb/imports`));
  await p.selectOption('form[data-testid=kb-upload-form] select[name=format]', 'openapi');
  await p.setInputFiles('form[data-testid=kb-upload-form] input[type=file]', { name: 'shop.json', mimeType: 'application/json', buffer: Buffer.from(spec()) });
  await submitForm(p, 'form[data-testid=kb-upload-form]');
  await poll(async () => (await p.locator('[data-testid=kb-import-counts]').count()) > 0 || (await p.reload(), false), {
    timeoutMs: 60_000,
    describe: async () => (await p.locator('[data-testid=import-status]').first().innerText().catch(() => '?')),
  });
  assert.equal((await p.locator('[data-testid=count-new]').innerText()).match(/\d+/)?.[0], '13');
  await p.screenshot({ path: join(shots, `kb-import-preview-${MODE}.png`), fullPage: true });
  assert.match(await submitForm(p, 'form[data-testid=kb-apply-form]'), /13 drafts?/i);

  // Review and publish: release 1 holds the 13 operations.
  assert.match(await submitAndPublish(p, 'Shop API from its OpenAPI file'), /Release 1/);
  await p.goto(url(`/projects/${SLUG}/kb`));
  assert.equal(await p.locator('[data-testid=kb-entry-row]').count(), 13);
  await p.screenshot({ path: join(shots, `kb-entries-${MODE}.png`), fullPage: true });
  await Promise.all([p.waitForNavigation(), p.locator('[data-testid=kb-entry-link]', { hasText: '/orders/{id}/refund' }).first().click()]);
  assert.match(await p.locator('h1').innerText(), /refund/i);
  await p.goto(url(`/projects/${SLUG}/kb/entry?kind=api_operation&key=${encodeURIComponent('POST /orders')}`));
  assert.ok((await p.locator('[data-testid=schema-property]').count()) >= 3, 'the request body as a schema tree');
  await p.screenshot({ path: join(shots, `kb-entry-${MODE}.png`), fullPage: true });

  // Search, once the index job has built release 1's index.
  await p.goto(url(`/projects/${SLUG}/kb/search?q=${encodeURIComponent('give the customer their money back')}`));
  await poll(async () => (await p.locator('[data-testid=kb-hit]').count()) > 0 || (await p.reload(), false), { timeoutMs: 60_000 });
  assert.match(await p.locator('[data-testid=kb-hit]').first().innerText(), /refund/i);
  assert.match(await p.locator('[data-testid=kb-answered-by]').innerText(), /1/);
  await p.screenshot({ path: join(shots, `kb-search-${MODE}.png`), fullPage: true });

  // A deletion as release 2, then a rollback to release 1 (release 3).
  await p.goto(url(`/projects/${SLUG}/kb/entry?kind=api_operation&key=${encodeURIComponent('DELETE /shipments/{id}')}`));
  await p.click('[data-testid=delete-as-draft] summary');
  await press(p, '[data-testid=confirm-delete-draft]');
  assert.match(await submitAndPublish(p, 'Shipments are not deleted any more'), /Release 2/);
  await p.goto(url(`/projects/${SLUG}/kb/releases`));
  assert.equal(await p.locator('[data-testid=kb-release-row]').count(), 2);
  await p.goto(url(`/projects/${SLUG}/kb/releases/diff?from=1&to=2`));
  assert.match(await p.locator("body").innerText(), /Removed \(1\)\s+DELETE\s+\/shipments\/\{id\}/);
  await p.screenshot({ path: join(shots, `kb-diff-${MODE}.png`), fullPage: true });
  await p.goto(url(`/projects/${SLUG}/kb/releases`));
  const row = p.locator('[data-testid=kb-release-row][data-number="1"]');
  await row.locator('[data-testid=rollback] summary').click();
  await Promise.all([p.waitForNavigation(), row.locator('[data-testid=confirm-rollback]').click()]);
  assert.match(await flashText(p), /Release 3/);
  await p.screenshot({ path: join(shots, `kb-releases-${MODE}.png`), fullPage: true });

  // An agent: a read key made in the browser, then the MCP server's search tool.
  await p.goto(url(`/projects/${SLUG}/settings`));
  await p.fill('form[data-testid=create-key] input[name=name]', 'agents');
  await p.uncheck('form[data-testid=create-key] input[name=ingest]');
  await p.check('form[data-testid=create-key] input[name=read]');
  await submitForm(p, 'form[data-testid=create-key]');
  const key = (await p.locator('[data-testid=new-secret]').innerText()).trim();
  const rpc = async (message) => {
    const res = await fetch(url('/mcp'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${key}` },
      body: JSON.stringify(message),
    });
    assert.equal(res.status, 200, `${JSON.stringify(message)} → ${res.status}`);
    return res.json();
  };
  const init = await rpc({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'e2e', version: '1' } } });
  assert.equal(init.result.serverInfo.name, 'elasticdash-kb');
  await poll(async () => {
    const found = await rpc({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'search_kb', arguments: { query: 'delete a shipment' } } });
    return found.result.structuredContent.release === 3 && found.result.structuredContent.hits[0]?.key?.name === 'DELETE /shipments/{id}';
  }, { timeoutMs: 60_000 });
  assert.deepEqual(problems.pageErrors, []);
  await context.close();
});

test('knowledge base: search by meaning with an embedding key, and a playground turn grounded on it', TIMEOUT, async () => {
  assert.ok(FAKE_LLM, 'ED_FAKE_LLM_URL is not set: scripts/test.sh starts the fake vendor (scripts/services.sh fake_llm_start)');
  const slug = `kbv-${hex(4)}`;
  const context = await newContext(browser, { viewport: { width: 1400, height: 900 } });
  const p = await context.newPage();
  const problems = watchPage(p);
  await ensureAdmin(p);
  await createProject(p, { name: 'Shop vectors', slug });
  await p.goto(url(`/projects/${slug}/kb/imports`));
  await p.selectOption('form[data-testid=kb-upload-form] select[name=format]', 'openapi');
  await p.setInputFiles('form[data-testid=kb-upload-form] input[type=file]', { name: 'shop.json', mimeType: 'application/json', buffer: Buffer.from(spec()) });
  await submitForm(p, 'form[data-testid=kb-upload-form]');
  await poll(async () => (await p.locator('form[data-testid=kb-apply-form]').count()) > 0 || (await p.reload(), false), { timeoutMs: 60_000 });
  await submitForm(p, 'form[data-testid=kb-apply-form]');
  assert.match(await submitAndPublish(p, 'Shop API', slug), /Release 1/);

  // A misspelt question: words alone find nothing.
  const misspelt = url(`/projects/${slug}/kb/search?q=${encodeURIComponent('refnd an ordr')}`);
  await p.goto(misspelt);
  await poll(async () => /by words only/.test(await p.locator('[data-testid=kb-vector-status]').innerText()) || (await p.reload(), false), { timeoutMs: 60_000 });
  assert.equal(await p.locator('[data-testid=kb-hit]').count(), 0);

  // An embedding key on the fake vendor, chosen on the search page: the release is re-indexed.
  await p.goto(url(`/projects/${slug}/providers`));
  await addProvider(p, { name: 'Embedder', vendor: 'openai', baseUrl: `${FAKE_LLM}/v1`, apiKey: 'sk-e2e-embed-1', model: 'gpt-4o-mini' });
  await p.goto(url(`/projects/${slug}/kb/search`));
  const form = 'form[data-testid=kb-embeddings-form]';
  const key = await p.locator(`${form} select[name=key_id] option`, { hasText: 'Embedder' }).first().getAttribute('value');
  await p.selectOption(`${form} select[name=key_id]`, key);
  await p.fill(`${form} [name=model]`, 'text-embedding-3-small');
  assert.match(await submitForm(p, form), /Vector search on/);
  await p.goto(misspelt);
  await poll(async () => /by meaning/.test(await p.locator('[data-testid=kb-vector-status]').innerText()) || (await p.reload(), false), {
    timeoutMs: 60_000,
    describe: async () => p.locator('[data-testid=kb-vector]').innerText(),
  });
  assert.match(await p.locator('[data-testid=kb-answered-by]').innerText(), /hybrid ranking/);
  assert.match(await p.locator('[data-testid=kb-hit]').first().innerText(), /POST\s+\/orders\/\{id\}\/refund/);
  await p.screenshot({ path: join(shots, `kb-vector-search-${MODE}.png`), fullPage: true });

  // The playground, grounded: the pane names the entries the system prompt got.
  await p.goto(url(`/projects/${slug}/playground`));
  await poll(async () => (await p.getAttribute('[data-testid=playground]', 'data-hydrated')) === 'true', { describe: () => problems.describe() });
  await p.check('[data-testid=playground-ground]');
  await p.fill('[data-testid=playground-input]', 'How do I refund an order?');
  await p.click('[data-testid=playground-send]');
  await poll(async () => (await p.locator('[data-testid=pane-a-grounded]').count()) > 0 && (await p.getAttribute('[data-testid=pane-a]', 'data-status')) === 'done', {
    timeoutMs: 30_000,
    describe: async () => `${await p.locator('[data-testid=playground]').innerText()}\n${problems.describe()}`,
  });
  assert.match(await p.locator('[data-testid=pane-a-grounded]').innerText(), /Grounded on knowledge base release 1: POST \/orders\/\{id\}\/refund/);
  await p.screenshot({ path: join(shots, `kb-grounded-playground-${MODE}.png`), fullPage: true });
  assert.deepEqual(problems.pageErrors, []);
  await context.close();
});
