//! The account page's data.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRow {
    pub id: String,
    pub current: bool,
    pub ip: Option<String>,
    pub device: String,
    pub login_at_ms: i64,
    pub last_seen_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountView {
    pub email: String,
    pub name: String,
    pub must_change_password: bool,
    pub sessions: Vec<SessionRow>,
}

/// A short device description from a user agent string.
pub fn device_of(user_agent: &str) -> String {
    let browser = ["Edg/", "Firefox/", "Chrome/", "Safari/", "curl/"]
        .iter()
        .find(|b| user_agent.contains(*b))
        .map(|b| match *b {
            "Edg/" => "Edge",
            "Firefox/" => "Firefox",
            "Chrome/" => "Chrome",
            "Safari/" => "Safari",
            _ => "curl",
        })
        .unwrap_or("Unknown browser");
    let os =
        ["Windows", "Mac OS X", "Android", "iPhone", "Linux"].iter().find(|o| user_agent.contains(*o)).copied().unwrap_or("unknown system");
    format!("{browser} on {}", if os == "Mac OS X" { "macOS" } else { os })
}

#[server(prefix = "/api")]
pub async fn load_account() -> Result<AccountView, ServerFnError> {
    use super::support::*;
    use crate::session_view::SessionMeta;
    let ctx = request();
    let actor = ctx.actor().map_err(fail)?;
    let store = stores().primary;
    let user =
        store.user_by_id(&actor.user_id).await.map_err(|e| fail(e.into()))?.ok_or_else(|| fail(services::ServiceError::Unauthenticated))?;
    let current = page().session_id;
    let rows = store.user_sessions(&user.id, services::clock::now_ms()).await.map_err(|e| fail(e.into()))?;
    let mut sessions: Vec<SessionRow> = rows
        .into_iter()
        .filter_map(|s| {
            // tower-sessions stores {id, data: {...}, expiry_date}; our facts are under data.meta.
            let record: serde_json::Value = serde_json::from_slice(&s.data).ok()?;
            let meta: SessionMeta = serde_json::from_value(record.get("data")?.get("meta")?.clone()).ok()?;
            Some(SessionRow {
                current: current.as_deref() == Some(s.id.as_str()),
                id: s.id,
                ip: meta.ip,
                device: device_of(meta.user_agent.as_deref().unwrap_or("")),
                login_at_ms: meta.login_at_ms,
                last_seen_ms: meta.last_seen_ms,
            })
        })
        .collect();
    sessions.sort_by_key(|s| (!s.current, -s.last_seen_ms));
    Ok(AccountView { email: user.email.to_string(), name: user.name, must_change_password: user.must_change_password, sessions })
}

/// Whether the first-run page should offer to create the first admin.
#[server(prefix = "/api")]
pub async fn first_run_needed() -> Result<bool, ServerFnError> {
    use super::support::*;
    Ok(stores().primary.count_users().await.map_err(|e| fail(e.into()))? == 0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn devices() {
        assert_eq!(super::device_of("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit Chrome/120 Safari/537"), "Chrome on Linux");
        assert_eq!(super::device_of("curl/8.0"), "curl on unknown system");
    }
}
