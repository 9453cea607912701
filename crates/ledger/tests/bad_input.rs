//! Bad input from issue 5: each case ends in a typed error with a readable message or in
//! row-level rejections — never a panic. Files are generated here.

mod common;

use std::io::Write;

use common::{expect_err, peek, run, run_default, write_rows, xlsx};
use ledger::{ImportError, ImportOptions, SheetOptions};
use rust_xlsxwriter::{Format, Formula};

fn small_ledger_xlsx() -> Vec<u8> {
    xlsx(|s| write_rows(s, &[&["Date", "Account", "Debit"], &["2024-01-31", "6100", "10"]]))
}

#[test]
fn corrupt_xlsx() {
    expect_err(
        run_default(b"PK\x03\x04 this is not really a zip archive", "x.xlsx"),
        "looks like an Excel workbook (.xlsx) but could not be read",
    );
    let good = small_ledger_xlsx();
    expect_err(run_default(&good[..good.len() / 2], "x.xlsx"), "could not be read");
    // A valid zip that is not a workbook.
    let mut other = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    other.start_file("readme.txt", zip::write::SimpleFileOptions::default()).unwrap();
    other.write_all(b"hello").unwrap();
    let other = other.finish().unwrap().into_inner();
    expect_err(run_default(&other, "x.xlsx"), "could not be read");
}

#[test]
fn zip_bomb_is_refused_before_calamine_inflates_it() {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("[Content_Types].xml", deflated).unwrap();
    zip.write_all(b"<Types/>").unwrap();
    zip.start_file("xl/worksheets/sheet1.xml", deflated).unwrap();
    zip.write_all(b"<worksheet><sheetData>").unwrap();
    let spaces = vec![b' '; 1 << 20];
    for _ in 0..16 {
        zip.write_all(&spaces).unwrap();
    }
    zip.write_all(b"</sheetData></worksheet>").unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    assert!(bytes.len() < 100_000, "the bomb is tiny: {} bytes", bytes.len());
    let err = expect_err(run_default(&bytes, "bomb.xlsx"), "refused as a possible zip bomb: entry 'xl/worksheets/sheet1.xml'");
    assert!(matches!(err, ImportError::ZipBomb { uncompressed, .. } if uncompressed > 16 << 20));
    // A total-size limit catches many entries that are each under the ratio.
    let zip = ledger::ZipLimits { max_total_uncompressed: 1 << 20, ..Default::default() };
    let options = ImportOptions { sheet: SheetOptions { zip, ..Default::default() }, ..Default::default() };
    expect_err(run(&bytes, "bomb.xlsx", &options), "zip bomb");
}

#[test]
fn wrong_extension_is_read_by_content_or_refused() {
    let (records, _) = run_default(&small_ledger_xlsx(), "ledger.csv").unwrap();
    assert_eq!(records.len(), 1);
    let p = peek(b"Date,Account,Debit\n2024-01-31,6100,10\n", "ledger.xlsx").unwrap();
    assert!(p.sniffed.extension_mismatch.unwrap().contains("the content is a CSV/TSV text file"));
    let binary: Vec<u8> = (0..600u32).map(|i| (i * 7 % 256) as u8).collect();
    expect_err(run_default(&binary, "ledger.xlsx"), "not a spreadsheet or CSV we can read");
}

#[test]
fn empty_blank_and_header_only_files() {
    expect_err(run_default(b"", "x.csv"), "the file is empty");
    expect_err(run_default(b"\n\n  \n", "x.csv"), "no rows with values");
    expect_err(run_default(b"Date,Account,Debit\n", "x.csv"), "header row but no data rows");
    let header_only = xlsx(|s| write_rows(s, &[&["Date", "Account", "Debit"]]));
    expect_err(run_default(&header_only, "x.xlsx"), "header row but no data rows");
    let empty_sheet = xlsx(|_| Ok(()));
    expect_err(run_default(&empty_sheet, "x.xlsx"), "no rows with values");
    let mut options = ImportOptions::default();
    options.sheet.sheet = Some("Budget".into());
    expect_err(run(&small_ledger_xlsx(), "x.xlsx", &options), "no worksheet named 'Budget'");
}

#[test]
fn formula_and_error_cells() {
    let bytes = xlsx(|s| {
        write_rows(s, &[&["Date", "Account", "Debit"], &["2024-01-31", "6100"], &["2024-01-31", "6200"]])?;
        s.write_formula(1, 2, Formula::new("=1+2").set_result("3"))?;
        s.write_formula(2, 2, Formula::new("=1/0").set_result("#DIV/0!"))?;
        Ok(())
    });
    let (records, summary) = run_default(&bytes, "x.xlsx").unwrap();
    assert_eq!(records[0].debit, common::dec("3"));
    assert_eq!(
        summary.rejections.kept[0].to_string(),
        "row 3, column 'Debit': error cell #DIV/0! (a formula that failed in the spreadsheet)"
    );
    let (_, summary) = run_default(b"Date,Account,Debit\n2024-01-31,6100,#REF!\n2024-01-31,6100,1\n", "x.csv").unwrap();
    assert!(summary.rejections.kept[0].reason.contains("error value #REF!"));
}

#[test]
fn merged_cells_give_their_value_to_the_top_left_cell_only() {
    let bytes = xlsx(|s| {
        s.merge_range(0, 0, 0, 3, "Ledger FY2024", &Format::new())?;
        write_rows(s, &[&[], &["Date", "Entity", "Account", "Debit"], &["2024-01-31", "", "6100", "1"], &["2024-02-29", "", "6200", "2"]])?;
        s.merge_range(2, 1, 3, 1, "Elara GmbH", &Format::new())?;
        Ok(())
    });
    let (records, summary) = run_default(&bytes, "x.xlsx").unwrap();
    assert_eq!(summary.mapping.header_row, 2);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].entity.as_deref(), Some("Elara GmbH"));
    assert_eq!(records[1].entity, None);
}

#[test]
fn one_megabyte_cells_reject_their_row() {
    let mut csv = b"Date,Account,Debit,Note\n2024-01-31,6100,1,".to_vec();
    csv.extend(std::iter::repeat_n(b'x', 1 << 20));
    csv.extend_from_slice(b"\n2024-01-31,6100,2,short\n");
    let (records, summary) = run_default(&csv, "x.csv").unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(summary.rejections.kept[0].to_string(), "row 2, column 'Note': the value is 1048576 bytes long; the limit is 32768");
}

#[test]
fn wrong_delimiter_is_explained() {
    let csv = b"Date;Account;Debit\n2024-01-31;6100;1\n";
    assert_eq!(run_default(csv, "x.csv").unwrap().0.len(), 1);
    let mut options = ImportOptions::default();
    options.csv.delimiter = Some(b'\t');
    expect_err(run(csv, "x.csv", &options), "only one column was found: is the delimiter right?");
}

#[test]
fn mixed_encodings_decode_per_field() {
    let mut csv = "Date,Account,Entity,Debit\n2024-01-31,6100,Période SARL,1\n2024-01-31,6100,".as_bytes().to_vec();
    csv.extend_from_slice(b"Soci\xE9t\xE9 G\xE9n\xE9rale,2\n");
    let (records, _) = run_default(&csv, "x.csv").unwrap();
    assert_eq!(records[0].entity.as_deref(), Some("Période SARL"));
    assert_eq!(records[1].entity.as_deref(), Some("Société Générale"));
}

#[test]
fn dates_out_of_range_and_non_numeric_amounts() {
    let csv = b"Date,Account,Debit\n1850-01-01,6100,1\n2301-01-01,6100,1\n60,6100,1\nsoon,6100,1\n2024-01-31,6100,abc\n2024-01-31,6100,\n2024-01-31,,5\n2024-01-31,6100,1\n";
    let (records, summary) = run_default(csv, "x.csv").unwrap();
    assert_eq!(records.len(), 1);
    let reasons: Vec<String> = summary.rejections.kept.iter().map(ToString::to_string).collect();
    assert_eq!(
        reasons,
        [
            "row 2, column 'Date': 1850-01-01 is outside the accepted range 1900-01-01 to 2200-12-31",
            "row 3, column 'Date': 2301-01-01 is outside the accepted range 1900-01-01 to 2200-12-31",
            "row 4, column 'Date': Excel serial 60 is 1900-02-29, a day that does not exist (Excel's 1900 leap-year bug)",
            "row 5, column 'Date': 'soon' is not a date",
            "row 6, column 'Debit': 'abc' is not a number",
            "row 7, column 'Debit': the amount is missing",
            "row 8, column 'Account': the account code and name are both missing",
        ]
    );
}

#[test]
fn duplicate_headers_are_disambiguated_and_reported() {
    let (records, summary) = run_default(b"Date,Account,Amount,amount\n2024-01-31,6100,1,2\n", "x.csv").unwrap();
    assert_eq!(summary.mapping.columns[3].header, "amount (2)");
    assert!(
        summary.mapping.notes.iter().any(|n| n.contains("duplicate header 'Amount' in columns 3 and 4")),
        "{:?}",
        summary.mapping.notes
    );
    assert!(summary.mapping.notes.iter().any(|n| n.contains("'amount (2)' also looks like balance")));
    assert_eq!(records[0].balance, common::dec("1"));
    assert_eq!(records[0].extra["amount (2)"], "2");
}

#[test]
fn ten_thousand_columns_are_refused() {
    let wide = xlsx(|s| {
        write_rows(s, &[&["Date", "Account", "Debit"]])?;
        for c in 3..10_000u16 {
            s.write_string(0, c, format!("c{c}"))?;
        }
        Ok(())
    });
    expect_err(run_default(&wide, "wide.xlsx"), "row 1 has 1025 columns; at most 1024 are supported");
    let mut csv = (0..10_000).map(|c| format!("c{c}")).collect::<Vec<_>>().join(",");
    csv.push('\n');
    expect_err(run_default(csv.as_bytes(), "wide.csv"), "row 1 has 10000 columns; at most 1024 are supported");
}
