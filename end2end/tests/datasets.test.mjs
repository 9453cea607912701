// Datasets end to end: a generated .xlsx goes through the upload island (a dropped connection is
// retried, then the upload resumes from localStorage), the column mapping is confirmed, the import
// completes with its rejected rows listed, and its rows show in the dashboard: filters through
// the form and through the URL, cross-filtering by clicking a chart, drill-down, CSV and XLSX
// exports with the expected row counts. Screenshots go to end2end/test-results/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import zlib from 'node:zlib';
import { createProject, ensureAdmin, ensureResultsDir, hex, launchBrowser, newContext, poll, submitForm, url, waitForServer, waitForStable, watchPage } from './support.mjs';

const TIMEOUT = { timeout: 240_000 };
const SLUG = `datasets-${hex(4)}`;

// ------------------------------------------------------------------ a tiny deterministic .xlsx

const HEADERS = ['Company Code', 'Entity Name', 'Region', 'Department', 'Division', 'Acct Group', 'GL Account',
  'Account Name', 'Posting Date', 'Debit', 'Credit', 'Currency', 'Memo'];
const ENTITIES = ['Elara Holdings', 'Elara France SAS', 'Elara GmbH', 'Elara Inc'];
const REGIONS = ['EMEA', 'NA', 'APAC'];
const ACCOUNTS = [
  ['REVENUE', '4000', 'Product revenue'], ['REVENUE', '4100', 'Service revenue'], ['COGS', '5000', 'Cost of goods sold'],
  ['OPEX', '6100', 'Salaries'], ['OPEX', '6200', 'Rent'], ['DEPRECIATION', '6800', 'Depreciation'],
  ['INTEREST', '7100', 'Interest expense'], ['TAX', '8900', 'Income tax'],
];
const GOOD_ROWS = 120;
const BAD_ROWS = 2;

/** Ledger lines: revenue on the credit side, the rest on the debit side; then rows with a text amount. */
function ledgerRows() {
  const rows = [];
  for (let i = 0; i < GOOD_ROWS; i++) {
    const [group, code, name] = ACCOUNTS[i % ACCOUNTS.length];
    const amount = 100 + ((i * 37) % 900) + (i % 100) / 100;
    const revenue = group === 'REVENUE';
    rows.push([`C${100 + (i % 2)}`, ENTITIES[i % 4], REGIONS[i % 3], 'Sales', 'Retail', group, code, name,
      `2025-0${1 + (i % 6)}-${String(1 + (i % 28)).padStart(2, '0')}`, revenue ? 0 : amount, revenue ? amount : 0, 'EUR', `line ${i}`]);
  }
  for (let i = 0; i < BAD_ROWS; i++) {
    rows.push(['C100', ENTITIES[0], 'EMEA', 'Sales', 'Retail', 'OPEX', '6100', 'Salaries', '2025-01-15', 'n/a', 0, 'EUR', 'bad amount']);
  }
  return rows;
}
const count = (pred) => ledgerRows().slice(0, GOOD_ROWS).filter(pred).length;

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const colName = (i) => String.fromCharCode(65 + i);
function sheetXml(rows) {
  const cell = (v, r, c) => typeof v === 'number'
    ? `<c r="${colName(c)}${r}"><v>${v}</v></c>`
    : `<c r="${colName(c)}${r}" t="inlineStr"><is><t>${esc(v)}</t></is></c>`;
  const body = rows.map((row, i) => `<row r="${i + 1}">${row.map((v, c) => cell(v, i + 1, c)).join('')}</row>`).join('');
  return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    + `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${body}</sheetData></worksheet>`;
}

/** A zip of deflated entries (what an .xlsx is). */
function zip(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, text] of entries) {
    const raw = Buffer.from(text, 'utf8');
    const data = zlib.deflateRawSync(raw);
    const nameBuf = Buffer.from(name, 'utf8');
    const crc = zlib.crc32(raw);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14); local.writeUInt32LE(data.length, 18); local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6); central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16); central.writeUInt32LE(data.length, 20); central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(nameBuf.length, 28); central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, data);
    centrals.push(central, nameBuf);
    offset += local.length + nameBuf.length + data.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(entries.length, 8); end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

function ledgerXlsx() {
  const ns = 'http://schemas.openxmlformats.org';
  return zip([
    ['[Content_Types].xml', `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="${ns}/package/2006/content-types">`
      + `<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>`
      + `<Default Extension="xml" ContentType="application/xml"/>`
      + `<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>`
      + `<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`],
    ['_rels/.rels', `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="${ns}/package/2006/relationships">`
      + `<Relationship Id="rId1" Type="${ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`],
    ['xl/workbook.xml', `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="${ns}/spreadsheetml/2006/main" xmlns:r="${ns}/officeDocument/2006/relationships">`
      + '<sheets><sheet name="Ledger" sheetId="1" r:id="rId1"/></sheets></workbook>'],
    ['xl/_rels/workbook.xml.rels', `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="${ns}/package/2006/relationships">`
      + `<Relationship Id="rId1" Type="${ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`],
    ['xl/worksheets/sheet1.xml', sheetXml([HEADERS, ...ledgerRows()])],
  ]);
}

/** Rows (`<row` elements) of the first worksheet of an .xlsx. */
function xlsxRowCount(buf) {
  const end = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const entries = buf.readUInt16LE(end + 10);
  let p = buf.readUInt32LE(end + 16);
  for (let i = 0; i < entries; i++) {
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString();
    if (/^xl\/worksheets\/sheet\d*\.xml$/.test(name)) {
      const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
      const data = buf.subarray(start, start + size);
      const xml = (method === 8 ? zlib.inflateRawSync(data) : data).toString();
      return (xml.match(/<row[ >]/g) ?? []).length;
    }
    p += 46 + nameLen + extraLen + commentLen;
  }
  throw new Error('no worksheet in the xlsx');
}

// ------------------------------------------------------------------ browser helpers

let browser;
let shots;
let dir;
before(async () => {
  await waitForServer();
  browser = await launchBrowser();
  shots = await ensureResultsDir();
  dir = await mkdtemp(join(tmpdir(), 'ed-datasets-'));
});
after(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function hydrated(p) {
  await p.waitForSelector('[data-testid=upload][data-hydrated=true]');
}

/** Waits until the upload bar's width transition has reached the full width of its track. */
async function barSettled(p) {
  const track = p.locator('[data-testid=upload-progress] .progress').first();
  const bar = track.locator('span');
  await poll(async () => {
    const [t, b] = [await track.boundingBox(), await bar.boundingBox()];
    return t && b && b.width >= t.width - 2 * 1.5; // the track's 1px border on both sides
  }, { timeoutMs: 5_000, describe: async () => `bar ${JSON.stringify(await bar.boundingBox())} of ${JSON.stringify(await track.boundingBox())}` });
  await waitForStable(async () => (await bar.boundingBox())?.width);
}

/** Scrolls to the top at once and waits until the page is there. */
async function scrollToTop(p) {
  await p.evaluate(() => window.scrollTo({ top: 0, left: 0, behavior: 'instant' }));
  await poll(async () => (await p.evaluate(() => window.scrollY)) === 0, { timeoutMs: 5_000 });
}

/** Waits until a chart's opening animation is over: its drawn paths stop changing. */
async function chartSettled(chart) {
  await waitForStable(() => chart.locator('svg path').evaluateAll((els) => els.map((el) => el.getAttribute('d')).join('|')), {
    samples: 3,
    intervalMs: 150,
  });
}

/** "… · 120 records" under the dashboard's filters. */
async function recordCount(p) {
  const text = await p.locator('[data-testid=period]').innerText();
  const m = text.match(/(\d+) records/);
  assert.ok(m, text);
  return Number(m[1]);
}

const lines = (text) => text.split(/\r?\n/).filter((l) => l.trim() !== '');

// ------------------------------------------------------------------ the story

test('upload an xlsx, confirm its mapping, and explore it in the dashboard', TIMEOUT, async () => {
  const context = await newContext(browser, { viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const p = await context.newPage();
  const problems = watchPage(p);
  await ensureAdmin(p);
  await createProject(p, { name: 'Datasets e2e', slug: SLUG });

  await p.goto(url(`/projects/${SLUG}/datasets`));
  assert.match(await p.locator('[data-testid=no-datasets]').innerText(), /No datasets yet/);
  await hydrated(p);
  await p.screenshot({ path: join(shots, 'datasets-empty.png'), fullPage: true });

  const file = join(dir, 'ledger-2025-h1.xlsx');
  await writeFile(file, ledgerXlsx());

  // The first chunk never arrives: three retries with backoff, then the island gives up and
  // says how to continue.
  let aborted = 0;
  const dropChunks = async (route) => {
    aborted += 1;
    await route.abort('connectionreset');
  };
  await p.route('**/datasets/uploads/*/chunks/*', dropChunks);
  await p.setInputFiles('[data-testid=upload-file]', file);
  assert.equal(await p.inputValue('[data-testid=upload-name]'), 'ledger-2025-h1', 'the name defaults to the file name');
  await p.fill('[data-testid=upload-name]', 'Ledger H1');
  await p.click('[data-testid=upload-start]');
  await p.waitForSelector('[data-testid=upload-note]');
  assert.match(await p.locator('[data-testid=upload-note]').innerText(), /trying again in 1 s \(attempt 1 of 3\)/);
  await p.waitForSelector('[data-testid=upload-error]', { timeout: 30_000 });
  assert.match(await p.locator('[data-testid=upload-error]').innerText(), /choose the same file again/);
  assert.equal(aborted, 4, 'one attempt and three retries');
  await p.unroute('**/datasets/uploads/*/chunks/*', dropChunks);

  // Choosing the same file again finds the unfinished upload and continues it. The analysis
  // waits until the screenshot of the full progress bar is taken.
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  await p.route('**/datasets/uploads/*/complete', async (route) => {
    await held;
    await route.continue();
  });
  await p.setInputFiles('[data-testid=upload-file]', file);
  await p.waitForSelector('[data-testid=upload-resume]');
  assert.equal(await p.innerText('[data-testid=upload-start]'), 'Resume upload');
  await p.click('[data-testid=upload-start]');
  await poll(async () => /100%/.test(await p.locator('[data-testid=upload-figures]').innerText()), {
    describe: async () => p.locator('[data-testid=upload]').innerText(),
  });
  assert.match(await p.locator('[data-testid=upload-figures]').innerText(), /KB of \d+ KB · 100%/);
  await p.locator('[data-testid=upload-progress]').scrollIntoViewIfNeeded();
  await barSettled(p);
  await p.screenshot({ path: join(shots, 'datasets-upload-progress.png'), fullPage: true });
  // When the analysis proposes a mapping, the island opens the dataset page at the form.
  await Promise.all([p.waitForURL(/\/datasets\/[0-9a-f-]+#mapping$/, { timeout: 60_000 }), release()]);
  const datasetId = new URL(p.url()).pathname.split('/').pop();

  // The proposed mapping, from the headers.
  const form = p.locator('form[data-testid=mapping-form]');
  await form.waitFor();
  const field = (header) => form.locator(`select[data-testid=mapping-field][data-header="${header}"]`).inputValue();
  assert.equal(await field('Posting Date'), 'date');
  assert.equal(await field('GL Account'), 'account_code');
  assert.equal(await field('Acct Group'), 'account_group');
  assert.equal(await field('Debit'), 'debit');
  assert.equal(await field('Entity Name'), 'entity');
  assert.equal(await form.locator('tbody tr').count() > 0, true, 'sample rows are shown');
  // The memo stays an extra attribute instead of the description.
  await form.locator('select[data-testid=mapping-field][data-header="Memo"]').selectOption('');
  await form.locator('[data-testid=date-order]').selectOption('day_month_year');
  await scrollToTop(p); // the page opened at #mapping: back to the top for a full-page shot
  await p.screenshot({ path: join(shots, 'datasets-mapping.png'), fullPage: true });
  await Promise.all([p.waitForNavigation(), p.click('[data-testid=confirm-mapping]')]);
  assert.match(await p.locator('[data-testid=flash]').innerText(), /Mapping confirmed/);

  // The page follows the import (the watch island reloads it when the status changes).
  await poll(async () => (await p.locator('[data-testid=import]').first().getAttribute('data-status')) === 'completed', {
    timeoutMs: 90_000,
    intervalMs: 250,
    describe: async () => p.locator('[data-testid=import]').first().innerText().catch((e) => e.message),
  });
  assert.match(await p.locator('[data-testid=dataset-summary]').innerText(), new RegExp(`^${GOOD_ROWS} rows`));
  assert.equal(await p.locator('[data-testid=rejection]').count(), BAD_ROWS);
  assert.match(await p.locator('[data-testid=rejections]').innerText(), /Debit/);
  const rejected = await context.request.get(url(`/projects/${SLUG}/datasets/uploads/${await p.locator('[data-testid=import]').first().getAttribute('data-import')}/rejections.csv`));
  assert.equal(rejected.status(), 200);
  assert.equal(lines(await rejected.text()).length, BAD_ROWS + 1, 'header + rejected rows');
  await p.screenshot({ path: join(shots, 'datasets-completed.png'), fullPage: true });

  // The list shows the dataset with its status and rows.
  await p.goto(url(`/projects/${SLUG}/datasets`));
  const row = p.locator(`[data-testid=dataset-row][data-id="${datasetId}"]`);
  assert.match(await row.innerText(), /Ledger H1[\s\S]*Completed[\s\S]*120/);
  await p.setViewportSize({ width: 390, height: 844 });
  await p.screenshot({ path: join(shots, 'datasets-list-phone.png'), fullPage: true });
  await p.setViewportSize({ width: 1280, height: 900 });

  // The dashboard of this dataset.
  await p.goto(url(`/projects/${SLUG}/datasets/${datasetId}`));
  await Promise.all([p.waitForNavigation(), p.click('[data-testid=dataset-dashboard]')]);
  assert.equal(new URL(p.url()).searchParams.get('dataset'), datasetId);
  assert.equal(await recordCount(p), GOOD_ROWS);
  await p.waitForSelector('.chart.cross-filter svg');
  await p.screenshot({ path: join(shots, 'datasets-dashboard.png'), fullPage: true });

  // A filter through the form.
  await p.locator('[data-testid=filter-entity]').selectOption(ENTITIES[1]);
  await submitForm(p, 'form[data-testid=dashboard-filters]');
  assert.equal(new URL(p.url()).searchParams.get('entity'), ENTITIES[1]);
  assert.equal(await recordCount(p), count((r) => r[1] === ENTITIES[1]));

  // A filter through the URL.
  await p.goto(url(`/projects/${SLUG}/dashboards?dataset=${datasetId}&region=EMEA`));
  assert.equal(await recordCount(p), count((r) => r[2] === 'EMEA'));

  // Clicking a slice of the expense donut cross-filters the page by its account group.
  await p.goto(url(`/projects/${SLUG}/dashboards?dataset=${datasetId}`));
  const donut = p.locator('[data-testid=ledger-chart]', { hasText: 'Expense breakdown' }).locator('.chart.cross-filter');
  await donut.locator('svg').waitFor();
  await donut.scrollIntoViewIfNeeded();
  await chartSettled(donut); // the opening animation
  const box = await donut.boundingBox();
  const radius = 0.54 * (Math.min(box.width, box.height) / 2);
  const [cx, cy] = [box.x + box.width / 2, box.y + box.height * 0.45];
  await Promise.all([
    p.waitForURL(/account_group=/),
    p.mouse.click(cx + radius * Math.sin(0.35), cy - radius * Math.cos(0.35)),
  ]);
  const group = new URL(p.url()).searchParams.get('account_group');
  assert.ok(ACCOUNTS.some(([g]) => g === group) && group !== 'REVENUE', `an expense group: ${group}`);
  assert.equal(new URL(p.url()).searchParams.get('dataset'), datasetId, 'the dataset filter stays');
  assert.equal(await recordCount(p), count((r) => r[5] === group));

  // Drill down from the revenue KPI to its records.
  await p.goto(url(`/projects/${SLUG}/dashboards?dataset=${datasetId}`));
  await Promise.all([p.waitForNavigation(), p.locator('[data-testid=kpi][data-kpi=Revenue] [data-testid=kpi-drill]').click()]);
  assert.equal(new URL(p.url()).searchParams.get('drill'), '1');
  const revenue = count((r) => r[5] === 'REVENUE');
  assert.match(await p.locator('[data-testid=drill-summary]').innerText(), new RegExp(`of ${revenue} `));
  assert.equal(await p.locator('[data-testid=record]').count(), Math.min(revenue, 50));

  // Exports of the filtered records, downloaded through the links.
  await p.goto(url(`/projects/${SLUG}/dashboards?dataset=${datasetId}&region=EMEA`));
  const emea = count((r) => r[2] === 'EMEA');
  const [csv] = await Promise.all([p.waitForEvent('download'), p.click('[data-testid=export-csv]')]);
  assert.equal(lines(await readFile(await csv.path(), 'utf8')).length, emea + 1, 'header + EMEA rows');
  const [xlsx] = await Promise.all([p.waitForEvent('download'), p.click('[data-testid=export-xlsx]')]);
  assert.equal(xlsxRowCount(await readFile(await xlsx.path())), emea + 1, 'header + EMEA rows');

  assert.deepEqual(problems.pageErrors, [], 'no script errors');
  await context.close();
});

test('the datasets pages work without JavaScript, and a bad file type is refused', TIMEOUT, async () => {
  const context = await newContext(browser);
  const p = await context.newPage();
  await ensureAdmin(p);
  // Refused by the island before a byte is sent.
  await p.goto(url(`/projects/${SLUG}/datasets`));
  await hydrated(p);
  const notes = join(dir, 'notes.pdf');
  await writeFile(notes, 'not a spreadsheet');
  await p.setInputFiles('[data-testid=upload-file]', notes);
  assert.match(await p.locator('[data-testid=upload-error]').innerText(), /not a spreadsheet we can import/);
  assert.equal(await p.locator('[data-testid=upload-start]').isDisabled(), true);

  const cookies = await context.cookies();
  const noJs = await newContext(browser, { javaScriptEnabled: false });
  await noJs.addCookies(cookies);
  const q = await noJs.newPage();
  await q.goto(url(`/projects/${SLUG}/datasets`));
  const link = q.locator('[data-testid=dataset-link]').first();
  assert.equal(await link.innerText(), 'Ledger H1');
  await Promise.all([q.waitForNavigation(), link.click()]);
  assert.equal(await q.locator('[data-testid=dataset-name]').innerText(), 'Ledger H1');
  // Delete is a plain form behind a second step.
  await q.click('[data-testid=delete-dataset] summary');
  await Promise.all([q.waitForNavigation(), q.click('[data-testid=delete-dataset] [data-testid=confirm-delete]')]);
  assert.match(await q.locator('[data-testid=flash]').innerText(), /Dataset “Ledger H1” deleted/);
  assert.equal(await q.locator('[data-testid=no-datasets]').count(), 1);
  await noJs.close();
  await context.close();
});
