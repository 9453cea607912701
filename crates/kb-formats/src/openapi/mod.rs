//! OpenAPI 3.0 / 3.1 and Swagger 2.0 (JSON or YAML) ↔ KB entries.
//!
//! Order of the entries: paths in byte order of their text, and within a path the methods in
//! OpenAPI's order (get, put, post, delete, options, head, patch, trace). Maps inside an entry
//! (media types, response statuses, named examples) come out sorted by key, arrays (parameters,
//! tags) in document order. Sorting rather than document order is deliberate: the app's JSON
//! maps are sorted (serde_json without `preserve_order`), so only a sorted import survives
//! import → export → import unchanged.
//!
//! Paths are kept as written: Swagger's `basePath` and OpenAPI's `servers` are not prepended.

mod export;
mod import;
pub(crate) mod load;
mod resolve;

pub use export::{export_openapi, export_openapi_yaml};
pub(crate) use load::text;
pub use resolve::RECURSIVE_REF;

use domain::kb::Entry;

use crate::error::{ImportError, Imported, Limits};

/// Reads an OpenAPI 3.0/3.1 or Swagger 2.0 document (JSON or YAML, sniffed) into entries.
pub fn parse_openapi(bytes: &[u8], limits: &Limits) -> Result<Imported, ImportError> {
    parse_openapi_with_progress(bytes, limits, &mut |_, _| {})
}

/// [`parse_openapi`], calling `progress(done, total)` after each operation (for an upload page).
pub fn parse_openapi_with_progress(bytes: &[u8], limits: &Limits, progress: &mut dyn FnMut(usize, usize)) -> Result<Imported, ImportError> {
    let mut entries = Vec::new();
    let warnings = parse_openapi_each(bytes, limits, &mut |e, done, total| {
        entries.push(e);
        progress(done, total);
    })?;
    Ok(Imported { entries, warnings })
}

/// Streaming form: hands each entry to `sink(entry, done, total)` as soon as it is built and
/// keeps none, so peak memory is the document plus one operation's expanded schemas instead of
/// all of them (see the bench: expanded schemas dominate memory on large documents). Returns
/// the warnings. An error can come after some entries were handed over: a caller that stores
/// them must do so in one transaction, or discard them on error.
pub fn parse_openapi_each(bytes: &[u8], limits: &Limits, sink: &mut dyn FnMut(Entry, usize, usize)) -> Result<Vec<String>, ImportError> {
    let text = load::text(bytes, limits, "an OpenAPI document")?;
    let (root, _syntax) = load::parse_tree(text, limits)?;
    import::entries(&root, limits, sink)
}
