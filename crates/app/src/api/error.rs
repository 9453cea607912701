//! The error every server function returns: the service's error code (`forbidden`,
//! `not_found`, `invalid`, ...) and a sentence a person reads, typed on both sides of the wire
//! so a page or island can branch on the code instead of parsing text.

use leptos::prelude::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::codec::JsonEncoding;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppError {
    /// `services::ServiceError::code()`, or `transport` when the call itself failed.
    pub code: String,
    /// Capitalised, ready to show.
    pub message: String,
}

impl AppError {
    pub fn new(code: &str, message: &str) -> AppError {
        AppError { code: code.to_owned(), message: capitalise(message) }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AppError {}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    /// The call did not reach the use case (network, bad arguments, encoding).
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let message = match &value {
            ServerFnErrorErr::Request(_) => "The server could not be reached; check the connection and try again.".to_owned(),
            other => other.to_string(),
        };
        AppError::new("transport", &message)
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_as_sentences_and_keep_their_code() {
        let e = AppError::new("forbidden", "you do not have permission to do this");
        assert_eq!((e.code.as_str(), e.to_string().as_str()), ("forbidden", "You do not have permission to do this"));
        let t = AppError::from_server_fn_error(ServerFnErrorErr::Request("refused".into()));
        assert_eq!(t.code, "transport");
        let back: AppError = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
    }
}
