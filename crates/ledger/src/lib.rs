//! Ledger spreadsheet import core (issue 5): spreadsheet/CSV in → header detection → column mapping
//! → validated [`LedgerRecord`]s out in batches. No HTTP and no storage: the upload endpoint and the
//! import job call [`preview`] to propose a [`ColumnMapping`], then [`import`] with the confirmed one.
//!
//! Memory: CSV and .xlsx are streamed (one row plus a batch in memory; xlsx also holds its shared
//! strings). calamine offers no streaming reader for .xls and .ods, so those sheets are loaded whole.

pub mod cell;
pub mod csv_source;
pub mod dates;
pub mod error;
pub mod header;
pub mod import;
pub mod mapping;
pub mod money;
pub mod sheet_source;
pub mod sniff;
#[cfg(feature = "generate")]
pub mod testdata;
pub mod validate;
pub mod zip_guard;

pub use cell::{Cell, DateSystem, Row, RowSource};
pub use csv_source::{CsvOptions, CsvSource, TextEncoding};
pub use dates::DateOrder;
pub use error::{BatchError, ImportError};
pub use import::{import, import_rows, preview, with_rows, ImportOptions, ImportSummary, Preview};
pub use mapping::{ColumnAssignment, ColumnMapping, LedgerField};
pub use money::DecimalSeparator;
pub use sheet_source::SheetOptions;
pub use sniff::{Format, Sniffed};
pub use validate::{DatasetSettings, LedgerRecord, Rejection, RejectionLog};
pub use zip_guard::ZipLimits;
