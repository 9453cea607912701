// Real-sized ledger files for the large-upload spec, written as a stream (never whole in memory),
// with the P&L computed here from the generated numbers — independently of the server's importer.
// Amounts are whole cents (integers far below 2^53), so the sums are exact.
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { once } from 'node:events';
import zlib from 'node:zlib';

export const HEADERS = ['Company Code', 'Entity Name', 'Region', 'Department', 'Division', 'Acct Group', 'GL Account',
  'Account Name', 'Posting Date', 'Debit', 'Credit', 'Currency', 'Memo'];
const ENTITIES = ['Elara Holdings', 'Elara France SAS', 'Elara GmbH', 'Elara Inc'];
const REGIONS = ['EMEA', 'NA', 'APAC', 'LATAM'];
const DEPARTMENTS = ['Sales', 'Finance', 'R&D', 'Operations', 'Marketing'];
const DIVISIONS = ['Retail', 'Wholesale', 'Services'];
const ACCOUNTS = [
  ['REVENUE', '4000', 'Product revenue'], ['REVENUE', '4100', 'Service revenue'], ['COGS', '5000', 'Cost of goods sold'],
  ['OPEX', '6100', 'Salaries'], ['OPEX', '6200', 'Rent'], ['DEPRECIATION', '6800', 'Depreciation'],
  ['INTEREST', '7100', 'Interest expense'], ['TAX', '8900', 'Income tax'],
];

/** A small deterministic generator (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sums per account group in cents on the natural side, and the KPIs the dashboard shows. */
class Totals {
  constructor() {
    this.rows = 0;
    this.groups = {};
  }
  add(group, debit, credit) {
    this.rows += 1;
    this.groups[group] = (this.groups[group] ?? 0) + debit - credit;
  }
  kpis() {
    const g = (name) => this.groups[name] ?? 0;
    const revenue = -g('REVENUE');
    const grossProfit = revenue - g('COGS');
    const ebitda = grossProfit - g('OPEX');
    const netIncome = ebitda - g('DEPRECIATION') - g('INTEREST') - g('TAX');
    return { rows: this.rows, revenue, grossProfit, ebitda, netIncome };
  }
}

/** Cents as the dashboard prints money: `-1234.50`. */
export function moneyText(cents) {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** One ledger line: [cells…] (debit and credit in cents) from the generator `next`. */
function line(next, i) {
  const [group, code, name] = ACCOUNTS[Math.floor(next() * ACCOUNTS.length)];
  const cents = 1 + Math.floor(next() * 5_000_000);
  const revenue = group === 'REVENUE';
  const date = `${2022 + Math.floor(next() * 3)}-${String(1 + Math.floor(next() * 12)).padStart(2, '0')}-${String(1 + Math.floor(next() * 28)).padStart(2, '0')}`;
  return {
    group,
    debit: revenue ? 0 : cents,
    credit: revenue ? cents : 0,
    cells: [`C${String(Math.floor(next() * 12)).padStart(3, '0')}`, ENTITIES[Math.floor(next() * 4)], REGIONS[Math.floor(next() * 4)],
      DEPARTMENTS[Math.floor(next() * 5)], DIVISIONS[Math.floor(next() * 3)], group, code, name, date],
    memo: `JE-${String(i).padStart(7, '0')}`,
  };
}

/** Writes a csv of at least `minBytes`; returns its KPIs. */
export async function writeLedgerCsv(path, minBytes, seed = 1) {
  const next = rng(seed);
  const totals = new Totals();
  const out = createWriteStream(path);
  let bytes = 0;
  const write = async (text) => {
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(`${HEADERS.join(',')}\n`);
  for (let i = 0; bytes < minBytes; ) {
    let batch = '';
    for (let k = 0; k < 10_000; k++, i++) {
      const l = line(next, i);
      totals.add(l.group, l.debit, l.credit);
      batch += `${l.cells.join(',')},${moneyText(l.debit)},${moneyText(l.credit)},EUR,${l.memo}\n`;
    }
    await write(batch);
  }
  out.end();
  await once(out, 'finish');
  return totals.kpis();
}

// ------------------------------------------------------------------ xlsx (a zip of XML parts)

const NS = 'http://schemas.openxmlformats.org';
const PARTS = [
  ['[Content_Types].xml', `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="${NS}/package/2006/content-types">`
    + '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    + '<Default Extension="xml" ContentType="application/xml"/>'
    + '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    + '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'],
  ['_rels/.rels', `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="${NS}/package/2006/relationships">`
    + `<Relationship Id="rId1" Type="${NS}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`],
  ['xl/workbook.xml', `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="${NS}/spreadsheetml/2006/main" xmlns:r="${NS}/officeDocument/2006/relationships">`
    + '<sheets><sheet name="Ledger" sheetId="1" r:id="rId1"/></sheets></workbook>'],
  ['xl/_rels/workbook.xml.rels', `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="${NS}/package/2006/relationships">`
    + `<Relationship Id="rId1" Type="${NS}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`],
];

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const col = (i) => String.fromCharCode(65 + i);
const textCell = (v, r, c) => `<c r="${col(c)}${r}" t="inlineStr"><is><t>${esc(v)}</t></is></c>`;
const numberCell = (v, r, c) => `<c r="${col(c)}${r}"><v>${v}</v></c>`;

function localHeader(name, crc, compressed, size) {
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0); h.writeUInt16LE(20, 4); h.writeUInt16LE(8, 8);
  h.writeUInt32LE(crc, 14); h.writeUInt32LE(compressed, 18); h.writeUInt32LE(size, 22);
  h.writeUInt16LE(Buffer.byteLength(name), 26);
  return Buffer.concat([h, Buffer.from(name)]);
}

function centralHeader(name, crc, compressed, size, offset) {
  const h = Buffer.alloc(46);
  h.writeUInt32LE(0x02014b50, 0); h.writeUInt16LE(20, 4); h.writeUInt16LE(20, 6); h.writeUInt16LE(8, 10);
  h.writeUInt32LE(crc, 16); h.writeUInt32LE(compressed, 20); h.writeUInt32LE(size, 24);
  h.writeUInt16LE(Buffer.byteLength(name), 28); h.writeUInt32LE(offset, 42);
  return Buffer.concat([h, Buffer.from(name)]);
}

/**
 * Writes an .xlsx of at least `minBytes` (one worksheet, inline strings, numeric amounts, ISO date
 * text); the worksheet is deflated as it is generated, its header patched afterwards. Returns its KPIs.
 */
export async function writeLedgerXlsx(path, minBytes, seed = 2) {
  const file = await open(path, 'w');
  let offset = 0;
  const append = async (buf) => {
    await file.write(buf, 0, buf.length, offset);
    offset += buf.length;
  };
  const central = [];
  for (const [name, text] of PARTS) {
    const raw = Buffer.from(text);
    const data = zlib.deflateRawSync(raw);
    const crc = zlib.crc32(raw);
    central.push(centralHeader(name, crc, data.length, raw.length, offset));
    await append(localHeader(name, crc, data.length, raw.length));
    await append(data);
  }

  // The worksheet: stream rows through deflate until the compressed part reaches the size.
  const name = 'xl/worksheets/sheet1.xml';
  const headerAt = offset;
  await append(localHeader(name, 0, 0, 0)); // patched below
  const deflate = zlib.createDeflateRaw({ level: 6 });
  let compressed = 0;
  let size = 0;
  let crc = 0;
  let pending = Promise.resolve();
  deflate.on('data', (chunk) => {
    compressed += chunk.length;
    pending = pending.then(() => append(chunk));
  });
  const put = async (text) => {
    const raw = Buffer.from(text);
    size += raw.length;
    crc = zlib.crc32(raw, crc);
    if (!deflate.write(raw)) await once(deflate, 'drain');
  };
  await put(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="${NS}/spreadsheetml/2006/main"><sheetData>`);
  await put(`<row r="1">${HEADERS.map((h, c) => textCell(h, 1, c)).join('')}</row>`);
  const next = rng(seed);
  const totals = new Totals();
  for (let i = 0; compressed < minBytes; ) {
    let batch = '';
    for (let k = 0; k < 5_000; k++, i++) {
      const l = line(next, i);
      totals.add(l.group, l.debit, l.credit);
      const r = i + 2;
      batch += `<row r="${r}">${l.cells.map((v, c) => textCell(v, r, c)).join('')}`
        + `${numberCell(l.debit / 100, r, 9)}${numberCell(l.credit / 100, r, 10)}${textCell('EUR', r, 11)}${textCell(l.memo, r, 12)}</row>`;
    }
    await put(batch);
    await new Promise((resolve) => deflate.flush(zlib.constants.Z_SYNC_FLUSH, resolve)); // let `compressed` catch up
  }
  await put('</sheetData></worksheet>');
  deflate.end();
  await once(deflate, 'end');
  await pending;
  if (size >= 2 ** 32) throw new Error('the worksheet outgrew zip32');
  central.push(centralHeader(name, crc, compressed, size, headerAt));
  const header = localHeader(name, crc, compressed, size);
  await file.write(header, 0, header.length, headerAt);

  const dir = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(central.length, 8); end.writeUInt16LE(central.length, 10);
  end.writeUInt32LE(dir.length, 12); end.writeUInt32LE(offset, 16);
  await append(Buffer.concat([dir, end]));
  await file.close();
  return totals.kpis();
}
