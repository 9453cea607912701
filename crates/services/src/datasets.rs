//! Datasets and resumable uploads (issue 5). An upload is cut into chunks the browser sends one
//! by one; each is stored in the blob store before it is acknowledged, so a dropped connection or
//! a server restart resumes at the next chunk. The import itself runs on the worker
//! ([`crate::dataset_import`]). Any member reads; editors upload, carry on their own uploads and
//! delete datasets; owners may also carry on anyone's upload. Analysts never write.

use crate::{
    audit::{self, Change},
    authz::{self, ProjectAccess},
    clock::now_ms,
    context::RequestContext,
    ports::ByteStream,
    ServiceError, ServiceResult, StoreError, Stores,
};
use bytes::Bytes;
use domain::{
    datasets::{Dataset, DatasetImport, DatasetListing, ImportMode, ImportStatus},
    BlobKey, NewJob, ProjectRole,
};
use ledger::{ColumnMapping, DatasetSettings};
use serde::Deserialize;
use serde_json::json;

pub const ANALYSE_JOB: &str = "dataset.analyse";
pub const IMPORT_JOB: &str = "dataset.import";
pub const MAX_NAME_CHARS: usize = 120;
pub const MAX_FILE_NAME_CHARS: usize = 255;
/// File types the parser reads; anything else is refused before a byte is uploaded.
pub const EXTENSIONS: [&str; 5] = ["xlsx", "xls", "ods", "csv", "tsv"];

/// Configured limits (`[datasets]` in the settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    pub max_upload_bytes: u64,
    pub chunk_size: u64,
}

impl Default for UploadLimits {
    fn default() -> Self {
        UploadLimits { max_upload_bytes: 2 << 30, chunk_size: 8 << 20 }
    }
}

/// What the browser says before sending the first chunk.
#[derive(Debug, Clone, Deserialize)]
pub struct NewUpload {
    pub file_name: String,
    pub size_bytes: u64,
    pub mode: ImportMode,
    /// The new dataset's name (mode create).
    #[serde(default)]
    pub dataset_name: Option<String>,
    /// The dataset to append to or replace.
    #[serde(default)]
    pub dataset_id: Option<String>,
    #[serde(default)]
    pub settings: Option<DatasetSettings>,
}

/// Where an import's files live: everything of a dataset is under one prefix, so deleting it is
/// one listing.
pub fn dataset_prefix(project_id: &str, dataset_id: &str) -> String {
    format!("datasets/{project_id}/{dataset_id}/")
}

pub fn chunk_key(import: &DatasetImport, index: u32) -> ServiceResult<BlobKey> {
    key(format!("{}{}/chunks/{index:06}", dataset_prefix(&import.project_id, &import.dataset_id), import.id))
}

pub fn original_key(import: &DatasetImport) -> ServiceResult<BlobKey> {
    key(format!("{}{}/original", dataset_prefix(&import.project_id, &import.dataset_id), import.id))
}

pub fn rejections_key(import: &DatasetImport) -> ServiceResult<BlobKey> {
    key(format!("{}{}/rejections.csv", dataset_prefix(&import.project_id, &import.dataset_id), import.id))
}

fn key(raw: String) -> ServiceResult<BlobKey> {
    // Ids are UUIDs: a failure here is a bug, not bad input.
    BlobKey::parse(&raw).map_err(|e| {
        tracing::error!(error = %e, "dataset blob key");
        ServiceError::Internal
    })
}

fn clean_name(raw: &str) -> ServiceResult<String> {
    let name = raw.trim();
    let n = name.chars().count();
    if n == 0 || n > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(ServiceError::Invalid(format!("a dataset name has 1 to {MAX_NAME_CHARS} characters on one line")));
    }
    Ok(name.to_owned())
}

/// An uploaded file's name: only its last path segment (some browsers send a path), on one line.
pub(crate) fn base_file_name(raw: &str) -> ServiceResult<String> {
    let name = raw.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    if name.is_empty() || name.chars().count() > MAX_FILE_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(ServiceError::Invalid(format!("the file name must have 1 to {MAX_FILE_NAME_CHARS} characters")));
    }
    Ok(name.to_owned())
}

fn clean_file_name(raw: &str) -> ServiceResult<String> {
    let name = base_file_name(raw)?;
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    if !EXTENSIONS.contains(&ext.as_str()) {
        return Err(ServiceError::Invalid(format!(
            "“{name}” is not a file type we can import; upload a spreadsheet or CSV file (.xlsx, .xls, .ods, .csv or .tsv)"
        )));
    }
    Ok(name)
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

async fn load_import(stores: &Stores, access: &ProjectAccess, import_id: &str) -> ServiceResult<DatasetImport> {
    stores.primary.dataset_import(&access.id, import_id).await?.ok_or(ServiceError::NotFound("upload"))
}

/// Who may carry on an upload (send chunks, complete it, confirm its mapping): the editor who
/// started it, or an owner. Analysts only read.
pub fn may_carry_on(access: &ProjectAccess, import: &DatasetImport, user_id: &str) -> bool {
    access.role.allows(ProjectRole::Owner) || (access.role.allows(ProjectRole::Editor) && import.uploaded_by.as_deref() == Some(user_id))
}

/// The upload `import_id` if the caller may carry it on (checked before any input is read).
pub async fn upload_to_carry_on(
    stores: &Stores,
    ctx: &RequestContext,
    slug: &str,
    import_id: &str,
) -> ServiceResult<(ProjectAccess, DatasetImport)> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Editor).await?;
    let import = load_import(stores, &access, import_id).await?;
    if !may_carry_on(&access, &import, &ctx.actor()?.user_id) {
        return Err(ServiceError::Forbidden);
    }
    Ok((access, import))
}

/// Check the request, create the dataset (mode create) and the import, ready for chunk 0.
pub async fn start_upload(
    stores: &Stores,
    ctx: &RequestContext,
    slug: &str,
    limits: UploadLimits,
    new: NewUpload,
) -> ServiceResult<DatasetImport> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Editor).await?;
    let actor = ctx.actor()?;
    let file_name = clean_file_name(&new.file_name)?;
    if new.size_bytes == 0 {
        return Err(ServiceError::Invalid("the file is empty".into()));
    }
    if new.size_bytes > limits.max_upload_bytes {
        return Err(ServiceError::Invalid(format!(
            "the file is {} MB; the largest upload accepted here is {} MB",
            new.size_bytes.div_ceil(1 << 20),
            limits.max_upload_bytes >> 20
        )));
    }
    let settings = new.settings.unwrap_or_default();
    let now = now_ms();
    let project_id = access.id.clone();
    let dataset = match new.mode {
        ImportMode::Create => {
            let name = clean_name(new.dataset_name.as_deref().unwrap_or(&file_name))?;
            let dataset = Dataset {
                id: new_id(),
                project_id: project_id.to_string(),
                name,
                rows: 0,
                size_bytes: 0,
                created_by: Some(actor.user_id.clone()),
                created_at_ms: now,
                updated_at_ms: now,
            };
            stores.primary.insert_dataset(&dataset).await.map_err(|e| match e {
                StoreError::Conflict(_) => ServiceError::Conflict(format!(
                    "this project already has a dataset named “{}”; choose another name, or append to or replace it",
                    dataset.name
                )),
                other => other.into(),
            })?;
            dataset
        }
        ImportMode::Append | ImportMode::Replace => {
            let id = new.dataset_id.as_deref().ok_or_else(|| ServiceError::Invalid("choose the dataset to append to or replace".into()))?;
            let dataset = stores.primary.dataset(&project_id, id).await?.ok_or(ServiceError::NotFound("dataset"))?;
            if let Some(busy) = stores.primary.list_imports(&project_id, id).await?.into_iter().find(|i| i.status.is_busy()) {
                return Err(ServiceError::Conflict(format!(
                    "“{}” is still being imported into this dataset; wait for it to finish",
                    busy.file_name
                )));
            }
            dataset
        }
    };
    let import = DatasetImport {
        id: new_id(),
        project_id: project_id.to_string(),
        dataset_id: dataset.id.clone(),
        mode: new.mode,
        status: ImportStatus::Uploading,
        file_name,
        size_bytes: new.size_bytes,
        chunk_size: limits.chunk_size,
        chunks_received: 0,
        bytes_received: 0,
        settings: serde_json::to_value(&settings).map_err(|_| ServiceError::Internal)?,
        mapping: None,
        preview: None,
        analytics_import_id: None,
        rows_read: 0,
        rows_accepted: 0,
        rows_rejected: 0,
        error: None,
        uploaded_by: Some(actor.user_id.clone()),
        created_at_ms: now,
        updated_at_ms: now,
        finished_at_ms: None,
    };
    stores.primary.insert_import(&import).await?;
    audit::record(
        stores.primary.as_ref(),
        ctx,
        Change {
            action: "dataset.upload",
            entity_type: "dataset",
            entity_id: &dataset.id,
            project_id: Some(project_id.as_str()),
            old: None,
            new: Some(json!({"name": dataset.name, "import_id": import.id, "mode": import.mode.as_str(),
                             "file_name": import.file_name, "size_bytes": import.size_bytes})),
        },
    )
    .await?;
    Ok(import)
}

pub async fn upload_state(stores: &Stores, ctx: &RequestContext, slug: &str, import_id: &str) -> ServiceResult<DatasetImport> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Analyst).await?;
    load_import(stores, &access, import_id).await
}

/// Store chunk `index` and count it. A chunk already received is acknowledged again without being
/// rewritten (the browser resends the last one after a dropped answer); a chunk after a gap is
/// refused with a `Conflict` naming the one expected.
pub async fn put_chunk(
    stores: &Stores,
    ctx: &RequestContext,
    slug: &str,
    import_id: &str,
    index: u32,
    body: Bytes,
) -> ServiceResult<DatasetImport> {
    let (access, import) = upload_to_carry_on(stores, ctx, slug, import_id).await?;
    if index < import.chunks_received {
        return Ok(import);
    }
    if import.status != ImportStatus::Uploading {
        return Err(ServiceError::Conflict(format!("this upload is no longer receiving chunks (it is {})", import.status.as_str())));
    }
    let expected_len = import
        .chunk_len(index)
        .ok_or_else(|| ServiceError::Invalid(format!("chunk {index} is past the end of the file ({} chunks)", import.chunk_count())))?;
    if index > import.chunks_received {
        return Err(ServiceError::Conflict(format!("expected chunk {} next, not chunk {index}", import.chunks_received)));
    }
    if body.len() as u64 != expected_len {
        return Err(ServiceError::Invalid(format!("chunk {index} must be {expected_len} bytes, not {}", body.len())));
    }
    let stream: ByteStream = Box::pin(futures::stream::once(async move { Ok::<_, std::io::Error>(body) }));
    stores.blob.put(&chunk_key(&import, index)?, stream, Some("application/octet-stream")).await?;
    match stores.primary.record_chunk(&access.id, import_id, index, expected_len, now_ms()).await {
        // Someone else (a resent request) counted it first: the same bytes, so it is acknowledged.
        Ok(()) | Err(StoreError::Conflict(_)) => {}
        Err(e) => return Err(e.into()),
    }
    load_import(stores, &access, import_id).await
}

/// Every chunk is here: queue the analysis (assemble the file, propose a mapping). Repeating it is
/// harmless.
pub async fn complete_upload(stores: &Stores, ctx: &RequestContext, slug: &str, import_id: &str) -> ServiceResult<DatasetImport> {
    let (_, mut import) = upload_to_carry_on(stores, ctx, slug, import_id).await?;
    if import.status != ImportStatus::Uploading {
        return Ok(import);
    }
    if import.chunks_received < import.chunk_count() {
        return Err(ServiceError::Conflict(format!(
            "the upload is not complete: {} of {} chunks received",
            import.chunks_received,
            import.chunk_count()
        )));
    }
    import.status = ImportStatus::Analysing;
    import.updated_at_ms = now_ms();
    advance(stores, &import, ImportStatus::Uploading).await?;
    enqueue(stores, ANALYSE_JOB, &import).await?;
    Ok(import)
}

/// The person confirmed (or changed) the proposed mapping and settings: queue the import.
pub async fn confirm_mapping(
    stores: &Stores,
    ctx: &RequestContext,
    slug: &str,
    import_id: &str,
    mapping: Option<ColumnMapping>,
    settings: Option<DatasetSettings>,
) -> ServiceResult<DatasetImport> {
    let (_, mut import) = upload_to_carry_on(stores, ctx, slug, import_id).await?;
    if import.status != ImportStatus::Mapping {
        return Err(ServiceError::Conflict(format!("this upload is not waiting for a mapping (it is {})", import.status.label())));
    }
    let proposed: ColumnMapping = import
        .mapping
        .clone()
        .and_then(|m| serde_json::from_value(m).ok())
        .ok_or_else(|| ServiceError::Conflict("this upload has no proposed mapping yet".into()))?;
    let mapping = mapping.unwrap_or(proposed);
    mapping.check().map_err(|e| ServiceError::Invalid(e.to_string()))?;
    if let Some(settings) = settings {
        import.settings = serde_json::to_value(settings).map_err(|_| ServiceError::Internal)?;
    }
    import.mapping = Some(serde_json::to_value(&mapping).map_err(|_| ServiceError::Internal)?);
    import.status = ImportStatus::Queued;
    import.updated_at_ms = now_ms();
    advance(stores, &import, ImportStatus::Mapping).await?;
    enqueue(stores, IMPORT_JOB, &import).await?;
    audit::record(
        stores.primary.as_ref(),
        ctx,
        Change {
            action: "dataset.import",
            entity_type: "dataset",
            entity_id: &import.dataset_id,
            project_id: Some(&import.project_id),
            old: None,
            new: Some(json!({"import_id": import.id, "mapping": import.mapping, "settings": import.settings})),
        },
    )
    .await?;
    Ok(import)
}

/// Compare-and-set the import's status; a lost race reads as "it changed meanwhile".
pub(crate) async fn advance(stores: &Stores, import: &DatasetImport, expected: ImportStatus) -> ServiceResult<()> {
    stores.primary.update_import(import, expected).await.map_err(|e| match e {
        StoreError::Conflict(_) => ServiceError::Conflict("this upload changed meanwhile; reload the page".into()),
        other => other.into(),
    })
}

async fn enqueue(stores: &Stores, kind: &str, import: &DatasetImport) -> ServiceResult<()> {
    let job = NewJob::new(kind, json!({"project_id": import.project_id, "import_id": import.id}));
    stores.primary.enqueue_job(&job, now_ms()).await?;
    Ok(())
}

pub async fn list(stores: &Stores, ctx: &RequestContext, slug: &str) -> ServiceResult<(ProjectAccess, Vec<DatasetListing>)> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Analyst).await?;
    let listing = stores.primary.list_datasets(&access.id).await?;
    Ok((access, listing))
}

/// A dataset and its imports (newest first).
pub async fn detail(
    stores: &Stores,
    ctx: &RequestContext,
    slug: &str,
    dataset_id: &str,
) -> ServiceResult<(ProjectAccess, Dataset, Vec<DatasetImport>)> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Analyst).await?;
    let dataset = stores.primary.dataset(&access.id, dataset_id).await?.ok_or(ServiceError::NotFound("dataset"))?;
    let imports = stores.primary.list_imports(&access.id, dataset_id).await?;
    Ok((access, dataset, imports))
}

/// The rejected rows of an import as CSV (row, column, reason).
pub async fn rejections_csv(stores: &Stores, ctx: &RequestContext, slug: &str, import_id: &str) -> ServiceResult<ByteStream> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Analyst).await?;
    let import = load_import(stores, &access, import_id).await?;
    match stores.blob.get(&rejections_key(&import)?, None).await {
        Ok(body) => Ok(body.stream),
        Err(StoreError::NotFound) => Err(ServiceError::NotFound("list of rejected rows")),
        Err(e) => Err(e.into()),
    }
}

/// Remove the dataset: its rows from the analytics store, its files, then its metadata. Refused
/// while an import is running (its worker would write rows after the delete).
pub async fn delete_dataset(stores: &Stores, ctx: &RequestContext, slug: &str, dataset_id: &str) -> ServiceResult<Dataset> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Editor).await?;
    let project_id = access.id.clone();
    let dataset = stores.primary.dataset(&project_id, dataset_id).await?.ok_or(ServiceError::NotFound("dataset"))?;
    if let Some(busy) = stores.primary.list_imports(&project_id, dataset_id).await?.into_iter().find(|i| i.status.is_busy()) {
        return Err(ServiceError::Conflict(format!(
            "“{}” is being imported into this dataset right now; delete it once that has finished",
            busy.file_name
        )));
    }
    stores.analytics.delete_dataset_rows(&project_id, dataset_id).await?;
    for blob in stores.blob.list(&dataset_prefix(project_id.as_str(), dataset_id)).await? {
        stores.blob.delete(&blob.key).await?;
    }
    stores.primary.delete_dataset(&project_id, dataset_id).await?;
    audit::record(
        stores.primary.as_ref(),
        ctx,
        Change {
            action: "dataset.delete",
            entity_type: "dataset",
            entity_id: &dataset.id,
            project_id: Some(project_id.as_str()),
            old: Some(json!({"name": dataset.name, "rows": dataset.rows, "size_bytes": dataset.size_bytes})),
            new: None,
        },
    )
    .await?;
    Ok(dataset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_checked_and_paths_dropped() {
        assert_eq!(clean_file_name("C:\\Users\\me\\Ledger 2025.XLSX").unwrap(), "Ledger 2025.XLSX");
        assert_eq!(clean_file_name("/tmp/a.csv").unwrap(), "a.csv");
        let refused = clean_file_name("report.pdf").unwrap_err().to_string();
        assert!(refused.contains("not a file type we can import"), "{refused}");
        assert!(clean_file_name("noext").is_err());
        assert!(clean_file_name("").is_err());
        assert!(clean_name("  ").is_err());
        assert_eq!(clean_name(" Q1 ledger ").unwrap(), "Q1 ledger");
    }
}
