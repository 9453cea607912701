//! The `Mailer` port over SMTP with lettre (rustls only, no OpenSSL).
//!
//! The URL picks the transport security:
//! - `smtp://host:port` — plain, no TLS (a local relay or a test sink);
//! - `smtps://user:pass@host:port` — implicit TLS (default port 465);
//! - `smtp+starttls://user:pass@host:port` — STARTTLS, required (default port 587).

use async_trait::async_trait;
use lettre::{
    message::{header::ContentType, Mailbox},
    transport::smtp::authentication::Credentials,
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use services::ports::{MailError, Mailer, OutgoingMail};
use std::time::Duration;

/// Sends through one SMTP server from one sender address.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transport holds credentials: never print it.
        f.debug_struct("SmtpMailer").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// `smtp_url` as described in the module docs; `from` like
    /// `ElasticDash <noreply@example.com>`. Connects lazily, at the first send.
    pub fn new(smtp_url: &str, from: &str) -> Result<Self, MailError> {
        let url = url::Url::parse(smtp_url).map_err(|e| MailError::Invalid(format!("bad SMTP URL: {e}")))?;
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| MailError::Invalid("the SMTP URL has no host".into()))?;
        let tls_err = |e: lettre::transport::smtp::Error| MailError::Invalid(format!("SMTP TLS set-up failed: {e}"));
        let (builder, default_port) = match url.scheme() {
            "smtp" => (AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host), 25),
            "smtps" => (AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(tls_err)?, 465),
            "smtp+starttls" => (AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host).map_err(tls_err)?, 587),
            other => return Err(MailError::Invalid(format!("unsupported SMTP URL scheme “{other}” (smtp, smtps or smtp+starttls)"))),
        };
        let mut builder = builder.port(url.port().unwrap_or(default_port)).timeout(Some(Duration::from_secs(15)));
        if !url.username().is_empty() {
            let user = decode(url.username());
            let password = decode(url.password().unwrap_or(""));
            builder = builder.credentials(Credentials::new(user, password));
        }
        let from = from.parse::<Mailbox>().map_err(|e| MailError::Invalid(format!("bad sender address: {e}")))?;
        Ok(SmtpMailer { transport: builder.build(), from })
    }
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[async_trait]
impl Mailer for SmtpMailer {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn send(&self, msg: &OutgoingMail) -> Result<(), MailError> {
        let to = msg.to.parse::<Mailbox>().map_err(|e| MailError::Invalid(format!("bad recipient address: {e}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(msg.subject.as_str())
            .header(ContentType::TEXT_PLAIN)
            .body(msg.text.clone())
            .map_err(|e| MailError::Invalid(e.to_string()))?;
        self.transport.send(message).await.map_err(|e| MailError::Unavailable(e.to_string()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_the_transport_or_are_refused() {
        assert!(SmtpMailer::new("smtp://127.0.0.1:2525", "ElasticDash <noreply@localhost>").is_ok());
        assert!(SmtpMailer::new("smtps://user:p%40ss@mail.example.com", "noreply@example.com").is_ok());
        assert!(SmtpMailer::new("smtp+starttls://user:pw@mail.example.com:587", "noreply@example.com").is_ok());
        assert!(matches!(SmtpMailer::new("http://mail.example.com", "noreply@example.com"), Err(MailError::Invalid(_))));
        assert!(matches!(SmtpMailer::new("smtp://127.0.0.1:25", "not an address"), Err(MailError::Invalid(_))));
        assert_eq!(decode("p%40ss%2"), "p@ss%2");
    }

    /// Sends through the real SMTP sink the test command starts
    /// (`ED_TEST_SMTP_URL`, `ED_TEST_MAIL_DIR`); fails loudly when it is not set.
    #[tokio::test]
    async fn sends_to_the_local_sink() {
        let url = std::env::var("ED_TEST_SMTP_URL").expect("ED_TEST_SMTP_URL is not set: run the tests with scripts/test.sh");
        let dir = std::env::var("ED_TEST_MAIL_DIR").expect("ED_TEST_MAIL_DIR is not set: run the tests with scripts/test.sh");
        let marker = format!("adapter-test-{}", std::process::id());
        let mailer = SmtpMailer::new(&url, "ElasticDash <noreply@localhost>").unwrap();
        let msg = OutgoingMail { to: "someone@example.com".into(), subject: format!("Hello {marker}"), text: "A body.\n".into() };
        mailer.send(&msg).await.unwrap();
        // The sink answers 250 after writing the message (into tmp/, then moved to new/).
        for _ in 0..100 {
            let received = std::fs::read_dir(std::path::Path::new(&dir).join("new")).into_iter().flatten().flatten();
            let found = received.filter_map(|e| std::fs::read_to_string(e.path()).ok()).find(|text| text.contains(&marker));
            if let Some(text) = found {
                assert!(text.contains("X-RcptTo: someone@example.com"), "{text}");
                assert!(text.contains("From: ElasticDash <noreply@localhost>") && text.contains("A body."), "{text}");
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the sink in {dir} did not receive the message");
    }
}
