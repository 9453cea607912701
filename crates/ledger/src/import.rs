//! The import driver: rows from any source → header → mapping → validated records in batches.

use std::collections::VecDeque;
use std::io::{Read, Seek};

use serde::{Deserialize, Serialize};

use crate::cell::{Row, RowSource};
use crate::csv_source::{CsvOptions, CsvSource};
use crate::error::{BatchError, ImportError};
use crate::header::{disambiguate, find_header};
use crate::mapping::{ColumnMapping, LedgerField};
use crate::money::{detect_decimal_separator, DecimalSeparator};
use crate::sheet_source::{with_sheet_rows, SheetOptions};
use crate::sniff::{sniff, Format, Sniffed};
use crate::validate::{DatasetSettings, LedgerRecord, Rejection, RejectionLog, RowValidator};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImportOptions {
    pub dataset: DatasetSettings,
    pub csv: CsvOptions,
    pub sheet: SheetOptions,
    /// Records per `on_batch` call.
    pub batch_size: usize,
    /// Rejections kept with their reason; more are only counted.
    pub max_rejections: usize,
    /// Wider rows are refused (a 10k-column sheet is not a ledger).
    pub max_columns: usize,
    /// Rows searched for the header (title rows above it are skipped).
    pub header_scan_rows: usize,
    /// Data rows looked at to detect the decimal separator when the dataset says `Auto`.
    pub separator_scan_rows: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            dataset: DatasetSettings::default(),
            csv: CsvOptions::default(),
            sheet: SheetOptions::default(),
            batch_size: 10_000,
            max_rejections: 1_000,
            max_columns: 1_024,
            header_scan_rows: 30,
            separator_scan_rows: 500,
        }
    }
}

/// What the user sees before confirming: the proposed mapping and a few data rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preview {
    pub sniffed: Sniffed,
    pub mapping: ColumnMapping,
    pub sample: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportSummary {
    pub mapping: ColumnMapping,
    pub decimal_separator: DecimalSeparator,
    /// Data rows seen below the header, blank rows excluded.
    pub rows_read: u64,
    pub accepted: u64,
    pub blank_rows: u64,
    pub batches: u64,
    pub rejections: RejectionLog,
}

/// Sniffs the format and calls `f` with a row source; for uploads kept as files or blobs. Wrap a
/// `File` in a `BufReader`: the zip reader makes many small reads.
pub fn with_rows<R, T>(
    mut input: R,
    file_name: &str,
    options: &ImportOptions,
    f: impl FnOnce(&mut dyn RowSource, &Sniffed) -> Result<T, ImportError>,
) -> Result<T, ImportError>
where
    R: Read + Seek,
{
    let sniffed = sniff(&mut input, file_name)?;
    match sniffed.format {
        Format::Csv => f(&mut CsvSource::new(input, &options.csv)?, &sniffed),
        format => with_sheet_rows(input, format, &options.sheet, options.max_columns, |rows| f(rows, &sniffed)),
    }
}

pub fn preview<R: Read + Seek>(input: R, file_name: &str, options: &ImportOptions) -> Result<Preview, ImportError> {
    with_rows(input, file_name, options, |source, sniffed| {
        let mut head = Head::read(source, options, None)?;
        let sample = head.data.drain(..).take(20).collect();
        Ok(Preview { sniffed: sniffed.clone(), mapping: head.mapping, sample })
    })
}

/// Full import of a file. `mapping`: the confirmed mapping, or `None` to use the proposed one.
pub fn import<R: Read + Seek>(
    input: R,
    file_name: &str,
    options: &ImportOptions,
    mapping: Option<&ColumnMapping>,
    on_batch: impl FnMut(Vec<LedgerRecord>) -> Result<(), BatchError>,
) -> Result<ImportSummary, ImportError> {
    with_rows(input, file_name, options, |source, _| import_rows(source, options, mapping, on_batch))
}

/// Import from an already opened source (e.g. a CSV arriving on a non-seekable stream).
pub fn import_rows(
    source: &mut dyn RowSource,
    options: &ImportOptions,
    mapping: Option<&ColumnMapping>,
    mut on_batch: impl FnMut(Vec<LedgerRecord>) -> Result<(), BatchError>,
) -> Result<ImportSummary, ImportError> {
    let mut head = Head::read(source, options, mapping)?;
    head.mapping.check()?;
    let separator = match options.dataset.decimal_separator {
        DecimalSeparator::Auto => head.detect_separator(source, options)?,
        known => known,
    };
    let validator = RowValidator::new(&head.mapping, &options.dataset, separator, source.date_system());
    let batch_size = options.batch_size.max(1);
    let mut summary = ImportSummary {
        mapping: head.mapping.clone(),
        decimal_separator: separator,
        rows_read: 0,
        accepted: 0,
        blank_rows: head.blank_rows,
        batches: 0,
        rejections: RejectionLog::new(options.max_rejections),
    };
    let mut batch = Vec::with_capacity(batch_size);
    loop {
        let row = match head.data.pop_front() {
            Some(row) => row,
            None => match source.next_row()? {
                Some(row) => row,
                None => break,
            },
        };
        check_width(&row, options.max_columns)?;
        if row.is_blank() {
            summary.blank_rows += 1;
            continue;
        }
        summary.rows_read += 1;
        match validator.record(row) {
            Ok(record) => batch.push(record),
            Err(rejection) => summary.rejections.push(rejection),
        }
        if batch.len() >= batch_size {
            summary.hand_over(std::mem::replace(&mut batch, Vec::with_capacity(batch_size)), &mut on_batch)?;
        }
    }
    if !batch.is_empty() {
        summary.hand_over(batch, &mut on_batch)?;
    }
    if summary.rows_read == 0 {
        return Err(ImportError::NoData("there is a header row but no data rows below it"));
    }
    Ok(summary)
}

/// Sheets are checked as they are read; CSV rows only here (the csv crate has no column limit).
fn check_width(row: &Row, max_columns: usize) -> Result<&Row, ImportError> {
    if row.cells.len() > max_columns {
        return Err(ImportError::TooManyColumns { row: row.number, found: row.cells.len(), max: max_columns });
    }
    Ok(row)
}

/// The rows read before importing: up to the header, plus data rows buffered for detection.
struct Head {
    mapping: ColumnMapping,
    data: VecDeque<Row>,
    blank_rows: u64,
}

impl Head {
    fn read(source: &mut dyn RowSource, options: &ImportOptions, confirmed: Option<&ColumnMapping>) -> Result<Self, ImportError> {
        let mut rows = Vec::new();
        let mut blank_rows = 0;
        while rows.len() < options.header_scan_rows.max(1) {
            match source.next_row()? {
                Some(row) if check_width(&row, options.max_columns)?.is_blank() => blank_rows += 1,
                Some(row) => rows.push(row),
                None => break,
            }
        }
        if rows.is_empty() {
            return Err(ImportError::NoData("no rows with values"));
        }
        let header_index = match confirmed {
            Some(m) => rows.iter().position(|r| r.number == m.header_row).ok_or_else(|| {
                ImportError::Mapping(format!("the confirmed header row {} is not among the first rows of this file", m.header_row))
            })?,
            // No row names two fields: take the first row, so the user can still map by hand;
            // `check` then says what is missing (and hints at the delimiter for one-column files).
            None => find_header(&rows).unwrap_or(0),
        };
        let mut data: VecDeque<Row> = rows.drain(header_index..).collect();
        let header = data.pop_front().expect("header row is in the buffer");
        let mapping = match confirmed {
            Some(m) => m.clone(),
            None => {
                let raw: Vec<String> = header.cells.iter().map(|c| c.to_text()).collect();
                let (names, notes) = disambiguate(&raw);
                ColumnMapping::propose(header.number, &names, notes)
            }
        };
        Ok(Head { mapping, data, blank_rows })
    }

    /// Buffers up to `separator_scan_rows` data rows and decides from their amount texts.
    fn detect_separator(&mut self, source: &mut dyn RowSource, options: &ImportOptions) -> Result<DecimalSeparator, ImportError> {
        while self.data.len() < options.separator_scan_rows {
            match source.next_row()? {
                Some(row) => self.data.push_back(row),
                None => break,
            }
        }
        let amount_columns: Vec<usize> =
            [LedgerField::Debit, LedgerField::Credit, LedgerField::Balance].iter().filter_map(|&f| self.mapping.column_of(f)).collect();
        let texts = self.data.iter().flat_map(|r| amount_columns.iter().filter_map(|&i| r.cells.get(i))).filter_map(|c| match c {
            crate::cell::Cell::Text(s) => Some(s.as_str()),
            _ => None,
        });
        Ok(detect_decimal_separator(texts))
    }
}

impl ImportSummary {
    fn hand_over(
        &mut self,
        batch: Vec<LedgerRecord>,
        on_batch: &mut impl FnMut(Vec<LedgerRecord>) -> Result<(), BatchError>,
    ) -> Result<(), ImportError> {
        self.accepted += batch.len() as u64;
        self.batches += 1;
        on_batch(batch).map_err(ImportError::Batch)
    }

    /// Rejections as CSV (row, column, reason) for the download link.
    pub fn rejections_csv(&self) -> Result<String, ImportError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["row", "column", "reason"]).map_err(|e| ImportError::Io(e.into()))?;
        for Rejection { row, column, reason } in &self.rejections.kept {
            w.write_record([row.to_string().as_str(), column.as_deref().unwrap_or(""), reason.as_str()])
                .map_err(|e| ImportError::Io(e.into()))?;
        }
        let bytes = w.into_inner().map_err(|e| ImportError::Io(e.into_error()))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}
