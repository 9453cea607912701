//! Knowledge-base documents in and out: OpenAPI (JSON or YAML) and SQL DDL become
//! `domain::kb::Entry` values, and the active KB is written back in the same formats.
//!
//! Every importer takes [`Limits`] and answers within bounded time and memory: hostile input
//! (alias bombs, `$ref` cycles, deep nesting, huge documents, binary files) gives an
//! [`ImportError`] a person can act on, never a panic, a hang or an out-of-memory kill.

mod error;

pub mod ddl;
pub mod openapi;
pub mod testdata;

pub use ddl::{export_ddl, parse_ddl, parse_ddl_bytes, Dialect};
pub use error::{ErrorKind, ImportError, Imported, Limits};
pub use openapi::{export_openapi, export_openapi_yaml, parse_openapi, parse_openapi_each, parse_openapi_with_progress};
