//! The vector side of the knowledge-base index: which provider key and model embed it (a
//! project setting, owners), the embedding calls of an index build (only chunks whose text is
//! new since the previous index; the rest reuse its vectors by content hash) and of a query.
//! Calls go through the [`LlmGateway`] like every other model call, so they are keyed, quota
//! checked and traced.

use super::{access, search};
use crate::{
    audit::{self, Change},
    context::RequestContext,
    llm_gateway::{KeyChoice, LlmGateway, LlmUse},
    ports::ProjectId,
    provider_keys, AppServices, ServiceError, ServiceResult,
};
use domain::{kb::KbSettings, ProjectRole};
use kb_index::{Chunk, Embeddings, VectorStore};
use llm::EmbedRequest;
use serde_json::json;

/// Texts per embedding request (vendors take far more; this keeps each request small).
const BATCH: usize = 64;
/// Origins of the embedding calls' spans: building an index, embedding a search query.
const ORIGIN: &str = "kb_index";
const QUERY_ORIGIN: &str = "kb_search";
/// Longest model name accepted.
const MAX_MODEL_CHARS: usize = 200;

/// Embed the index with `key_id` and `model` (owners); a blank key turns the vector side off.
/// The active release's index is rebuilt with the new setting. Audited.
pub async fn set(services: &AppServices, ctx: &RequestContext, slug: &str, key_id: &str, model: &str) -> ServiceResult<KbSettings> {
    let store = services.stores.primary.as_ref();
    let access = access(store, ctx, slug, ProjectRole::Owner).await?;
    let (key_id, model) = (key_id.trim(), model.trim());
    let old = store.kb_settings(&access.id).await?;
    let new = match key_id {
        "" => KbSettings { embedding_key_id: None, embedding_model: String::new(), ..old.clone() },
        _ => {
            if model.is_empty() || model.chars().count() > MAX_MODEL_CHARS {
                return Err(ServiceError::Invalid(format!("name the embedding model (1 to {MAX_MODEL_CHARS} characters)")));
            }
            provider_keys::usable_by_project(store, &access.id, key_id).await?.ok_or(ServiceError::NotFound("provider key"))?;
            KbSettings { embedding_key_id: Some(key_id.to_owned()), embedding_model: model.to_owned(), ..old.clone() }
        }
    };
    if new == old {
        return Ok(new);
    }
    store.set_kb_settings(&access.id, &new).await?;
    let change = Change {
        action: "kb.settings.embeddings",
        entity_type: "project",
        entity_id: &access.project.id,
        project_id: Some(&access.project.id),
        old: Some(json!({"key_id": old.embedding_key_id, "model": old.embedding_model})),
        new: Some(json!({"key_id": new.embedding_key_id, "model": new.embedding_model})),
    };
    audit::record(store, ctx, change).await?;
    if let Some(latest) = store.latest_release(&access.id).await? {
        search::enqueue(store, &access.id, latest.number).await?;
    }
    Ok(new)
}

/// The embeddings of `chunks` with `model`: the previous index's vectors where the text is
/// unchanged, the rest embedded in batches (`progress(done, total)` after each).
pub(crate) async fn for_chunks(
    llm: &dyn LlmGateway,
    project_id: &ProjectId,
    (key_id, model): (&str, &str),
    chunks: &[Chunk],
    previous: Option<&VectorStore>,
    mut progress: impl FnMut(usize, usize),
) -> ServiceResult<Embeddings> {
    let (mut embeddings, to_embed) = kb_index::vector::reuse(previous, model, chunks);
    if to_embed.is_empty() {
        return Ok(embeddings);
    }
    let connection = llm.connect(LlmUse::new(project_id, KeyChoice::Id(key_id), ORIGIN)).await?;
    for (n, batch) in to_embed.chunks(BATCH).enumerate() {
        let request =
            EmbedRequest { model: model.to_owned(), inputs: batch.iter().map(|&i| chunks[i].text.clone()).collect(), dimensions: None };
        let response = connection
            .provider
            .embed(&request)
            .await
            .map_err(|e| ServiceError::Invalid(format!("the embedding model did not answer: {e}")))?;
        if response.embeddings.len() != batch.len() {
            return Err(ServiceError::Invalid(format!(
                "the embedding model returned {} vectors for {} texts",
                response.embeddings.len(),
                batch.len()
            )));
        }
        for (&i, vector) in batch.iter().zip(response.embeddings) {
            embeddings
                .insert(chunks[i].content_hash.clone(), vector)
                .map_err(|e| ServiceError::Invalid(format!("an embedding is unusable: {e}")))?;
        }
        progress((n * BATCH + batch.len()).min(to_embed.len()), to_embed.len());
    }
    Ok(embeddings)
}

/// The query's vector, when the index was embedded with the model the settings still name.
/// A failed call gives `None` (the search stays lexical) and is logged, not returned: a
/// vendor outage must not take search down.
pub(crate) async fn for_query(
    llm: &dyn LlmGateway,
    project_id: &ProjectId,
    settings: &KbSettings,
    index_model: Option<&str>,
    query: &str,
) -> Option<Vec<f32>> {
    let (key_id, model) = settings.embeddings()?;
    if index_model != Some(model) {
        return None;
    }
    let embedded = async {
        let connection = llm.connect(LlmUse::new(project_id, KeyChoice::Id(key_id), QUERY_ORIGIN)).await?;
        let request = EmbedRequest { model: model.to_owned(), inputs: vec![query.to_owned()], dimensions: None };
        connection.provider.embed(&request).await.map_err(|e| ServiceError::Invalid(e.to_string()))
    };
    match embedded.await {
        Ok(mut r) if r.embeddings.len() == 1 => r.embeddings.pop(),
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(error = %e, %project_id, "the query could not be embedded; searching lexically");
            None
        }
    }
}
