//! Signed-in sessions as people see them. A session's token (its cookie value) is a bearer
//! credential: it never appears here. Sessions are named by an opaque handle instead.

use serde::{Deserialize, Serialize};

/// Facts a signed-in session keeps about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionFacts {
    pub login_at_ms: i64,
    pub last_seen_ms: i64,
    /// The user's `password_changed_at_ms` at login: a later change ends this session.
    pub password_epoch_ms: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// One of a person's sessions, for their account page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// Names the session for revocation; cannot be turned back into its token.
    pub handle: String,
    pub current: bool,
    pub ip: Option<String>,
    pub device: String,
    pub login_at_ms: i64,
    pub last_seen_ms: i64,
}

/// What a person's account page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub email: String,
    pub name: String,
    pub must_change_password: bool,
    pub sessions: Vec<SessionView>,
}

/// A short device description from a user agent string.
pub fn device_of(user_agent: &str) -> String {
    let browser = [("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"), ("curl/", "curl")]
        .iter()
        .find(|(marker, _)| user_agent.contains(marker))
        .map(|(_, name)| *name)
        .unwrap_or("Unknown browser");
    let os = [("Windows", "Windows"), ("Mac OS X", "macOS"), ("Android", "Android"), ("iPhone", "iPhone"), ("Linux", "Linux")]
        .iter()
        .find(|(marker, _)| user_agent.contains(marker))
        .map(|(_, name)| *name)
        .unwrap_or("unknown system");
    format!("{browser} on {os}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices() {
        assert_eq!(device_of("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit Chrome/120 Safari/537"), "Chrome on Linux");
        assert_eq!(device_of("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Version/17 Safari/605"), "Safari on macOS");
        assert_eq!(device_of("curl/8.0"), "curl on unknown system");
    }
}
