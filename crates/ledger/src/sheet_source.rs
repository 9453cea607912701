//! Rows of one worksheet of an .xlsx, .xls or .ods workbook through calamine.
//!
//! xlsx is streamed cell by cell (`worksheet_cells_reader`), so memory is the shared-string table
//! plus one row. calamine has no streaming reader for .xls and .ods: those load the sheet's range
//! first (bounded by the file size limit and the zip guard for .ods).

use std::io::{Read, Seek};

use calamine::{Data, DataRef, Ods, Range, Reader, SheetType, Xls, Xlsx, XlsxCellReader};
use serde::{Deserialize, Serialize};

use crate::cell::{Cell, DateSystem, Row, RowSource};
use crate::error::ImportError;
use crate::sniff::Format;
use crate::zip_guard::{check_zip, ZipLimits};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetOptions {
    /// Sheet to read; default the first worksheet (chart sheets are skipped).
    pub sheet: Option<String>,
    pub zip: ZipLimits,
}

/// Opens the workbook and calls `f` with a row source over the chosen sheet. A callback rather than
/// a returned source because calamine's streaming xlsx reader borrows the workbook.
pub fn with_sheet_rows<R, T>(
    mut input: R,
    format: Format,
    options: &SheetOptions,
    max_columns: usize,
    f: impl FnOnce(&mut dyn RowSource) -> Result<T, ImportError>,
) -> Result<T, ImportError>
where
    R: Read + Seek,
{
    let corrupt = |e: &dyn std::fmt::Display| ImportError::corrupt(format, e);
    match format {
        Format::Xlsx => {
            check_zip(&mut input, format, &options.zip)?;
            let mut book = Xlsx::new(input).map_err(|e| corrupt(&e))?;
            let name = pick_sheet(&book, options)?;
            let date_system = if book.has_1904_epoch() { DateSystem::Excel1904 } else { DateSystem::Excel1900 };
            let cells = book.worksheet_cells_reader(&name).map_err(|e| corrupt(&e))?;
            let mut rows = XlsxRows { cells, pending: None, finished: false, max_columns, date_system };
            f(&mut rows)
        }
        Format::Xls => {
            let mut book = Xls::new(input).map_err(|e| corrupt(&e))?;
            let name = pick_sheet(&book, options)?;
            let range = book.worksheet_range(&name).map_err(|e| corrupt(&e))?;
            f(&mut RangeRows::new(range, max_columns)?)
        }
        Format::Ods => {
            check_zip(&mut input, format, &options.zip)?;
            let mut book = Ods::new(input).map_err(|e| corrupt(&e))?;
            let name = pick_sheet(&book, options)?;
            let range = book.worksheet_range(&name).map_err(|e| corrupt(&e))?;
            f(&mut RangeRows::new(range, max_columns)?)
        }
        Format::Csv => unreachable!("CSV is read by csv_source"),
    }
}

fn pick_sheet<R: Read + Seek, B: Reader<R>>(book: &B, options: &SheetOptions) -> Result<String, ImportError> {
    let sheets = book.sheets_metadata();
    let found = match &options.sheet {
        Some(wanted) => sheets.iter().find(|s| &s.name == wanted),
        None => sheets.iter().find(|s| s.typ == SheetType::WorkSheet),
    };
    found.map(|s| s.name.clone()).ok_or_else(|| ImportError::NoWorksheet(options.sheet.clone()))
}

fn cell_from_data(data: Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s),
        Data::Float(f) => Cell::Float(f),
        Data::Int(i) => Cell::Int(i),
        Data::Bool(b) => Cell::Bool(b),
        // Durations are not dates; keep their number and let the column's parser decide.
        Data::DateTime(dt) if dt.is_duration() => Cell::Float(dt.as_f64()),
        // calamine applies the workbook's epoch (1900 with its leap-year bug, or 1904) here.
        Data::DateTime(dt) => dt.as_datetime().map_or(Cell::Float(dt.as_f64()), Cell::DateTime),
        Data::DateTimeIso(s) => Cell::IsoDateTime(s),
        Data::DurationIso(s) => Cell::Text(s),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

fn place(cells: &mut Vec<Cell>, row: u64, col: usize, cell: Cell, max_columns: usize) -> Result<(), ImportError> {
    if col >= max_columns {
        return Err(ImportError::TooManyColumns { row, found: col + 1, max: max_columns });
    }
    if cells.len() <= col {
        cells.resize(col + 1, Cell::Empty);
    }
    cells[col] = cell;
    Ok(())
}

struct XlsxRows<'a, RS: Read + Seek> {
    cells: XlsxCellReader<'a, RS>,
    /// First cell of the next row, read while looking for the end of the current one.
    pending: Option<(u32, u32, Cell)>,
    finished: bool,
    max_columns: usize,
    date_system: DateSystem,
}

impl<RS: Read + Seek> XlsxRows<'_, RS> {
    fn next_cell(&mut self) -> Result<Option<(u32, u32, Cell)>, ImportError> {
        if let Some(c) = self.pending.take() {
            return Ok(Some(c));
        }
        if self.finished {
            return Ok(None); // calamine's reader errors when asked again after the end
        }
        let next = self.cells.next_cell().map_err(|e| ImportError::corrupt(Format::Xlsx, e))?;
        self.finished = next.is_none();
        Ok(next.map(|c| {
            let (row, col) = c.get_position();
            let cell = match c.get_value() {
                DataRef::SharedString(s) => Cell::Text((*s).to_owned()),
                other => cell_from_data(Data::from(other.clone())),
            };
            (row, col, cell)
        }))
    }
}

impl<RS: Read + Seek> RowSource for XlsxRows<'_, RS> {
    fn next_row(&mut self) -> Result<Option<Row>, ImportError> {
        let Some((row, col, cell)) = self.next_cell()? else { return Ok(None) };
        let number = u64::from(row) + 1;
        let mut cells = Vec::new();
        place(&mut cells, number, col as usize, cell, self.max_columns)?;
        while let Some((r, c, cell)) = self.next_cell()? {
            if r != row {
                self.pending = Some((r, c, cell));
                break;
            }
            place(&mut cells, number, c as usize, cell, self.max_columns)?;
        }
        Ok(Some(Row { number, cells }))
    }

    fn date_system(&self) -> DateSystem {
        self.date_system
    }
}

struct RangeRows {
    range: Range<Data>,
    first_row: u64,
    next: usize,
}

impl RangeRows {
    fn new(range: Range<Data>, max_columns: usize) -> Result<Self, ImportError> {
        let (first_row, first_col) = range.start().unwrap_or((0, 0));
        let width = range.width() + first_col as usize;
        if width > max_columns {
            return Err(ImportError::TooManyColumns { row: u64::from(first_row) + 1, found: width, max: max_columns });
        }
        Ok(RangeRows { range, first_row: u64::from(first_row), next: 0 })
    }
}

impl RowSource for RangeRows {
    fn next_row(&mut self) -> Result<Option<Row>, ImportError> {
        if self.next >= self.range.height() {
            return Ok(None);
        }
        let i = self.next;
        self.next += 1;
        let first_col = self.range.start().map_or(0, |s| s.1 as usize);
        let mut cells = vec![Cell::Empty; first_col];
        cells.extend((0..self.range.width()).map(|c| self.range.get((i, c)).cloned().map_or(Cell::Empty, cell_from_data)));
        Ok(Some(Row { number: self.first_row + i as u64 + 1, cells }))
    }
}
