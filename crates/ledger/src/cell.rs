//! The format-independent cell and row every [`RowSource`] yields.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::error::ImportError;

/// One cell, typed as far as the source format knows. CSV gives only `Text` and `Empty`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Cell {
    Empty,
    Text(String),
    Float(f64),
    Int(i64),
    Bool(bool),
    /// A date/time cell, already converted from the workbook's serial (1900 or 1904 system).
    DateTime(NaiveDateTime),
    /// ODS and some xlsx writers store ISO text for date cells.
    IsoDateTime(String),
    /// Excel error value such as `#REF!` or `#DIV/0!` (the cached result of a failed formula).
    Error(String),
}

impl Cell {
    /// Empty cells and cells holding only whitespace count as blank.
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// A short text form for headers, extras and messages.
    pub fn to_text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) | Cell::IsoDateTime(s) | Cell::Error(s) => s.clone(),
            Cell::Float(f) => f.to_string(),
            Cell::Int(i) => i.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::DateTime(d) => d.to_string(),
        }
    }
}

/// A row with its 1-based row (CSV: line) number as the user sees it in the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub number: u64,
    pub cells: Vec<Cell>,
}

impl Row {
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(Cell::is_blank)
    }
}

/// Workbook date system, needed to read plain numbers in a date column as serials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateSystem {
    #[default]
    Excel1900,
    Excel1904,
}

/// Rows of one sheet or CSV file, in file order; blank rows may be skipped by the source.
pub trait RowSource {
    fn next_row(&mut self) -> Result<Option<Row>, ImportError>;

    fn date_system(&self) -> DateSystem {
        DateSystem::Excel1900
    }
}
