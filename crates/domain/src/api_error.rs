//! The one error body of every JSON API route (public API, uploads, CI, ingestion helpers):
//! `{"error": {"code": "...", "message": "..."}}`, the OpenAPI document's `Error`. OTLP routes
//! keep the OTLP specification's own `Status` body.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    pub error: ApiErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorDetail {
    /// Stable, for programs: `invalid`, `forbidden`, `not_found`, `conflict`, `too_large`, ...
    pub code: String,
    /// For people: a sentence that says what to do.
    pub message: String,
}

impl ApiErrorBody {
    pub fn new(code: &str, message: impl Into<String>) -> ApiErrorBody {
        ApiErrorBody { error: ApiErrorDetail { code: code.to_owned(), message: message.into() } }
    }
}
