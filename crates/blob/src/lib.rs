//! Blob stores: a local folder (the default) and any S3-compatible server.
//!
//! Both adapters keep the same promises (checked by the contract suite in
//! `test-support`):
//! - `put` streams: at most one buffer (local) or one multipart part (S3, 8 MiB)
//!   is held in memory, and nothing is visible under the key until the whole
//!   body has been stored; a body stream that fails leaves the key as it was.
//! - `get` with a range returns exactly those bytes; `BlobBody::meta.size` is
//!   the size of the whole blob (for a `Content-Range` header), not of the range.
//! - `list` reports keys and sizes, sorted by key; it does not report content
//!   types (`content_type` is `None`), as S3's ListObjectsV2 does not return them.
//! - a failing upload body gives `StoreError::Invalid`.

mod local;
mod s3;

pub use local::LocalBlobStore;
pub use s3::{S3BlobStore, S3Config};

use services::StoreError;

/// Longest accepted content type.
const MAX_CONTENT_TYPE_LEN: usize = 255;

/// A content type must fit in an HTTP header: visible ASCII and spaces only.
fn check_content_type(content_type: Option<&str>) -> Result<(), StoreError> {
    match content_type {
        Some(ct) if ct.is_empty() || ct.len() > MAX_CONTENT_TYPE_LEN || !ct.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) => {
            Err(StoreError::Invalid(format!("content type {:?} is not a valid header value", ct.chars().take(40).collect::<String>())))
        }
        _ => Ok(()),
    }
}

/// Reject an inverted range before touching the backend.
fn check_range(range: Option<services::ports::ByteRange>) -> Result<(), StoreError> {
    match range {
        Some(r) if r.end.is_some_and(|end| end < r.start) => {
            Err(StoreError::Invalid(format!("byte range {}-{:?} ends before it starts", r.start, r.end)))
        }
        _ => Ok(()),
    }
}

fn body_failed(e: std::io::Error) -> StoreError {
    StoreError::Invalid(format!("reading the upload body failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use services::ports::ByteRange;

    #[test]
    fn content_types_must_be_header_safe() {
        assert!(check_content_type(None).is_ok());
        assert!(check_content_type(Some("text/csv; charset=utf-8")).is_ok());
        assert!(check_content_type(Some("")).is_err());
        assert!(check_content_type(Some("text/plain\r\nX-Evil: 1")).is_err());
        assert!(check_content_type(Some(&"a".repeat(256))).is_err());
    }

    #[test]
    fn inverted_ranges_are_invalid() {
        assert!(check_range(None).is_ok());
        assert!(check_range(Some(ByteRange { start: 5, end: None })).is_ok());
        assert!(check_range(Some(ByteRange { start: 5, end: Some(5) })).is_ok());
        assert!(check_range(Some(ByteRange { start: 5, end: Some(4) })).is_err());
    }
}
