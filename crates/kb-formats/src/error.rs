//! What importers return and the bounds they keep.

use domain::kb::Entry;

/// Bounds on one import. Each is checked before or while the work grows, so a hostile document
/// is refused early with a message naming the bound, instead of exhausting memory or time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Size of the uploaded bytes.
    pub max_bytes: usize,
    /// HTTP operations in one OpenAPI document; tables in one DDL script.
    pub max_operations: usize,
    /// Nesting of the document itself (JSON/YAML parsers also stop at 128 on their own).
    pub max_depth: usize,
    /// Nesting of one schema after its `$ref`s are expanded (a chain of schemas each
    /// embedding the next legitimately goes deeper than the document does).
    pub max_resolved_depth: usize,
    /// JSON nodes produced in total by `$ref` expansion (every node of every expanded schema;
    /// a schema referenced 10,000 times is copied 10,000 times). (The document tree itself is
    /// bounded by its size: at most one node per two bytes, plus one million for YAML aliases;
    /// an alias bomb stops there.) Memory is roughly 300 bytes per
    /// node (serde_json objects are B-trees), so the default 5 million is about 1.5 GB at
    /// worst; GitHub's REST description (1,223 operations) needs 0.6 million, the generated
    /// 10,000-operation bench document 1.4 million.
    pub max_resolved_nodes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_bytes: 50 * 1024 * 1024,
            max_operations: 20_000,
            max_depth: 128,
            max_resolved_depth: 512,
            max_resolved_nodes: 5_000_000,
        }
    }
}

/// What an import produced. Warnings are things skipped or kept as-is (a remote `$ref`, an
/// `INSERT` in a pg_dump): the import still succeeded, and the person is told what was left out.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Imported {
    pub entries: Vec<Entry>,
    pub warnings: Vec<String>,
}

/// Why an import failed, so that a caller can pick an HTTP status or a form message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Not text, not JSON/YAML/SQL, or not the kind of document expected (a PDF, a JSON that is
    /// not OpenAPI).
    NotThisFormat,
    /// JSON, YAML or SQL syntax error (line and column set).
    Syntax,
    /// Valid syntax, but the document's structure is wrong (pointer set).
    Invalid,
    /// A [`Limits`] bound was reached.
    TooLarge,
}

/// A person-readable import failure: where (JSON pointer, or line and column) and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct ImportError {
    pub kind: ErrorKind,
    pub message: String,
    /// JSON pointer into the document (`/paths/~1users/get/responses`), when known.
    pub pointer: Option<String>,
    /// 1-based line and column, when known.
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl ImportError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> ImportError {
        ImportError { kind, message: message.into(), pointer: None, line: None, column: None }
    }

    pub fn at_pointer(kind: ErrorKind, pointer: &str, message: impl Into<String>) -> ImportError {
        ImportError { pointer: Some(if pointer.is_empty() { "/".into() } else { pointer.into() }), ..ImportError::new(kind, message) }
    }

    pub fn at_line(kind: ErrorKind, line: usize, column: Option<usize>, message: impl Into<String>) -> ImportError {
        ImportError { line: Some(line), column, ..ImportError::new(kind, message) }
    }

    fn render(&self) -> String {
        let mut s = String::new();
        match (self.line, self.column) {
            (Some(l), Some(c)) => s.push_str(&format!("line {l}, column {c}: ")),
            (Some(l), None) => s.push_str(&format!("line {l}: ")),
            _ => {}
        }
        if let Some(p) = &self.pointer {
            s.push_str(&format!("at {p}: "));
        }
        s.push_str(&self.message);
        s
    }
}

/// Escapes one JSON-pointer segment (`/` → `~1`, `~` → `~0`).
pub(crate) fn escape_segment(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// `base/segment`, escaped.
pub(crate) fn child(base: &str, segment: &str) -> String {
    format!("{base}/{}", escape_segment(segment))
}
