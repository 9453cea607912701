//! Vendors' error bodies. All three wrap an error object in a top-level `error` field and
//! document codes in it; each vendor maps its own codes ([`VendorError`]), the rest is here once.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::error::{from_status, LlmError};
use crate::transport::excerpt;

pub(crate) trait VendorError: DeserializeOwned {
    /// The error the vendor's documented code names; `Err(message)` when the code names nothing
    /// specific and the HTTP status decides.
    fn by_code(self, retry_after: Option<Duration>) -> Result<LlmError, String>;
}

#[derive(Deserialize)]
struct Envelope<E> {
    error: E,
}

/// The transport's error mapper for vendor error type `E`.
pub(crate) fn map_error<E: VendorError>(status: u16, body: &str, retry_after: Option<Duration>) -> LlmError {
    match serde_json::from_str::<Envelope<E>>(body) {
        Ok(envelope) => classify(envelope.error, status, retry_after),
        // Compatible servers and proxies in between sometimes answer with plain text or HTML.
        Err(_) => from_status(status, excerpt(body), retry_after),
    }
}

pub(crate) fn classify<E: VendorError>(error: E, status: u16, retry_after: Option<Duration>) -> LlmError {
    error.by_code(retry_after).unwrap_or_else(|message| from_status(status, message, retry_after))
}

/// An error body sent as a stream event. It has no HTTP status: a server error unless its code
/// says otherwise.
pub(crate) fn in_stream<E: VendorError>(data: &str) -> Option<LlmError> {
    // Checked first so that ordinary chunks are not parsed twice.
    if !data.contains("\"error\"") {
        return None;
    }
    serde_json::from_str::<Envelope<E>>(data).ok().map(|envelope| classify(envelope.error, 500, None))
}
