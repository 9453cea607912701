// Real-sized spreadsheets through the browser's upload island with the server's default settings
// (issue 11: every file over 2 MiB used to fail): a ≥ 150 MB csv and a ≥ 50 MB xlsx, generated
// here as a stream (large_ledger.mjs), uploaded in the chunks the server hands out, mapped and
// imported; the dashboard's KPI cards must equal the sums computed while generating them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createProject, ensureAdmin, ensureResultsDir, hex, launchBrowser, newContext, poll, url, waitForServer, watchPage } from './support.mjs';
import { moneyText, writeLedgerCsv, writeLedgerXlsx } from './large_ledger.mjs';

const TIMEOUT = { timeout: 900_000 };
const RUN = hex(4);

let browser;
let shots;
let dir;
let page;
let problems;

before(async () => {
  await waitForServer();
  browser = await launchBrowser();
  shots = await ensureResultsDir();
  dir = await mkdtemp(join(tmpdir(), 'ed-large-'));
  const context = await newContext(browser, { viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  problems = watchPage(page);
  await ensureAdmin(page);
});

after(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Uploads `file` through the island as dataset `name`, confirms the proposed mapping, waits for
 * the import. Logs how long each phase took. */
async function uploadThroughTheIsland(slug, file, name) {
  const p = page;
  const t0 = Date.now();
  await p.goto(url(`/projects/${slug}/datasets`));
  await p.waitForSelector('[data-testid=upload][data-hydrated=true]');
  await p.setInputFiles('[data-testid=upload-file]', file);
  await p.fill('[data-testid=upload-name]', name);
  await p.click('[data-testid=upload-start]');
  // Progress is shown while the chunks go up; a screenshot mid-way shows it to people.
  await poll(async () => /\b([1-9]\d)%/.test(await p.locator('[data-testid=upload-figures]').innerText().catch(() => '')), {
    timeoutMs: 300_000,
    intervalMs: 250,
    describe: async () => `${await p.locator('[data-testid=upload]').innerText()}\n${problems.describe()}`,
  });
  await p.screenshot({ path: join(shots, `large-upload-${name}.png`), fullPage: true });
  await p.waitForURL(/\/datasets\/[0-9a-f-]+#mapping$/, { timeout: 600_000 });
  const uploaded = Date.now() - t0;
  await p.locator('form[data-testid=mapping-form]').waitFor();
  await Promise.all([p.waitForNavigation(), p.click('[data-testid=confirm-mapping]')]);
  assert.match(await p.locator('[data-testid=flash]').innerText(), /Mapping confirmed/);
  await poll(async () => {
    const status = await p.locator('[data-testid=import]').first().getAttribute('data-status').catch(() => null);
    if (status === 'failed') throw new Error(await p.locator('[data-testid=import]').first().innerText());
    return status === 'completed';
  }, {
    timeoutMs: 600_000,
    intervalMs: 1_000,
    describe: async () => p.locator('[data-testid=import]').first().innerText().catch((e) => e.message),
  });
  console.log(`${name}: uploaded and analysed in ${uploaded} ms, imported at ${Date.now() - t0} ms`);
}

/** The KPI cards of the project's dashboard equal the generator's sums. (Each file has a project
 * of its own: a dashboard filtered to one 1.4M-row dataset of a 2.2M-row project is still too slow
 * for the request timeout on a debug build — the dashboard speed work of issue 18.) */
async function assertDashboard(slug, expected) {
  const p = page;
  const t0 = Date.now();
  await p.goto(url(`/projects/${slug}/dashboards`), { timeout: 60_000 });
  console.log(`dashboard of ${expected.rows} rows: ${Date.now() - t0} ms`);
  const period = await p.locator('[data-testid=period]').innerText();
  assert.match(period.replace(/[,\s]/g, ''), new RegExp(`${expected.rows}records`), period);
  const card = async (label) => (await p.locator(`[data-testid=kpi][data-kpi="${label}"] strong`).innerText()).trim();
  assert.equal(await card('Revenue'), moneyText(expected.revenue));
  assert.equal(await card('Gross profit'), moneyText(expected.grossProfit));
  assert.equal(await card('EBITDA'), moneyText(expected.ebitda));
  assert.equal(await card('Net income'), moneyText(expected.netIncome));
}

test('a 150 MB csv goes through the island with the default settings and its totals are exact', TIMEOUT, async () => {
  const file = join(dir, 'general-ledger.csv');
  const expected = await writeLedgerCsv(file, 150_000_000);
  assert.ok((await stat(file)).size >= 150_000_000);
  const slug = `large-csv-${RUN}`;
  await createProject(page, { name: 'Ledger (csv)', slug });
  await uploadThroughTheIsland(slug, file, 'ledger-csv');
  await assertDashboard(slug, expected);
  await rm(file);
});

test('a 50 MB xlsx goes through the island with the default settings and its totals are exact', TIMEOUT, async () => {
  const file = join(dir, 'general-ledger.xlsx');
  const expected = await writeLedgerXlsx(file, 50_000_000);
  assert.ok((await stat(file)).size >= 50_000_000);
  const slug = `large-xlsx-${RUN}`;
  await createProject(page, { name: 'Ledger (xlsx)', slug });
  await uploadThroughTheIsland(slug, file, 'ledger-xlsx');
  await assertDashboard(slug, expected);
  await rm(file);
});
