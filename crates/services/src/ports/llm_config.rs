//! What the LLM features keep in the primary store: provider keys (encrypted by the
//! services layer before they get here), personas and saved playground conversations.

use super::ProjectId;
use crate::error::StoreResult;
use async_trait::async_trait;
use domain::personas::{Conversation, ConversationSummary, Persona};

/// A provider key row. The store never sees the key itself: only the ciphertext made by
/// `provider_keys::KeyCipher` and its last 4 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderKeyRecord {
    pub id: String,
    /// `None`: a global default.
    pub project_id: Option<String>,
    pub name: String,
    pub vendor: String,
    pub base_url: Option<String>,
    pub default_model: String,
    /// `None` when no key is needed (some OpenAI-compatible servers).
    pub key_ciphertext: Option<Vec<u8>>,
    pub key_last4: Option<String>,
    /// The user id of who created it.
    pub created_by: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// One row's ciphertext to replace, if it is still `old` (master key rotation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiphertextSwap {
    pub id: String,
    pub old: Vec<u8>,
    pub new: Vec<u8>,
}

#[async_trait]
pub trait ProviderKeyRepo {
    /// `Conflict` when the scope (project, or global) has a key of that name; `NotFound` for
    /// an unknown project.
    async fn insert_provider_key(&self, key: &ProviderKeyRecord) -> StoreResult<()>;
    /// Replace the row with `key.id`'s name, vendor, base URL, default model, ciphertext,
    /// last 4 and `updated_at_ms` (never its scope or creator). `NotFound`, `Conflict`.
    async fn update_provider_key(&self, key: &ProviderKeyRecord) -> StoreResult<()>;
    async fn provider_key(&self, id: &str) -> StoreResult<Option<ProviderKeyRecord>>;
    /// A project's keys (`Some`) or the global defaults (`None`), by name.
    async fn list_provider_keys(&self, project_id: Option<&ProjectId>) -> StoreResult<Vec<ProviderKeyRecord>>;
    /// `NotFound` when there is no such row.
    async fn delete_provider_key(&self, id: &str) -> StoreResult<()>;
    /// Every row that holds a ciphertext, by id (rotation).
    async fn encrypted_provider_keys(&self) -> StoreResult<Vec<ProviderKeyRecord>>;
    /// Apply every swap in one transaction: all or none. `Conflict` (and nothing written)
    /// when a row is gone or its ciphertext is no longer `old`. Returns the rows changed.
    async fn swap_provider_key_ciphertexts(&self, swaps: &[CiphertextSwap]) -> StoreResult<u64>;
}

#[async_trait]
pub trait PersonaRepo {
    /// `Conflict` when the project has a persona of that name; `NotFound` for an unknown project.
    async fn insert_persona(&self, persona: &Persona) -> StoreResult<()>;
    /// Replace the fields of the persona `(project_id, id)`, not its creation time.
    /// `NotFound`, `Conflict`.
    async fn update_persona(&self, persona: &Persona) -> StoreResult<()>;
    async fn persona(&self, project_id: &ProjectId, id: &str) -> StoreResult<Option<Persona>>;
    /// By name.
    async fn list_personas(&self, project_id: &ProjectId) -> StoreResult<Vec<Persona>>;
    /// `NotFound` when `(project_id, id)` is no persona.
    async fn delete_persona(&self, project_id: &ProjectId, id: &str) -> StoreResult<()>;
}

#[async_trait]
pub trait ConversationRepo {
    /// `NotFound` for an unknown project.
    async fn insert_conversation(&self, conversation: &Conversation) -> StoreResult<()>;
    async fn conversation(&self, project_id: &ProjectId, id: &str) -> StoreResult<Option<Conversation>>;
    /// Newest first, at most `limit`.
    async fn list_conversations(&self, project_id: &ProjectId, limit: u32) -> StoreResult<Vec<ConversationSummary>>;
    /// `NotFound` when `(project_id, id)` is no conversation.
    async fn delete_conversation(&self, project_id: &ProjectId, id: &str) -> StoreResult<()>;
}
