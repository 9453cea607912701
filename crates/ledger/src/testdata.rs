//! Deterministic ledger files for benches and tests (feature `generate`): the same `seed` and row
//! count always give byte-identical CSV and identical xlsx cell values. xlsx is written in
//! rust_xlsxwriter's constant-memory mode so 1M-row files need no large buffers.

use std::io::Write;
use std::path::Path;

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

pub const HEADERS: [&str; 13] = [
    "Company Code",
    "Entity Name",
    "Region",
    "Department",
    "Division",
    "Acct Group",
    "GL Account",
    "Account Name",
    "Posting Date",
    "Debit",
    "Credit",
    "Currency",
    "Memo",
];

const ENTITIES: [&str; 4] = ["Elara Holdings", "Elara France SAS", "Elara GmbH", "Elara Inc"];
const REGIONS: [&str; 4] = ["EMEA", "NA", "APAC", "LATAM"];
const DEPARTMENTS: [&str; 5] = ["Sales", "Finance", "R&D", "Operations", "Marketing"];
const DIVISIONS: [&str; 3] = ["Retail", "Wholesale", "Services"];
/// (group, account code, account name)
const ACCOUNTS: [(&str, &str, &str); 8] = [
    ("REVENUE", "4000", "Product revenue"),
    ("REVENUE", "4100", "Service revenue"),
    ("COGS", "5000", "Cost of goods sold"),
    ("OPEX", "6100", "Salaries"),
    ("OPEX", "6200", "Rent"),
    ("DEPRECIATION", "6800", "Depreciation"),
    ("INTEREST", "7100", "Interest expense"),
    ("TAX", "8900", "Income tax"),
];

/// One generated ledger line; amounts in cents so text and float forms are exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedRow {
    pub company_code: String,
    pub entity: &'static str,
    pub region: &'static str,
    pub department: &'static str,
    pub division: &'static str,
    pub account_group: &'static str,
    pub account_code: &'static str,
    pub account_name: &'static str,
    pub date: (u16, u8, u8),
    pub debit_cents: i64,
    pub credit_cents: i64,
    pub memo: String,
}

/// SplitMix64: tiny, fast and stable across platforms and crate versions.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
}

pub fn rows(count: usize, seed: u64) -> impl Iterator<Item = GeneratedRow> {
    let mut rng = Rng(seed);
    (0..count).map(move |i| {
        let (group, code, name) = rng.pick(&ACCOUNTS);
        let cents = (rng.next() % 5_000_000) as i64 + 1;
        let revenue_like = group == "REVENUE";
        let (debit_cents, credit_cents) = if revenue_like { (0, cents) } else { (cents, 0) };
        GeneratedRow {
            company_code: format!("C{:03}", rng.next() % 12),
            entity: rng.pick(&ENTITIES),
            region: rng.pick(&REGIONS),
            department: rng.pick(&DEPARTMENTS),
            division: rng.pick(&DIVISIONS),
            account_group: group,
            account_code: code,
            account_name: name,
            date: (2022 + (rng.next() % 3) as u16, 1 + (rng.next() % 12) as u8, 1 + (rng.next() % 28) as u8),
            debit_cents,
            credit_cents,
            memo: format!("JE-{i:07}"),
        }
    })
}

fn cents_text(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// Comma-separated UTF-8, ISO dates, dot decimals.
pub fn write_csv<W: Write>(mut out: W, count: usize, seed: u64) -> std::io::Result<()> {
    writeln!(out, "{}", HEADERS.join(","))?;
    for r in rows(count, seed) {
        let (y, m, d) = r.date;
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{y:04}-{m:02}-{d:02},{},{},EUR,{}",
            r.company_code,
            r.entity,
            r.region,
            r.department,
            r.division,
            r.account_group,
            r.account_code,
            r.account_name,
            cents_text(r.debit_cents),
            cents_text(r.credit_cents),
            r.memo
        )?;
    }
    out.flush()
}

/// One worksheet with date cells and numeric amounts, as Excel users produce them.
pub fn write_xlsx(path: &Path, count: usize, seed: u64) -> Result<(), XlsxError> {
    let mut book = Workbook::new();
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    let sheet = book.add_worksheet_with_constant_memory();
    for (c, h) in HEADERS.iter().enumerate() {
        sheet.write_string(0, c as u16, *h)?;
    }
    for (i, r) in rows(count, seed).enumerate() {
        let row = i as u32 + 1;
        let texts =
            [&r.company_code as &str, r.entity, r.region, r.department, r.division, r.account_group, r.account_code, r.account_name];
        for (c, t) in texts.iter().enumerate() {
            sheet.write_string(row, c as u16, *t)?;
        }
        let (y, m, d) = r.date;
        sheet.write_datetime_with_format(row, 8, ExcelDateTime::from_ymd(y, m, d)?, &date_format)?;
        sheet.write_number(row, 9, r.debit_cents as f64 / 100.0)?;
        sheet.write_number(row, 10, r.credit_cents as f64 / 100.0)?;
        sheet.write_string(row, 11, "EUR")?;
        sheet.write_string(row, 12, &r.memo)?;
    }
    book.save(path)
}
