//! tower-sessions on top of the primary store's session rows, so sessions
//! live in the same database as everything else (SQLite or PostgreSQL) and
//! any app server behind a load balancer can read them.

use crate::settings::Settings;
use async_trait::async_trait;
use domain::sessions::SessionFacts;
use services::{
    ports::{LiveSession, PrimaryStore, SessionDirectory},
    StoreError,
};
use std::sync::Arc;
use tower_sessions::{
    cookie::{time::Duration, SameSite},
    session::{Id, Record},
    session_store::{self, SessionStore},
    Expiry, SessionManagerLayer,
};

#[derive(Clone)]
pub struct PrimarySessionStore(Arc<dyn PrimaryStore>);

impl std::fmt::Debug for PrimarySessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrimarySessionStore({})", self.0.backend())
    }
}

impl PrimarySessionStore {
    pub fn new(store: Arc<dyn PrimaryStore>) -> Self {
        PrimarySessionStore(store)
    }

    /// The session middleware: HttpOnly, SameSite=Lax, idle expiry; Secure and
    /// `__Host-` prefixed when served over TLS.
    pub fn layer(store: Arc<dyn PrimaryStore>, settings: &Settings) -> SessionManagerLayer<PrimarySessionStore> {
        let secure = settings.server.secure_cookies;
        SessionManagerLayer::new(PrimarySessionStore::new(store))
            .with_name(if secure { "__Host-ed_session" } else { "ed_session" })
            .with_http_only(true)
            .with_same_site(SameSite::Lax)
            .with_secure(secure)
            .with_path("/")
            .with_expiry(Expiry::OnInactivity(Duration::minutes(settings.auth.session_idle_minutes)))
    }
}

fn backend_err(e: StoreError) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

/// The stored bytes, the expiry, and the signed-in user's id (copied out of
/// the data so a user's sessions can be listed and revoked).
fn encode(record: &Record) -> session_store::Result<(Vec<u8>, i64, Option<&str>)> {
    let bytes = serde_json::to_vec(record).map_err(|e| session_store::Error::Encode(e.to_string()))?;
    let expires_ms = (record.expiry_date.unix_timestamp_nanos() / 1_000_000) as i64;
    let user_id = record.data.get("user_id").and_then(|v| v.as_str());
    Ok((bytes, expires_ms, user_id))
}

#[async_trait]
impl SessionStore for PrimarySessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            let (bytes, expires_ms, user_id) = encode(record)?;
            match self.0.create_session(&record.id.to_string(), user_id, &bytes, expires_ms).await {
                // An id collision: draw another one.
                Err(StoreError::Conflict(_)) => record.id = Id::default(),
                other => return other.map_err(backend_err),
            }
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let (bytes, expires_ms, user_id) = encode(record)?;
        self.0.save_session(&record.id.to_string(), user_id, &bytes, expires_ms).await.map_err(backend_err)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some(bytes) = self.0.load_session(&id.to_string(), services::clock::now_ms()).await.map_err(backend_err)? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes).map(Some).map_err(|e| session_store::Error::Decode(e.to_string()))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.0.delete_session(&id.to_string()).await.map_err(backend_err)
    }
}

/// The people's view of their sessions: decodes the facts the sign-in stored under `meta`.
#[async_trait]
impl SessionDirectory for PrimarySessionStore {
    async fn sessions_of(&self, user_id: &str) -> Result<Vec<LiveSession>, StoreError> {
        let rows = self.0.user_sessions(user_id, services::clock::now_ms()).await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let record: Record = serde_json::from_slice(&row.data).ok()?;
                let facts: SessionFacts = serde_json::from_value(record.data.get(crate::http::auth::META)?.clone()).ok()?;
                Some(LiveSession { token: row.id, facts })
            })
            .collect())
    }

    async fn end(&self, token: &str) -> Result<(), StoreError> {
        self.0.delete_session(token).await
    }

    async fn end_all_but(&self, user_id: &str, keep: Option<&str>) -> Result<u64, StoreError> {
        self.0.delete_user_sessions(user_id, keep).await
    }
}
