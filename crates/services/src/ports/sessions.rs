//! The signed-in sessions of a person, as the session middleware keeps them. Implemented by the
//! server's tower-sessions store, which alone knows how a session is encoded.

use crate::error::StoreResult;
use async_trait::async_trait;
use domain::sessions::SessionFacts;

/// A live session: its token (the cookie value: a credential, never shown) and its facts.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveSession {
    pub token: String,
    pub facts: SessionFacts,
}

#[async_trait]
pub trait SessionDirectory: Send + Sync {
    /// The user's unexpired, signed-in sessions.
    async fn sessions_of(&self, user_id: &str) -> StoreResult<Vec<LiveSession>>;
    /// End one session (no-op when it is gone).
    async fn end(&self, token: &str) -> StoreResult<()>;
    /// End every session of the user but `keep`; returns how many ended.
    async fn end_all_but(&self, user_id: &str, keep: Option<&str>) -> StoreResult<u64>;
}
