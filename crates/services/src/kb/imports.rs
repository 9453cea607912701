//! Imports: an OpenAPI document or SQL DDL script, uploaded (≤ 50 MB, kept in the blob store),
//! parsed by a worker job into a preview against the active knowledge base; the person picks
//! what becomes drafts. Re-importing the same file changes nothing (every entry is unchanged).

use super::{access, drafts, raced, rule};
use crate::ports::InProject;
use crate::ports::ProjectId;
use crate::{
    audit::{self, Change},
    authz::ProjectAccess,
    clock::now_ms,
    context::RequestContext,
    ports::{ByteStream, PrimaryStore},
    ServiceError, ServiceResult, Stores,
};
use bytes::Bytes;
use domain::{
    jobs::{Attempt, NewJob},
    kb::{
        diff_entries, draft::can_edit, DraftChange, DraftSource, Entry, EntryKey, EntryKind, ImportFormat, ImportStatus, KbDiff, KbImport,
    },
    BlobKey, ProjectRole,
};
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::time::{Duration, Instant};

/// The job that parses one import; its payload is an [`ImportRef`].
pub const PARSE_JOB: &str = "kb.import.parse";
/// Largest file accepted.
pub const MAX_FILE_BYTES: usize = 50 << 20;
/// Progress is written at most this often while parsing.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportRef {
    pub project_id: String,
    pub import_id: String,
}

fn kind_of(format: ImportFormat) -> EntryKind {
    match format {
        ImportFormat::OpenApi => EntryKind::ApiOperation,
        ImportFormat::DdlPostgres | ImportFormat::DdlMysql => EntryKind::Table,
    }
}

/// May the caller import into `slug` (editors and owners)? Checked before an upload is read.
pub async fn authorize(stores: &Stores, ctx: &RequestContext, slug: &str) -> ServiceResult<ProjectAccess> {
    let access = access(stores.primary.as_ref(), ctx, slug, ProjectRole::Analyst).await?;
    can_edit(access.role).map_err(rule)?;
    Ok(access)
}

/// Keep the file and queue its parsing (editors and owners); audited.
pub async fn start(
    stores: &Stores,
    ctx: &RequestContext,
    slug: &str,
    format: ImportFormat,
    file_name: &str,
    file: Bytes,
) -> ServiceResult<KbImport> {
    let access = authorize(stores, ctx, slug).await?;
    let actor = ctx.actor()?;
    if file.is_empty() {
        return Err(ServiceError::Invalid("the file is empty; choose an OpenAPI document or an SQL script".into()));
    }
    if file.len() > MAX_FILE_BYTES {
        return Err(ServiceError::Invalid(format!(
            "the file is {} MiB; at most {} MiB can be imported",
            file.len() >> 20,
            MAX_FILE_BYTES >> 20
        )));
    }
    let file_name = crate::datasets::base_file_name(file_name)?;
    let id = uuid::Uuid::now_v7().to_string();
    let project_id = access.id.clone();
    let blob_key = format!("kb/{project_id}/imports/{id}/source");
    let key = BlobKey::parse(&blob_key).map_err(|_| ServiceError::Internal)?;
    let size = file.len() as u64;
    let body: ByteStream = Box::pin(futures::stream::once(async move { Ok::<_, std::io::Error>(file) }));
    stores.blob.put(&key, body, None).await?;
    let now = now_ms();
    let import = KbImport {
        id: id.clone(),
        project_id: project_id.to_string(),
        format,
        file_name,
        blob_key,
        size_bytes: size,
        status: ImportStatus::Queued,
        done: 0,
        total: 0,
        error: None,
        warnings: Vec::new(),
        result_blob_key: None,
        entries: 0,
        drafts_made: 0,
        created_by: actor.user_id.clone(),
        created_at_ms: now,
        updated_at_ms: now,
    };
    stores.primary.insert_kb_import(&import).await?;
    let job = NewJob::new(PARSE_JOB, json!(ImportRef { project_id: project_id.to_string(), import_id: id.clone() }));
    stores.primary.enqueue_job(&job, now).await?;
    let change = Change {
        action: "kb.import.start",
        entity_type: "kb_import",
        entity_id: &id,
        project_id: Some(project_id.as_str()),
        old: None,
        new: Some(json!({"format": format.as_str(), "file_name": import.file_name, "size_bytes": size})),
    };
    audit::record(stores.primary.as_ref(), ctx, change).await?;
    Ok(import)
}

async fn read_blob(stores: &Stores, key: &str) -> ServiceResult<Vec<u8>> {
    let key = BlobKey::parse(key).map_err(|_| ServiceError::Internal)?;
    let body = stores.blob.get(&key, None).await?;
    let chunks: Vec<Bytes> = body.stream.try_collect().await.map_err(|e| {
        tracing::error!(error = %e, "cannot read a knowledge-base import");
        ServiceError::Unavailable
    })?;
    Ok(chunks.concat())
}

/// `kb.import.parse`: parse the file off the async runtime, with progress; a bad file ends the
/// import failed with the parser's message (naming the JSON pointer or line) and the job
/// succeeds. Store errors return `Err` so the job is retried.
pub async fn parse_job(stores: &Stores, r: &ImportRef, attempt: Attempt) -> Result<(), String> {
    let store = stores.primary.as_ref();
    let Some(mut import) = store.kb_import(&r.project(), &r.import_id).await.map_err(|e| e.to_string())? else { return Ok(()) };
    let from = import.status;
    if !from.is_active() {
        return Ok(());
    }
    import.status = ImportStatus::Parsing;
    import.updated_at_ms = now_ms();
    match store.update_kb_import(&import, from).await {
        Ok(()) => {}
        Err(crate::StoreError::Conflict(_)) => return Ok(()),
        Err(e) => return Err(e.to_string()),
    }
    let bytes = match read_blob(stores, &import.blob_key).await {
        Ok(b) => b,
        Err(e) if attempt.is_last() => return fail(store, import, format!("the uploaded file could not be read: {e}")).await,
        Err(e) => return Err(e.to_string()),
    };
    let (tx, mut rx) = tokio::sync::watch::channel((0usize, 0usize));
    let format = import.format;
    let parse = tokio::task::spawn_blocking(move || {
        parse_to_json(&bytes, format, &mut |done, total| {
            let _ = tx.send((done, total));
        })
    });
    tokio::pin!(parse);
    let parsed = loop {
        tokio::select! {
            done = &mut parse => break done,
            changed = rx.changed() => {
                if changed.is_ok() {
                    let (done, total) = *rx.borrow();
                    import.done = done as u64;
                    import.total = total as u64;
                    import.updated_at_ms = now_ms();
                    // Progress is best effort: a failed write only delays what the page shows.
                    let _ = store.update_kb_import(&import, ImportStatus::Parsing).await;
                }
            }
        }
    };
    let parsed = match parsed {
        Ok(Ok(p)) => p,
        Ok(Err(why)) => return fail(store, import, why).await,
        Err(e) => return fail(store, import, format!("the file could not be parsed: {e}")).await,
    };
    let result_key = format!("kb/{}/imports/{}/entries.json", import.project_id, import.id);
    let body = Bytes::from(parsed.json);
    let key = BlobKey::parse(&result_key).map_err(|e| e.to_string())?;
    stores
        .blob
        .put(&key, Box::pin(futures::stream::once(async move { Ok::<_, std::io::Error>(body) })), Some("application/json"))
        .await
        .map_err(|e| e.to_string())?;
    import.status = ImportStatus::Ready;
    import.entries = parsed.entries as u64;
    import.done = import.entries;
    import.total = import.entries;
    import.warnings = parsed.warnings.into_iter().take(200).collect();
    import.result_blob_key = Some(result_key);
    import.updated_at_ms = now_ms();
    store.update_kb_import(&import, ImportStatus::Parsing).await.map_err(|e| e.to_string())
}

/// A parsed file: its entries as one JSON array (written as they are read, so the expanded
/// schemas of 10,000 operations are never all in memory at once), their number, the warnings.
struct Parsed {
    json: Vec<u8>,
    entries: usize,
    warnings: Vec<String>,
}

/// Parse and check every entry; `Err` is the message for the person (JSON pointer or line).
fn parse_to_json(bytes: &[u8], format: ImportFormat, progress: &mut dyn FnMut(usize, usize)) -> Result<Parsed, String> {
    let limits = kb_formats::Limits::default();
    let mut json = b"[".to_vec();
    let mut entries = 0usize;
    let mut refused: Option<String> = None;
    let mut last = Instant::now() - PROGRESS_EVERY;
    let mut add = |e: Entry, done: usize, total: usize| {
        if refused.is_some() {
            return;
        }
        if let Err(why) = super::validate_entry(&e) {
            refused = Some(format!("{}: {why}", e.key()));
            return;
        }
        if entries > 0 {
            json.push(b',');
        }
        // Entries are plain data: serialising one cannot fail.
        let _ = serde_json::to_writer(&mut json, &e);
        entries += 1;
        if last.elapsed() >= PROGRESS_EVERY {
            last = Instant::now();
            progress(done, total);
        }
    };
    let warnings = match format {
        ImportFormat::OpenApi => kb_formats::parse_openapi_each(bytes, &limits, &mut add).map_err(|e| e.to_string())?,
        ImportFormat::DdlPostgres | ImportFormat::DdlMysql => {
            let dialect = if format == ImportFormat::DdlMysql { kb_formats::Dialect::MySql } else { kb_formats::Dialect::Postgres };
            let imported = kb_formats::parse_ddl_bytes(bytes, dialect, &limits).map_err(|e| e.to_string())?;
            let total = imported.entries.len();
            for (i, e) in imported.entries.into_iter().enumerate() {
                add(e, i + 1, total);
            }
            imported.warnings
        }
    };
    if let Some(why) = refused {
        return Err(why);
    }
    json.push(b']');
    Ok(Parsed { json, entries, warnings })
}

async fn fail(store: &dyn PrimaryStore, mut import: KbImport, why: String) -> Result<(), String> {
    import.status = ImportStatus::Failed;
    import.error = Some(why);
    import.updated_at_ms = now_ms();
    store.update_kb_import(&import, ImportStatus::Parsing).await.map_err(|e| e.to_string())
}

/// An import and, once parsed, how the file compares with the active knowledge base (entries
/// of the file's kind only: an OpenAPI file says nothing about tables).
pub struct ImportPreview {
    pub access: ProjectAccess,
    pub import: KbImport,
    pub diff: Option<KbDiff>,
    /// The file's entries (once parsed).
    pub file: Vec<Entry>,
}

/// Any member.
pub async fn preview(stores: &Stores, ctx: &RequestContext, slug: &str, id: &str) -> ServiceResult<ImportPreview> {
    let access = access(stores.primary.as_ref(), ctx, slug, ProjectRole::Analyst).await?;
    let import = stores.primary.kb_import(&access.id, id).await?.ok_or(ServiceError::NotFound("import"))?;
    let (file, diff) = match (&import.status, &import.result_blob_key) {
        (ImportStatus::Ready | ImportStatus::Applied, Some(key)) => {
            let (file, diff) = compare(stores, &access.id, import.format, key).await?;
            (file, Some(diff))
        }
        _ => (Vec::new(), None),
    };
    Ok(ImportPreview { access, import, diff, file })
}

async fn compare(stores: &Stores, project_id: &ProjectId, format: ImportFormat, result_key: &str) -> ServiceResult<(Vec<Entry>, KbDiff)> {
    let file: Vec<Entry> = serde_json::from_slice(&read_blob(stores, result_key).await?).map_err(|e| {
        tracing::error!(error = %e, "a parsed knowledge-base import cannot be read back");
        ServiceError::Internal
    })?;
    let kind = kind_of(format);
    let active: Vec<Entry> = match stores.primary.latest_release(project_id).await? {
        Some(h) => stores.primary.release(project_id, h.number).await?.map(|r| r.plain_entries()).unwrap_or_default(),
        None => Vec::new(),
    };
    let active: Vec<Entry> = active.into_iter().filter(|e| e.kind() == kind).collect();
    let diff = diff_entries(&active, &file);
    Ok((file, diff))
}

/// Imports of the project, newest first (any member).
pub async fn list(stores: &Stores, ctx: &RequestContext, slug: &str) -> ServiceResult<(ProjectAccess, Vec<KbImport>)> {
    let access = access(stores.primary.as_ref(), ctx, slug, ProjectRole::Analyst).await?;
    let imports = stores.primary.list_kb_imports(&access.id, 50).await?;
    Ok((access, imports))
}

/// Make drafts of the chosen new and changed entries, and deletions of the chosen entries
/// missing from the file (editors and owners); audited. Each import is applied once.
pub async fn apply(
    stores: &Stores,
    ctx: &RequestContext,
    slug: &str,
    id: &str,
    chosen: &[EntryKey],
    delete_missing: &[EntryKey],
) -> ServiceResult<usize> {
    let store = stores.primary.as_ref();
    let preview = preview(stores, ctx, slug, id).await?;
    can_edit(preview.access.role).map_err(rule)?;
    let mut import = preview.import;
    if import.status != ImportStatus::Ready {
        return Err(ServiceError::Invalid(match import.status {
            ImportStatus::Applied => "this import was applied already".into(),
            ImportStatus::Failed => "this import failed; upload a corrected file".into(),
            _ => "this import is still being read; wait for its preview".into(),
        }));
    }
    let diff = preview.diff.unwrap_or_default();
    let draftable: std::collections::HashSet<EntryKey> =
        diff.added.iter().map(Entry::key).chain(diff.changed.iter().map(|c| c.key.clone())).filter(|k| chosen.contains(k)).collect();
    let mut changes: Vec<DraftChange> =
        preview.file.into_iter().filter(|e| draftable.contains(&e.key())).map(DraftChange::Upsert).collect();
    for e in &diff.removed {
        if delete_missing.contains(&e.key()) {
            changes.push(DraftChange::Delete(e.key()));
        }
    }
    if changes.is_empty() {
        return Err(ServiceError::Invalid("choose at least one new, changed or missing entry to draft".into()));
    }
    let source = match import.format {
        ImportFormat::OpenApi => DraftSource::OpenApiImport { import_id: import.id.clone() },
        _ => DraftSource::DdlImport { import_id: import.id.clone() },
    };
    let made = drafts::create_in(store, ctx, &preview.access, changes, source).await?.len();
    import.status = ImportStatus::Applied;
    import.drafts_made = made as u64;
    import.updated_at_ms = now_ms();
    store.update_kb_import(&import, ImportStatus::Ready).await.map_err(raced("the import"))?;
    Ok(made)
}
