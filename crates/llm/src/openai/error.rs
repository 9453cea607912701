//! OpenAI's error object, `{"error": {"message", "type", "param", "code"}}`, mapped by its
//! documented codes.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::error::LlmError;
use crate::vendor_error::VendorError;

#[derive(Deserialize)]
pub(super) struct WireError {
    #[serde(default)]
    message: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    code: Option<Value>,
}

impl VendorError for WireError {
    fn by_code(self, retry_after: Option<Duration>) -> Result<LlmError, String> {
        let code = self.code.as_ref().and_then(Value::as_str).or(self.kind.as_deref()).unwrap_or_default();
        let message = self.message;
        Ok(match code {
            "invalid_api_key" | "invalid_authentication" => LlmError::InvalidKey { message },
            "model_not_found" => LlmError::ModelNotFound { message },
            "insufficient_quota" | "billing_hard_limit_reached" => LlmError::QuotaExceeded { message },
            "context_length_exceeded" | "string_above_max_length" => LlmError::ContextTooLong { message },
            "rate_limit_exceeded" => LlmError::RateLimited { retry_after, message },
            "server_error" => LlmError::Unavailable { message },
            _ => return Err(message),
        })
    }
}
