//! One typed error for everything that stops a whole import. Row-level problems are not errors:
//! they become [`crate::Rejection`]s and the import goes on.

use crate::sniff::Format;

/// Error returned by a batch consumer (the caller's insert); kept boxed so any store error fits.
pub type BatchError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file is empty")]
    EmptyFile,
    #[error("the file is not a spreadsheet or CSV we can read ({detail}); supported: .xlsx, .xls, .ods, .csv, .tsv")]
    UnrecognisedFormat { detail: String },
    #[error("the file looks like {format} but could not be read: {detail}")]
    Corrupt { format: Format, detail: String },
    #[error(
        "the file was refused as a possible zip bomb: entry '{entry}' would inflate to {uncompressed} bytes from {compressed} \
         ({reason})"
    )]
    ZipBomb { entry: String, compressed: u64, uncompressed: u64, reason: String },
    #[error("the workbook has no worksheet{}", .0.as_ref().map(|s| format!(" named '{s}'")).unwrap_or_default())]
    NoWorksheet(Option<String>),
    #[error("the file has no data: {0}")]
    NoData(&'static str),
    #[error("row {row} has {found} columns; at most {max} are supported")]
    TooManyColumns { row: u64, found: usize, max: usize },
    #[error("invalid column mapping: {0}")]
    Mapping(String),
    #[error("could not read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("could not store a batch of records: {0}")]
    Batch(BatchError),
}

impl ImportError {
    pub(crate) fn corrupt(format: Format, detail: impl std::fmt::Display) -> Self {
        ImportError::Corrupt { format, detail: detail.to_string() }
    }
}
