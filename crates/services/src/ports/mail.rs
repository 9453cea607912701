//! The mail port: sends one plain-text message. The SMTP adapter lives in
//! the `mail` crate; tests read what a local SMTP sink received.

use async_trait::async_trait;

/// A message to one recipient, plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// The address or message cannot be sent as given.
    #[error("the message cannot be sent: {0}")]
    Invalid(String),
    /// The mail server could not be reached or refused the message.
    #[error("the mail server is unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, msg: &OutgoingMail) -> Result<(), MailError>;
}
