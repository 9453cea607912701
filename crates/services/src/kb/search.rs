//! The retrieval index of each release and searching it. A worker job builds the index of a
//! published release and stores it in the blob store: an immutable artifact every app server
//! loads on first use (and keeps a few in memory), so several servers answer alike.
//!
//! Ranking is lexical (BM25 with CJK bigrams, `kb-index`) and, when the project names an
//! embedding key and model (see [`super::embeddings`]), hybrid: the lexical and the vector
//! rankings fused by reciprocal rank. Each build of an index is its own blob, so a rebuilt
//! release (another embedding model) is never answered from a server's stale copy.

use super::access;
use crate::ports::InProject;
use crate::ports::ProjectId;
use crate::{
    authz::ProjectAccess,
    clock::now_ms,
    context::RequestContext,
    ports::{ByteStream, PrimaryStore},
    AppServices, ServiceError, ServiceResult, Stores,
};
use bytes::Bytes;
use domain::{
    jobs::{Attempt, NewJob},
    kb::{EntryKind, IndexStatus, KbIndexRecord},
    BlobKey, ProjectRole,
};
use futures::TryStreamExt;
use kb_index::{Hit, KbIndex, Query, Ranking};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Instant,
};

/// The job that builds one release's index; its payload is an [`IndexRef`].
pub const INDEX_JOB: &str = "kb.index.build";
/// Most hits one search returns.
pub const MAX_K: usize = 50;
/// Longest query accepted (the index cuts what it analyses anyway).
pub const MAX_QUERY_CHARS: usize = 2_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IndexRef {
    pub project_id: String,
    pub release: u64,
}

/// A new blob per build: servers cache loaded indexes by this key.
fn index_key(project_id: &str, release: u64) -> String {
    format!("kb/{project_id}/releases/{release}/index-{}.bin", uuid::Uuid::now_v7())
}

/// Queue the build of `release`'s index (after a publish or a rollback).
pub(crate) async fn enqueue(store: &dyn PrimaryStore, project_id: &ProjectId, release: u64) -> ServiceResult<()> {
    let now = now_ms();
    let record = KbIndexRecord {
        project_id: project_id.to_string(),
        release,
        status: IndexStatus::Queued,
        done: 0,
        total: 0,
        blob_key: None,
        vector_model: None,
        dimensions: None,
        error: None,
        updated_at_ms: now,
    };
    store.put_kb_index(&record).await?;
    let job = NewJob::new(INDEX_JOB, json!(IndexRef { project_id: project_id.to_string(), release }));
    store.enqueue_job(&job, now).await?;
    Ok(())
}

/// `kb.index.build`: chunk and index the release off the async runtime, store the artifact,
/// mark the record ready. Store errors return `Err` (retried); the last attempt marks it failed.
pub async fn index_job(services: &AppServices, r: &IndexRef, attempt: Attempt) -> Result<(), String> {
    let stores = &services.stores;
    match build(services, r).await {
        Ok(()) => Ok(()),
        Err(e) if attempt.is_last() => {
            let record = KbIndexRecord {
                project_id: r.project_id.clone(),
                release: r.release,
                status: IndexStatus::Failed,
                done: 0,
                total: 0,
                blob_key: None,
                vector_model: None,
                dimensions: None,
                error: Some(e.clone()),
                updated_at_ms: now_ms(),
            };
            stores.primary.put_kb_index(&record).await.map_err(|e| e.to_string())?;
            Err(e)
        }
        Err(e) => Err(e),
    }
}

async fn build(services: &AppServices, r: &IndexRef) -> Result<(), String> {
    let (stores, project) = (&services.stores, r.project());
    let Some(release) = stores.primary.release(&project, r.release).await.map_err(|e| e.to_string())? else {
        return Ok(()); // the project was deleted meanwhile
    };
    let mut record = KbIndexRecord {
        project_id: r.project_id.clone(),
        release: r.release,
        status: IndexStatus::Building,
        done: 0,
        total: release.entries.len() as u64,
        blob_key: None,
        vector_model: None,
        dimensions: None,
        error: None,
        updated_at_ms: now_ms(),
    };
    stores.primary.put_kb_index(&record).await.map_err(|e| e.to_string())?;
    let entries = release.plain_entries();
    let settings = stores.primary.kb_settings(&project).await.map_err(|e| e.to_string())?;
    let embeddings = match settings.embeddings() {
        Some(choice) => match embed(services, &project, choice, &entries, &mut record).await {
            Ok(e) => Some(e),
            Err(e @ (ServiceError::Invalid(_) | ServiceError::NotFound(_) | ServiceError::QuotaExceeded { .. })) => {
                // The index still answers lexically; the page says why it has no vector side.
                record.error = Some(format!("no vector search for this release: {e}"));
                None
            }
            Err(e) => return Err(e.to_string()),
        },
        None => None,
    };
    record.vector_model = embeddings.as_ref().map(|e| e.model.clone());
    record.dimensions = embeddings.as_ref().map(|e| e.dim() as u32).filter(|d| *d > 0);
    let bytes = tokio::task::spawn_blocking(move || {
        let builder = kb_index::IndexBuilder::new(&entries);
        let builder = match embeddings {
            Some(e) => builder.embeddings(e),
            None => builder,
        };
        builder.build().map(|i| i.to_bytes())
    })
    .await
    .map_err(|e| format!("the index build stopped: {e}"))?
    .map_err(|e| e.to_string())?;
    let key = index_key(&r.project_id, r.release);
    let blob = BlobKey::parse(&key).map_err(|e| e.to_string())?;
    let body = Bytes::from(bytes);
    let stream: ByteStream = Box::pin(futures::stream::once(async move { Ok::<_, std::io::Error>(body) }));
    stores.blob.put(&blob, stream, Some("application/octet-stream")).await.map_err(|e| e.to_string())?;
    record.status = IndexStatus::Ready;
    record.done = record.total;
    record.blob_key = Some(key);
    record.updated_at_ms = now_ms();
    stores.primary.put_kb_index(&record).await.map_err(|e| e.to_string())
}

/// The embeddings of a release's chunks, reusing the previous ready index's vectors; progress
/// goes to the index record.
async fn embed(
    services: &AppServices,
    project: &ProjectId,
    choice: (&str, &str),
    entries: &[domain::kb::Entry],
    record: &mut KbIndexRecord,
) -> ServiceResult<kb_index::Embeddings> {
    let stores = &services.stores;
    let chunks = kb_index::chunk::chunk_entries(entries);
    let previous = ready_index(stores, &IndexCache::default(), project).await?;
    let previous_vectors = previous.as_ref().and_then(|(_, i)| i.vectors());
    let embeddings = super::embeddings::for_chunks(services.llm.as_ref(), project, choice, &chunks, previous_vectors, |done, total| {
        record.done = done as u64;
        record.total = total as u64;
    })
    .await?;
    Ok(embeddings)
}

/// A loaded index, by its blob key (unique per build).
type Loaded = (String, Arc<KbIndex>);

/// Indexes loaded by this server, the most recently used last (a handful: one per active
/// project release).
pub struct IndexCache {
    loaded: Mutex<VecDeque<Loaded>>,
    capacity: usize,
}

impl Default for IndexCache {
    fn default() -> Self {
        IndexCache { loaded: Mutex::new(VecDeque::new()), capacity: 16 }
    }
}

impl IndexCache {
    fn get(&self, blob_key: &str) -> Option<Arc<KbIndex>> {
        let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        let at = loaded.iter().position(|(k, _)| k == blob_key)?;
        let item = loaded.remove(at)?;
        let index = item.1.clone();
        loaded.push_back(item);
        Some(index)
    }

    fn put(&self, blob_key: &str, index: Arc<KbIndex>) {
        let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        loaded.retain(|(k, _)| k != blob_key);
        loaded.push_back((blob_key.to_owned(), index));
        while loaded.len() > self.capacity {
            loaded.pop_front();
        }
    }
}

/// What a search asks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchInput {
    pub query: String,
    #[serde(default)]
    pub k: Option<usize>,
    /// `api_operation` / `table`; empty: both.
    #[serde(default)]
    pub kinds: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// The hits, which release answered and how they were ranked.
#[derive(Debug, Clone)]
pub struct SearchResult {
    pub release: Option<u64>,
    pub hits: Vec<Hit>,
    /// `Hybrid` when the query was embedded and the index has vectors, else `Lexical`.
    pub ranking: Ranking,
    pub took_ms: u64,
}

impl SearchResult {
    /// `lexical` or `hybrid`, as the API says it.
    pub fn ranking_name(&self) -> &'static str {
        match self.ranking {
            Ranking::Lexical => "lexical",
            Ranking::Vector => "vector",
            Ranking::Hybrid => "hybrid",
        }
    }
}

/// Search the newest release whose index is ready, by project id (callers authorised it: a
/// member's page or an API key of the project).
pub async fn search_project(services: &AppServices, project_id: &ProjectId, input: &SearchInput) -> ServiceResult<SearchResult> {
    let (stores, cache) = (&services.stores, services.kb_indexes.as_ref());
    let started = Instant::now();
    let text = input.query.trim();
    if text.is_empty() || text.chars().count() > MAX_QUERY_CHARS {
        return Err(ServiceError::Invalid(format!("the query has 1 to {MAX_QUERY_CHARS} characters")));
    }
    let kinds: Vec<EntryKind> = Query::parse_kinds(&input.kinds).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let Some((release, index)) = ready_index(stores, cache, project_id).await? else {
        return Ok(SearchResult {
            release: None,
            hits: Vec::new(),
            ranking: Ranking::Lexical,
            took_ms: started.elapsed().as_millis() as u64,
        });
    };
    let embedded = match index.embedding_model() {
        Some(model) => {
            let settings = stores.primary.kb_settings(project_id).await?;
            super::embeddings::for_query(services.llm.as_ref(), project_id, &settings, Some(model), text).await
        }
        None => None,
    };
    let ranking = if embedded.is_some() { Ranking::Hybrid } else { Ranking::Lexical };
    let query = Query::new(text).k(input.k.unwrap_or(10).clamp(1, MAX_K)).kinds(kinds).tags(input.tags.clone()).ranking(ranking);
    let hits = index.search(&query, embedded.as_deref());
    Ok(SearchResult { release: Some(release), hits, ranking, took_ms: started.elapsed().as_millis() as u64 })
}

/// A member's search (the search preview page).
pub async fn search(
    services: &AppServices,
    ctx: &RequestContext,
    slug: &str,
    input: &SearchInput,
) -> ServiceResult<(ProjectAccess, SearchResult)> {
    let access = access(services.stores.primary.as_ref(), ctx, slug, ProjectRole::Analyst).await?;
    let result = search_project(services, &access.id, input).await?;
    Ok((access, result))
}

/// The index record of the latest release (any member): is it built yet?
pub async fn status(stores: &Stores, project_id: &ProjectId) -> ServiceResult<Option<KbIndexRecord>> {
    match stores.primary.latest_release(project_id).await? {
        Some(h) => Ok(stores.primary.kb_index(project_id, h.number).await?),
        None => Ok(None),
    }
}

/// The newest ready index among the last few releases (a just-published release answers once
/// its index is built; meanwhile the previous one does).
async fn ready_index(stores: &Stores, cache: &IndexCache, project_id: &ProjectId) -> ServiceResult<Option<(u64, Arc<KbIndex>)>> {
    for header in stores.primary.list_releases(project_id, None, 5).await? {
        let Some(record) = stores.primary.kb_index(project_id, header.number).await? else { continue };
        let (IndexStatus::Ready, Some(key)) = (record.status, record.blob_key) else { continue };
        if let Some(index) = cache.get(&key) {
            return Ok(Some((header.number, index)));
        }
        let blob = BlobKey::parse(&key).map_err(|_| ServiceError::Internal)?;
        let body = stores.blob.get(&blob, None).await?;
        let chunks: Vec<Bytes> = body.stream.try_collect().await.map_err(|_| ServiceError::Unavailable)?;
        let index = tokio::task::spawn_blocking(move || KbIndex::from_bytes(&chunks.concat()))
            .await
            .map_err(|_| ServiceError::Internal)?
            .map_err(|e| {
            tracing::error!(error = %e, %project_id, release = header.number, "a knowledge-base index cannot be loaded");
            ServiceError::Internal
        })?;
        let index = Arc::new(index);
        cache.put(&key, index.clone());
        return Ok(Some((header.number, index)));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_keeps_the_most_recently_used() {
        let cache = IndexCache { capacity: 2, ..Default::default() };
        let empty = || Arc::new(kb_index::IndexBuilder::new(&[]).build().unwrap());
        cache.put("p/1", empty());
        cache.put("p/2", empty());
        assert!(cache.get("p/1").is_some());
        cache.put("p/3", empty());
        assert!(cache.get("p/2").is_none(), "the least recently used went");
        assert!(cache.get("p/1").is_some() && cache.get("p/3").is_some());
    }
}
