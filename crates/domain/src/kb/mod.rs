//! The knowledge base: entries (API operations and tables), drafts and their review, releases.

pub mod diff;
pub mod draft;
pub mod entry;
pub mod error;
pub mod jobs;
pub mod release;

pub use diff::{diff_entries, diff_entry, diff_release_entries, EntryChange, FieldChange, KbDiff};
pub use draft::{Draft, DraftChange, DraftSource, DraftStatus, ReviewPolicy};
pub use entry::{
    ApiOperation, Body, Column, Entry, EntryKey, EntryKind, Example, ExampleQuery, ForeignKey, Index, ParamLocation, Parameter,
    RequestBody, ResponseSpec, Table,
};
pub use error::KbRuleError;
pub use jobs::{ImportFormat, ImportStatus, IndexStatus, KbImport, KbIndexRecord};
pub use release::{content_hash, publish, rollback, KbSettings, Release, ReleaseEntry, ReleaseHeader};
