//! Happy paths: formats, encodings, delimiters, mapping, amount and date rules, batching.

mod common;

use std::io::Cursor;

use chrono::NaiveDate;
use common::{dec, expect_err, peek, run, run_default, write_rows, xlsx};
use ledger::{import, ColumnMapping, DecimalSeparator, Format, ImportOptions, LedgerField};
use rust_decimal::Decimal;
use rust_xlsxwriter::{ExcelDateTime, Format as XFormat};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn generated_csv_and_xlsx_give_identical_records() {
    let mut csv = Vec::new();
    ledger::testdata::write_csv(&mut csv, 2_000, 7).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.xlsx");
    ledger::testdata::write_xlsx(&path, 2_000, 7).unwrap();
    let (from_csv, csv_summary) = run_default(&csv, "ledger.csv").unwrap();
    let (from_xlsx, xlsx_summary) = run_default(&std::fs::read(&path).unwrap(), "ledger.xlsx").unwrap();
    assert_eq!((csv_summary.accepted, csv_summary.rejections.total), (2_000, 0));
    assert_eq!((xlsx_summary.accepted, xlsx_summary.rejections.total), (2_000, 0));
    assert_eq!(from_csv, from_xlsx);
    let first = &from_csv[0];
    assert_eq!(first.row, 2);
    assert_eq!(first.description.as_deref(), Some("JE-0000000"));
    assert!(from_csv.iter().all(|r| r.balance == r.debit - r.credit && r.month == r.date.unwrap().with_day0(0).unwrap()));
    let total: Decimal = from_csv.iter().map(|r| r.balance).sum();
    let expected: i64 = ledger::testdata::rows(2_000, 7).map(|r| r.debit_cents - r.credit_cents).sum();
    assert_eq!(total, Decimal::new(expected, 2));
}

use chrono::Datelike;

#[test]
fn french_latin1_semicolon_file_with_decimal_comma() {
    let text = "Soci\u{e9}t\u{e9};Compte;Libell\u{e9} compte;P\u{e9}riode;D\u{e9}bit;Cr\u{e9}dit\n\
                FR01;706000;Ventes;2024-03;;1.234,56\n\
                FR01;601000;Achats;03/2024;99,5;\n";
    let latin1: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect();
    let (records, summary) = run_default(&latin1, "export.csv").unwrap();
    assert_eq!(summary.decimal_separator, DecimalSeparator::Comma);
    assert_eq!(summary.mapping.column_of(LedgerField::Month), Some(3));
    assert_eq!(records[0].company_code.as_deref(), Some("FR01"));
    assert_eq!(records[0].account_name.as_deref(), Some("Ventes"));
    assert_eq!((records[0].credit, records[0].balance), (dec("1234.56"), dec("-1234.56")));
    assert_eq!((records[1].debit, records[1].month, records[1].date), (dec("99.5"), date(2024, 3, 1), None));
}

#[test]
fn utf16_tsv_and_utf8_bom_csv() {
    let text = "Posting Date\tGL Account\tAmount\n15/03/2024\t4000\t(1,234.56)\n";
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let (records, _) = run_default(&utf16, "export.tsv").unwrap();
    assert_eq!(records[0].date, Some(date(2024, 3, 15)));
    assert_eq!((records[0].balance, records[0].debit, records[0].credit), (dec("-1234.56"), Decimal::ZERO, dec("1234.56")));

    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(b"Date,Account,Debit\n2024-01-31,6100,10\n");
    let p = peek(&bom, "x.csv").unwrap();
    assert_eq!(p.mapping.columns[0].header, "Date");
    assert_eq!(p.mapping.columns[0].field, Some(LedgerField::Date));
}

#[test]
fn month_day_order_setting_and_dataset_defaults() {
    let csv = b"Date,Account,Debit\n03/04/2024,6100,10\n";
    let mut options = ImportOptions::default();
    options.dataset.date_order = ledger::DateOrder::MonthDayYear;
    options.dataset.company_code = Some("C001".into());
    options.dataset.currency = Some("EUR".into());
    let (records, _) = run(csv, "x.csv", &options).unwrap();
    assert_eq!(records[0].date, Some(date(2024, 3, 4)));
    assert_eq!(records[0].company_code.as_deref(), Some("C001"));
    assert_eq!(records[0].currency.as_deref(), Some("EUR"));
}

#[test]
fn xlsx_title_rows_date_cells_serials_and_extras() {
    let bytes = xlsx(|s| {
        s.write_string(0, 0, "Elara ledger export — FY2024")?;
        write_rows(s, &[&[], &[], &["Co Code", "Acct Group", "Account", "Posting Date", "Amount", "Project"]])?;
        let fmt = XFormat::new().set_num_format("dd/mm/yyyy");
        for (r, group) in [(3u32, "Revenue"), (4, "Cost of goods sold")] {
            s.write_string(r, 0, "C1")?;
            s.write_string(r, 1, group)?;
            s.write_number(r, 2, 4000.0)?;
            s.write_number(r, 4, -0.1)?;
            s.write_string(r, 5, "Apollo")?;
        }
        s.write_datetime_with_format(3, 3, ExcelDateTime::from_ymd(2024, 2, 29)?, &fmt)?;
        s.write_number(4, 3, 45366.0)?; // a plain serial number in the date column
        Ok(())
    });
    let (records, summary) = run_default(&bytes, "book.xlsx").unwrap();
    assert_eq!(summary.mapping.header_row, 3);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].row, 4);
    assert_eq!(records[0].account_group.as_deref(), Some("REVENUE"));
    assert_eq!(records[1].account_group.as_deref(), Some("COGS"));
    assert_eq!(records[0].account_code.as_deref(), Some("4000"));
    assert_eq!(records[0].date, Some(date(2024, 2, 29)));
    assert_eq!(records[1].date, Some(date(2024, 3, 15)));
    assert_eq!((records[0].balance, records[0].credit), (dec("-0.1"), dec("0.1")));
    assert_eq!(records[0].extra["Project"], "Apollo");
}

#[test]
fn batches_are_bounded_and_the_consumer_error_stops_the_import() {
    let mut csv = String::from("Date,Account,Debit\n");
    for i in 0..25 {
        csv.push_str(&format!("2024-01-{:02},6100,{i}\n", i % 28 + 1));
    }
    let options = ImportOptions { batch_size: 10, ..ImportOptions::default() };
    let mut sizes = Vec::new();
    let summary = import(Cursor::new(csv.as_bytes()), "x.csv", &options, None, |b| {
        sizes.push(b.len());
        Ok(())
    })
    .unwrap();
    assert_eq!((sizes, summary.batches, summary.accepted), (vec![10, 10, 5], 3, 25));
    let failing = import(Cursor::new(csv.as_bytes()), "x.csv", &options, None, |_| Err("disk full".into()));
    expect_err(failing, "could not store a batch of records: disk full");
}

#[test]
fn confirmed_mapping_is_used_and_checked() {
    let csv = b"When,Ref,Value,Label\n2024-05-01,A1,12.5,Rent\n";
    let proposed = peek(csv, "x.csv").unwrap().mapping;
    assert_eq!(proposed.column_of(LedgerField::Balance), Some(2));
    let mut confirmed: ColumnMapping = serde_json::from_str(&serde_json::to_string(&proposed).unwrap()).unwrap();
    confirmed.columns[0].field = Some(LedgerField::Date);
    confirmed.columns[1].field = Some(LedgerField::AccountCode);
    let mut records = Vec::new();
    import(Cursor::new(&csv[..]), "x.csv", &ImportOptions::default(), Some(&confirmed), |b| {
        records.extend(b);
        Ok(())
    })
    .unwrap();
    assert_eq!((records[0].account_code.as_deref(), records[0].date), (Some("A1"), Some(date(2024, 5, 1))));

    confirmed.columns[3].field = Some(LedgerField::Date);
    let twice = import(Cursor::new(&csv[..]), "x.csv", &ImportOptions::default(), Some(&confirmed), |_| Ok(()));
    expect_err(twice, "date is mapped to several columns: When, Label");
}

#[test]
fn rejections_are_capped_and_exported_as_csv() {
    let mut csv = String::from("Date,Account,Debit\n");
    for i in 0..30 {
        csv.push_str(&format!("2024-01-01,6100,oops{i}\n"));
    }
    csv.push_str("2024-01-01,6100,1\n");
    let options = ImportOptions { max_rejections: 5, ..ImportOptions::default() };
    let (records, summary) = run(csv.as_bytes(), "x.csv", &options).unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!((summary.rejections.total, summary.rejections.kept.len(), summary.rejections.dropped()), (30, 5, 25));
    let out = summary.rejections_csv().unwrap();
    assert!(out.starts_with("row,column,reason\n2,Debit,'oops0' is not a number\n"), "{out}");
}

#[test]
fn preview_reports_format_and_sample() {
    let p = peek(b"Date|Account|Debit\n2024-01-01|6100|1\n", "ledger.xls").unwrap();
    assert_eq!(p.sniffed.format, Format::Csv);
    assert!(p.sniffed.extension_mismatch.is_some());
    assert_eq!(p.sample.len(), 1);
    assert_eq!(p.mapping.columns.len(), 3);
}

/// rust_xlsxwriter cannot write 1904 workbooks: set the flag in workbook.xml afterwards.
fn with_1904_epoch(xlsx: &[u8]) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut input = zip::ZipArchive::new(Cursor::new(xlsx)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..input.len() {
        let mut entry = input.by_index(i).unwrap();
        let name = entry.name().unwrap().into_owned();
        let mut text = Vec::new();
        entry.read_to_end(&mut text).unwrap();
        if name == "xl/workbook.xml" {
            text = String::from_utf8(text).unwrap().replace("<workbookPr", "<workbookPr date1904=\"1\"").into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        out.write_all(&text).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn workbooks_in_the_1904_date_system() {
    let bytes = with_1904_epoch(&xlsx(|s| {
        write_rows(s, &[&["Date", "Account", "Debit"], &["", "6100", "1"], &["", "6100", "2"]])?;
        s.write_number(1, 0, 43904.0)?; // plain number: 2024-03-15 counted from 1904-01-01
        s.write_datetime_with_format(2, 0, ExcelDateTime::from_ymd(2024, 3, 15)?, &XFormat::new().set_num_format("yyyy-mm-dd"))?;
        Ok(())
    }));
    let (records, _) = run_default(&bytes, "mac.xlsx").unwrap();
    assert_eq!(records[0].date, Some(date(2024, 3, 15)));
    // The writer stored the 1900-system serial 45366; read in the 1904 system it is 1462 days later.
    assert_eq!(records[1].date, Some(date(2028, 3, 16)));
}
