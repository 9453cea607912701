//! Helpers shared by the integration tests: run an import over bytes, build small xlsx files.
#![allow(dead_code)] // each test binary uses a subset

use std::io::Cursor;

use ledger::{import, preview, ImportError, ImportOptions, ImportSummary, LedgerRecord, Preview};
use rust_xlsxwriter::{Workbook, Worksheet, XlsxError};

pub fn run(bytes: &[u8], name: &str, options: &ImportOptions) -> Result<(Vec<LedgerRecord>, ImportSummary), ImportError> {
    let mut records = Vec::new();
    let summary = import(Cursor::new(bytes), name, options, None, |batch| {
        records.extend(batch);
        Ok(())
    })?;
    Ok((records, summary))
}

pub fn run_default(bytes: &[u8], name: &str) -> Result<(Vec<LedgerRecord>, ImportSummary), ImportError> {
    run(bytes, name, &ImportOptions::default())
}

pub fn peek(bytes: &[u8], name: &str) -> Result<Preview, ImportError> {
    preview(Cursor::new(bytes), name, &ImportOptions::default())
}

pub fn xlsx(build: impl FnOnce(&mut Worksheet) -> Result<(), XlsxError>) -> Vec<u8> {
    let mut book = Workbook::new();
    build(book.add_worksheet()).expect("build sheet");
    book.save_to_buffer().expect("save xlsx")
}

/// Writes rows of strings (header first) into a sheet.
pub fn write_rows(sheet: &mut Worksheet, rows: &[&[&str]]) -> Result<(), XlsxError> {
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *v)?;
        }
    }
    Ok(())
}

pub fn dec(s: &str) -> rust_decimal::Decimal {
    s.parse().unwrap()
}

/// Asserts the error's Display contains `needle`, and returns it for further checks.
#[track_caller]
pub fn expect_err<T: std::fmt::Debug>(result: Result<T, ImportError>, needle: &str) -> ImportError {
    let err = result.expect_err("expected an error");
    let text = err.to_string();
    assert!(text.contains(needle), "error '{text}' should contain '{needle}'");
    err
}
