//! Provider keys, personas and saved conversations for every sqlx backend: SQL, row
//! conversions and [`impl_llm_config_repos!`](crate::impl_llm_config_repos), invoked next to
//! [`impl_primary_store!`](crate::impl_primary_store) by each primary store. JSON columns
//! (traits, messages, params) are text, encoded here, so both schemas are the same.

use crate::primary::{corrupt, to_u64};
use domain::personas::{ChatTurn, Conversation, ConversationSummary, Persona};
use services::{ports::ProviderKeyRecord, StoreError};

macro_rules! key_columns {
    () => {
        "id, project_id, name, vendor, base_url, default_model, key_ciphertext, key_last4, created_by, created_at_ms, updated_at_ms"
    };
}

macro_rules! persona_columns {
    () => {
        "id, project_id, name, description, goals, tone, language, traits, created_at_ms, updated_at_ms"
    };
}

macro_rules! conversation_columns {
    () => {
        "id, project_id, title, created_by, created_at_ms, provider_key_id, model, system_prompt, persona_id, messages, turns, params"
    };
}

/// The statements both dialects share.
pub mod sql {
    /// Binds: the [`key_columns`] in order.
    pub const INSERT_KEY: &str =
        concat!("INSERT INTO provider_keys (", key_columns!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)");
    /// Binds: id, name, vendor, base_url, default_model, key_ciphertext, key_last4, updated_at_ms.
    pub const UPDATE_KEY: &str = "UPDATE provider_keys SET name = $2, vendor = $3, base_url = $4, default_model = $5, \
                                  key_ciphertext = $6, key_last4 = $7, updated_at_ms = $8 WHERE id = $1";
    pub const KEY_BY_ID: &str = concat!("SELECT ", key_columns!(), " FROM provider_keys WHERE id = $1");
    pub const PROJECT_KEYS: &str = concat!("SELECT ", key_columns!(), " FROM provider_keys WHERE project_id = $1 ORDER BY name, id");
    pub const GLOBAL_KEYS: &str = concat!("SELECT ", key_columns!(), " FROM provider_keys WHERE project_id IS NULL ORDER BY name, id");
    pub const ENCRYPTED_KEYS: &str = concat!("SELECT ", key_columns!(), " FROM provider_keys WHERE key_ciphertext IS NOT NULL ORDER BY id");
    pub const DELETE_KEY: &str = "DELETE FROM provider_keys WHERE id = $1";
    /// Binds: id, old ciphertext, new ciphertext.
    pub const SWAP_CIPHERTEXT: &str = "UPDATE provider_keys SET key_ciphertext = $3 WHERE id = $1 AND key_ciphertext = $2";

    /// Binds: the [`persona_columns`] in order.
    pub const INSERT_PERSONA: &str =
        concat!("INSERT INTO personas (", persona_columns!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)");
    /// Binds: id, project_id, name, description, goals, tone, language, traits, updated_at_ms.
    pub const UPDATE_PERSONA: &str = "UPDATE personas SET name = $3, description = $4, goals = $5, tone = $6, language = $7, \
                                      traits = $8, updated_at_ms = $9 WHERE id = $1 AND project_id = $2";
    pub const PERSONA: &str = concat!("SELECT ", persona_columns!(), " FROM personas WHERE project_id = $1 AND id = $2");
    pub const PERSONAS: &str = concat!("SELECT ", persona_columns!(), " FROM personas WHERE project_id = $1 ORDER BY name, id");
    pub const DELETE_PERSONA: &str = "DELETE FROM personas WHERE project_id = $1 AND id = $2";

    /// Binds: the [`conversation_columns`] in order.
    pub const INSERT_CONVERSATION: &str =
        concat!("INSERT INTO conversations (", conversation_columns!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)");
    pub const CONVERSATION: &str = concat!("SELECT ", conversation_columns!(), " FROM conversations WHERE project_id = $1 AND id = $2");
    /// Binds: project, limit.
    pub const CONVERSATIONS: &str = "SELECT id, title, model, turns, created_at_ms FROM conversations WHERE project_id = $1 \
                                     ORDER BY created_at_ms DESC, id DESC LIMIT $2";
    pub const DELETE_CONVERSATION: &str = "DELETE FROM conversations WHERE project_id = $1 AND id = $2";
}

/// See `key_columns`.
pub type KeyRow =
    (String, Option<String>, String, String, Option<String>, String, Option<Vec<u8>>, Option<String>, Option<String>, i64, i64);

pub fn key_from_row(row: KeyRow) -> ProviderKeyRecord {
    let (id, project_id, name, vendor, base_url, default_model, key_ciphertext, key_last4, created_by, created_at_ms, updated_at_ms) = row;
    ProviderKeyRecord {
        id,
        project_id,
        name,
        vendor,
        base_url,
        default_model,
        key_ciphertext,
        key_last4,
        created_by,
        created_at_ms,
        updated_at_ms,
    }
}

/// See `persona_columns`.
pub type PersonaRow = (String, String, String, String, String, String, String, String, i64, i64);

pub fn persona_from_row(row: PersonaRow) -> Result<Persona, StoreError> {
    let (id, project_id, name, description, goals, tone, language, traits, created_at_ms, updated_at_ms) = row;
    let traits: Vec<String> = serde_json::from_str(&traits).map_err(|_| corrupt("personas.traits", &traits))?;
    Ok(Persona { id, project_id, name, description, goals, tone, language, traits, created_at_ms, updated_at_ms })
}

pub fn traits_column(p: &Persona) -> String {
    serde_json::Value::from(p.traits.clone()).to_string()
}

/// See `conversation_columns`.
pub type ConversationRow =
    (String, String, String, Option<String>, i64, Option<String>, String, String, Option<String>, String, i64, String);

pub fn conversation_from_row(row: ConversationRow) -> Result<Conversation, StoreError> {
    let (id, project_id, title, created_by, created_at_ms, provider_key_id, model, system_prompt, persona_id, messages, _turns, params) =
        row;
    let messages: Vec<ChatTurn> = serde_json::from_str(&messages).map_err(|e| corrupt("conversations.messages", e))?;
    let params = serde_json::from_str(&params).map_err(|e| corrupt("conversations.params", e))?;
    Ok(Conversation {
        id,
        project_id,
        title,
        created_by,
        created_at_ms,
        provider_key_id,
        model,
        system_prompt,
        persona_id,
        messages,
        params,
    })
}

/// `(messages, turns, params)` columns.
pub fn conversation_columns(c: &Conversation) -> Result<(String, i64, String), StoreError> {
    let messages = serde_json::to_string(&c.messages).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let turns = i64::try_from(c.messages.len()).map_err(|_| StoreError::Invalid("too many messages".into()))?;
    Ok((messages, turns, c.params.to_string()))
}

pub type SummaryRow = (String, String, String, i64, i64);

pub fn summary_from_row((id, title, model, turns, created_at_ms): SummaryRow) -> Result<ConversationSummary, StoreError> {
    let turns = usize::try_from(to_u64("conversations.turns", turns)?).map_err(|_| corrupt("conversations.turns", turns))?;
    Ok(ConversationSummary { id, title, model, turns, created_at_ms })
}

/// Implements `ProviderKeyRepo`, `PersonaRepo` and `ConversationRepo` for a store type with
/// a `pool` field:
///
/// ```ignore
/// store_sql::impl_llm_config_repos!(SqlitePrimaryStore);
/// ```
#[macro_export]
macro_rules! impl_llm_config_repos {
    ($store:ty) => {
        const _: () = {
            use $crate::__private::domain::personas::{Conversation, ConversationSummary, Persona};
            use $crate::__private::services::{
                error::StoreResult,
                ports::{CiphertextSwap, ConversationRepo, PersonaRepo, ProviderKeyRecord, ProviderKeyRepo},
                StoreError,
            };
            use $crate::__private::{async_trait, sqlx, tracing};
            use $crate::llm_config::{self as shared, sql};
            use $crate::primary::found;
            use $crate::{map_missing_ref as ref_err, map_sqlx_error as db_err};

            #[async_trait]
            impl ProviderKeyRepo for $store {
                #[tracing::instrument(level = "debug", skip_all, fields(id = %key.id))]
                async fn insert_provider_key(&self, key: &ProviderKeyRecord) -> StoreResult<()> {
                    sqlx::query(sql::INSERT_KEY)
                        .bind(&key.id)
                        .bind(&key.project_id)
                        .bind(&key.name)
                        .bind(&key.vendor)
                        .bind(&key.base_url)
                        .bind(&key.default_model)
                        .bind(&key.key_ciphertext)
                        .bind(&key.key_last4)
                        .bind(&key.created_by)
                        .bind(key.created_at_ms)
                        .bind(key.updated_at_ms)
                        .execute(&self.pool)
                        .await
                        .map_err(ref_err)?;
                    Ok(())
                }

                #[tracing::instrument(level = "debug", skip_all, fields(id = %key.id))]
                async fn update_provider_key(&self, key: &ProviderKeyRecord) -> StoreResult<()> {
                    let done = sqlx::query(sql::UPDATE_KEY)
                        .bind(&key.id)
                        .bind(&key.name)
                        .bind(&key.vendor)
                        .bind(&key.base_url)
                        .bind(&key.default_model)
                        .bind(&key.key_ciphertext)
                        .bind(&key.key_last4)
                        .bind(key.updated_at_ms)
                        .execute(&self.pool)
                        .await
                        .map_err(db_err)?;
                    found(done.rows_affected())
                }

                async fn provider_key(&self, id: &str) -> StoreResult<Option<ProviderKeyRecord>> {
                    let row: Option<shared::KeyRow> =
                        sqlx::query_as(sql::KEY_BY_ID).bind(id).fetch_optional(&self.pool).await.map_err(db_err)?;
                    Ok(row.map(shared::key_from_row))
                }

                async fn list_provider_keys(&self, project_id: Option<&services::ports::ProjectId>) -> StoreResult<Vec<ProviderKeyRecord>> {
                    let project_id = project_id.map(services::ports::ProjectId::as_str);
                    let rows: Vec<shared::KeyRow> = match project_id {
                        Some(p) => sqlx::query_as(sql::PROJECT_KEYS).bind(p).fetch_all(&self.pool).await,
                        None => sqlx::query_as(sql::GLOBAL_KEYS).fetch_all(&self.pool).await,
                    }
                    .map_err(db_err)?;
                    Ok(rows.into_iter().map(shared::key_from_row).collect())
                }

                #[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
                async fn delete_provider_key(&self, id: &str) -> StoreResult<()> {
                    let done = sqlx::query(sql::DELETE_KEY).bind(id).execute(&self.pool).await.map_err(db_err)?;
                    found(done.rows_affected())
                }

                async fn encrypted_provider_keys(&self) -> StoreResult<Vec<ProviderKeyRecord>> {
                    let rows: Vec<shared::KeyRow> = sqlx::query_as(sql::ENCRYPTED_KEYS).fetch_all(&self.pool).await.map_err(db_err)?;
                    Ok(rows.into_iter().map(shared::key_from_row).collect())
                }

                #[tracing::instrument(level = "debug", skip_all, fields(rows = swaps.len()))]
                async fn swap_provider_key_ciphertexts(&self, swaps: &[CiphertextSwap]) -> StoreResult<u64> {
                    let mut tx = self.pool.begin().await.map_err(db_err)?;
                    for swap in swaps {
                        let done = sqlx::query(sql::SWAP_CIPHERTEXT)
                            .bind(&swap.id)
                            .bind(&swap.old)
                            .bind(&swap.new)
                            .execute(&mut *tx)
                            .await
                            .map_err(db_err)?;
                        if done.rows_affected() != 1 {
                            // Dropping `tx` rolls every earlier swap back.
                            return Err(StoreError::Conflict(format!("provider key {} changed", swap.id)));
                        }
                    }
                    tx.commit().await.map_err(db_err)?;
                    Ok(swaps.len() as u64)
                }
            }

            #[async_trait]
            impl PersonaRepo for $store {
                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %persona.project_id))]
                async fn insert_persona(&self, persona: &Persona) -> StoreResult<()> {
                    sqlx::query(sql::INSERT_PERSONA)
                        .bind(&persona.id)
                        .bind(&persona.project_id)
                        .bind(&persona.name)
                        .bind(&persona.description)
                        .bind(&persona.goals)
                        .bind(&persona.tone)
                        .bind(&persona.language)
                        .bind(shared::traits_column(persona))
                        .bind(persona.created_at_ms)
                        .bind(persona.updated_at_ms)
                        .execute(&self.pool)
                        .await
                        .map_err(ref_err)?;
                    Ok(())
                }

                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %persona.project_id))]
                async fn update_persona(&self, persona: &Persona) -> StoreResult<()> {
                    let done = sqlx::query(sql::UPDATE_PERSONA)
                        .bind(&persona.id)
                        .bind(&persona.project_id)
                        .bind(&persona.name)
                        .bind(&persona.description)
                        .bind(&persona.goals)
                        .bind(&persona.tone)
                        .bind(&persona.language)
                        .bind(shared::traits_column(persona))
                        .bind(persona.updated_at_ms)
                        .execute(&self.pool)
                        .await
                        .map_err(db_err)?;
                    found(done.rows_affected())
                }

                async fn persona(&self, project_id: &services::ports::ProjectId, id: &str) -> StoreResult<Option<Persona>> {
                    let project_id = project_id.as_str();
                    let row: Option<shared::PersonaRow> =
                        sqlx::query_as(sql::PERSONA).bind(project_id).bind(id).fetch_optional(&self.pool).await.map_err(db_err)?;
                    row.map(shared::persona_from_row).transpose()
                }

                async fn list_personas(&self, project_id: &services::ports::ProjectId) -> StoreResult<Vec<Persona>> {
                    let project_id = project_id.as_str();
                    let rows: Vec<shared::PersonaRow> =
                        sqlx::query_as(sql::PERSONAS).bind(project_id).fetch_all(&self.pool).await.map_err(db_err)?;
                    rows.into_iter().map(shared::persona_from_row).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %project_id))]
                async fn delete_persona(&self, project_id: &services::ports::ProjectId, id: &str) -> StoreResult<()> {
                    let project_id = project_id.as_str();
                    let done = sqlx::query(sql::DELETE_PERSONA).bind(project_id).bind(id).execute(&self.pool).await.map_err(db_err)?;
                    found(done.rows_affected())
                }
            }

            #[async_trait]
            impl ConversationRepo for $store {
                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %conversation.project_id))]
                async fn insert_conversation(&self, conversation: &Conversation) -> StoreResult<()> {
                    let c = conversation;
                    let (messages, turns, params) = shared::conversation_columns(c)?;
                    sqlx::query(sql::INSERT_CONVERSATION)
                        .bind(&c.id)
                        .bind(&c.project_id)
                        .bind(&c.title)
                        .bind(&c.created_by)
                        .bind(c.created_at_ms)
                        .bind(&c.provider_key_id)
                        .bind(&c.model)
                        .bind(&c.system_prompt)
                        .bind(&c.persona_id)
                        .bind(messages)
                        .bind(turns)
                        .bind(params)
                        .execute(&self.pool)
                        .await
                        .map_err(ref_err)?;
                    Ok(())
                }

                async fn conversation(&self, project_id: &services::ports::ProjectId, id: &str) -> StoreResult<Option<Conversation>> {
                    let project_id = project_id.as_str();
                    let row: Option<shared::ConversationRow> =
                        sqlx::query_as(sql::CONVERSATION).bind(project_id).bind(id).fetch_optional(&self.pool).await.map_err(db_err)?;
                    row.map(shared::conversation_from_row).transpose()
                }

                async fn list_conversations(
                    &self,
                    project_id: &services::ports::ProjectId,
                    limit: u32,
                ) -> StoreResult<Vec<ConversationSummary>> {
                    let project_id = project_id.as_str();
                    let rows: Vec<shared::SummaryRow> = sqlx::query_as(sql::CONVERSATIONS)
                        .bind(project_id)
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_err)?;
                    rows.into_iter().map(shared::summary_from_row).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %project_id))]
                async fn delete_conversation(&self, project_id: &services::ports::ProjectId, id: &str) -> StoreResult<()> {
                    let project_id = project_id.as_str();
                    let done = sqlx::query(sql::DELETE_CONVERSATION).bind(project_id).bind(id).execute(&self.pool).await.map_err(db_err)?;
                    found(done.rows_affected())
                }
            }
        };
    };
}
