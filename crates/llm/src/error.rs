//! The one error type of the provider layer. Messages are safe to show a user: they carry the
//! vendor's explanation, never the request headers (so never the key).

use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    #[error("the API key was rejected: {message}")]
    InvalidKey { message: String },
    #[error("model not found: {message}")]
    ModelNotFound { message: String },
    #[error("rate limited{}: {message}", retry_hint(*retry_after))]
    RateLimited { retry_after: Option<Duration>, message: String },
    #[error("quota or credit exhausted: {message}")]
    QuotaExceeded { message: String },
    #[error("the prompt is longer than the model's context window: {message}")]
    ContextTooLong { message: String },
    #[error("the vendor rejected the request: {message}")]
    InvalidRequest { message: String },
    #[error("no answer within {}s", after.as_secs_f32())]
    Timeout { after: Duration },
    #[error("the vendor is unavailable: {message}")]
    Unavailable { message: String },
    #[error("unexpected response from the vendor: {message}")]
    BadResponse { message: String },
    #[error("not supported: {what}")]
    Unsupported { what: String },
}

fn retry_hint(retry_after: Option<Duration>) -> String {
    retry_after.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default()
}

/// The variant without its data: for metrics, observers and stable error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LlmErrorKind {
    InvalidKey,
    ModelNotFound,
    RateLimited,
    QuotaExceeded,
    ContextTooLong,
    InvalidRequest,
    Timeout,
    Unavailable,
    BadResponse,
    Unsupported,
}

impl LlmError {
    pub fn kind(&self) -> LlmErrorKind {
        match self {
            LlmError::InvalidKey { .. } => LlmErrorKind::InvalidKey,
            LlmError::ModelNotFound { .. } => LlmErrorKind::ModelNotFound,
            LlmError::RateLimited { .. } => LlmErrorKind::RateLimited,
            LlmError::QuotaExceeded { .. } => LlmErrorKind::QuotaExceeded,
            LlmError::ContextTooLong { .. } => LlmErrorKind::ContextTooLong,
            LlmError::InvalidRequest { .. } => LlmErrorKind::InvalidRequest,
            LlmError::Timeout { .. } => LlmErrorKind::Timeout,
            LlmError::Unavailable { .. } => LlmErrorKind::Unavailable,
            LlmError::BadResponse { .. } => LlmErrorKind::BadResponse,
            LlmError::Unsupported { .. } => LlmErrorKind::Unsupported,
        }
    }

    /// Worth another attempt: the same request may succeed later. Timeouts are not retried: the
    /// caller has already waited the whole timeout once.
    pub fn is_retryable(&self) -> bool {
        matches!(self, LlmError::RateLimited { .. } | LlmError::Unavailable { .. })
    }

    pub(crate) fn bad_response(message: impl std::fmt::Display) -> Self {
        LlmError::BadResponse { message: message.to_string() }
    }

    pub(crate) fn unsupported(what: impl Into<String>) -> Self {
        LlmError::Unsupported { what: what.into() }
    }
}

/// Mapping shared by every vendor for what the HTTP status alone says; vendors refine it by their
/// documented error codes first.
pub(crate) fn from_status(status: u16, message: String, retry_after: Option<Duration>) -> LlmError {
    match status {
        401 | 403 => LlmError::InvalidKey { message },
        404 => LlmError::ModelNotFound { message },
        413 => LlmError::ContextTooLong { message },
        429 => LlmError::RateLimited { retry_after, message },
        500..=599 => LlmError::Unavailable { message },
        400..=499 => LlmError::InvalidRequest { message },
        _ => LlmError::BadResponse { message: format!("HTTP {status}: {message}") },
    }
}
