//! The knowledge base: entries (API operations and tables), drafts and their review, releases.

pub mod entry;

pub use entry::{
    ApiOperation, Body, Column, Entry, EntryKey, EntryKind, Example, ExampleQuery, ForeignKey, Index, ParamLocation, Parameter,
    RequestBody, ResponseSpec, Table,
};
