//! The two worker jobs behind an upload (issue 5).
//!
//! `dataset.analyse`: join the chunks into the original file (kept in the blob store), read its
//! head and propose a column mapping → status mapping.
//! `dataset.import`: stream the original through the parser on a blocking thread, insert batches
//! into the analytics store under an import id of this attempt, then commit → completed. Nothing
//! is visible before the commit; a failed attempt's rows are discarded.
//!
//! A bad file is not a job failure: the import ends `failed` with the parser's message and the
//! job succeeds. Store outages return `Err` so the queue retries; the last attempt marks the
//! import failed.

use crate::ports::InProject;
use crate::{
    clock::now_ms,
    datasets::{advance, chunk_key, original_key, rejections_key},
    ports::ByteStream,
    ServiceError, StoreError, Stores,
};
use bytes::Bytes;
use domain::{
    datasets::{DatasetImport, ImportMode, ImportStatus},
    ledger_dashboard::{CommitMode, LedgerMonth, LedgerRow, Money},
};
use futures::{StreamExt, TryStreamExt};
use ledger::{ColumnMapping, DatasetSettings, ImportError, ImportOptions, LedgerRecord};
use serde_json::json;
use std::io::{BufReader, Seek, Write};

/// Records per insert: large enough for ClickHouse, small enough to bound memory.
pub const BATCH_ROWS: usize = 20_000;

/// Which import a job is about (its payload).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ImportRef {
    pub project_id: String,
    pub import_id: String,
}

pub use domain::jobs::Attempt;

type JobResult = Result<(), String>;

fn store_err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

async fn load(stores: &Stores, job: &ImportRef) -> Result<Option<DatasetImport>, String> {
    stores.primary.dataset_import(&job.project(), &job.import_id).await.map_err(store_err)
}

/// Mark the import failed with `reason` (from whatever status it has now).
async fn fail(stores: &Stores, mut import: DatasetImport, reason: String) -> JobResult {
    if let Some(id) = import.analytics_import_id.clone() {
        match stores.analytics.discard_import(&import.project(), &id).await {
            Ok(()) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(store_err(e)),
        }
    }
    let expected = import.status;
    import.status = ImportStatus::Failed;
    import.error = Some(reason);
    import.finished_at_ms = Some(now_ms());
    import.updated_at_ms = now_ms();
    advance(stores, &import, expected).await.map_err(store_err)
}

/// `dataset.analyse`.
pub async fn analyse(stores: &Stores, job: &ImportRef, attempt: Attempt) -> JobResult {
    let Some(import) = load(stores, job).await? else { return Ok(()) };
    if import.status != ImportStatus::Analysing {
        return Ok(());
    }
    let outcome = async {
        assemble(stores, &import).await?;
        let file = download(stores, &import).await?;
        let (name, options) = (import.file_name.clone(), options_of(&import)?);
        tokio::task::spawn_blocking(move || ledger::preview(BufReader::new(file), &name, &options))
            .await
            .map_err(|e| Step::Retry(e.to_string()))?
            .map_err(Step::from)
    }
    .await;
    match outcome {
        Ok(preview) => {
            let mut next = import.clone();
            next.status = ImportStatus::Mapping;
            next.mapping = Some(serde_json::to_value(&preview.mapping).map_err(store_err)?);
            next.preview = Some(json!({"sniffed": preview.sniffed, "sample": preview.sample}));
            next.updated_at_ms = now_ms();
            advance(stores, &next, ImportStatus::Analysing).await.map_err(store_err)
        }
        Err(Step::Refused(reason)) => fail(stores, import, reason).await,
        Err(Step::Retry(reason)) if attempt.is_last() => fail(stores, import, format!("the file could not be analysed: {reason}")).await,
        Err(Step::Retry(reason)) => Err(reason),
    }
}

/// `dataset.import`.
pub async fn import(stores: &Stores, job: &ImportRef, attempt: Attempt) -> JobResult {
    let Some(mut import) = load(stores, job).await? else { return Ok(()) };
    match import.status {
        ImportStatus::Queued | ImportStatus::Importing => {}
        // Rows all written and committed or about to be: finish the commit only.
        ImportStatus::Committing => return commit(stores, import).await,
        _ => return Ok(()),
    }
    // A new analytics import id per attempt: rows of an interrupted attempt are discarded, never
    // mixed with this one's.
    let expected = import.status;
    if let Some(old) = import.analytics_import_id.take() {
        match stores.analytics.discard_import(&import.project(), &old).await {
            Ok(()) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(store_err(e)),
        }
    }
    import.analytics_import_id = Some(format!("{}.{}", import.id, attempt.number));
    import.status = ImportStatus::Importing;
    (import.rows_read, import.rows_accepted, import.rows_rejected) = (0, 0, 0);
    import.updated_at_ms = now_ms();
    advance(stores, &import, expected).await.map_err(store_err)?;

    match write_rows(stores, &mut import).await {
        Ok(rejections_csv) => {
            let body: ByteStream = Box::pin(futures::stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(rejections_csv)) }));
            let key = rejections_key(&import).map_err(store_err)?;
            stores.blob.put(&key, body, Some("text/csv")).await.map_err(store_err)?;
            let mut next = import.clone();
            next.status = ImportStatus::Committing;
            next.updated_at_ms = now_ms();
            advance(stores, &next, ImportStatus::Importing).await.map_err(store_err)?;
            commit(stores, next).await
        }
        Err(Step::Refused(reason)) => fail(stores, import, reason).await,
        Err(Step::Retry(reason)) if attempt.is_last() => {
            fail(stores, import, format!("the import stopped after {} attempts: {reason}", attempt.number)).await
        }
        Err(Step::Retry(reason)) => Err(reason),
    }
}

/// Make the rows visible and count them on the dataset. Repeating it is harmless.
async fn commit(stores: &Stores, mut import: DatasetImport) -> JobResult {
    let id = import.analytics_import_id.clone().ok_or("the import has no rows to commit")?;
    let mode = if import.mode == ImportMode::Replace { CommitMode::Replace } else { CommitMode::Append };
    stores.analytics.commit_import(&import.project(), &import.dataset_id, &id, mode).await.map_err(store_err)?;
    let dataset = stores.primary.dataset(&import.project(), &import.dataset_id).await.map_err(store_err)?.ok_or("the dataset is gone")?;
    let (rows, size) = match mode {
        CommitMode::Replace => (import.rows_accepted, import.size_bytes),
        CommitMode::Append => (dataset.rows + import.rows_accepted, dataset.size_bytes + import.size_bytes),
    };
    stores.primary.update_dataset_counts(&import.project(), &import.dataset_id, rows, size, now_ms()).await.map_err(store_err)?;
    import.status = ImportStatus::Completed;
    import.finished_at_ms = Some(now_ms());
    import.updated_at_ms = now_ms();
    advance(stores, &import, ImportStatus::Committing).await.map_err(store_err)
}

/// Why a step stopped: the file's fault (final, shown to the person) or the system's (retried).
enum Step {
    Refused(String),
    Retry(String),
}

impl From<ImportError> for Step {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Io(_) | ImportError::Batch(_) => Step::Retry(e.to_string()),
            other => Step::Refused(other.to_string()),
        }
    }
}

impl From<StoreError> for Step {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(m) => Step::Refused(m),
            other => Step::Retry(other.to_string()),
        }
    }
}

impl From<ServiceError> for Step {
    fn from(e: ServiceError) -> Self {
        Step::Retry(e.to_string())
    }
}

fn options_of(import: &DatasetImport) -> Result<ImportOptions, Step> {
    let dataset: DatasetSettings =
        serde_json::from_value(import.settings.clone()).map_err(|e| Step::Refused(format!("the dataset settings are invalid: {e}")))?;
    Ok(ImportOptions { dataset, batch_size: BATCH_ROWS, ..ImportOptions::default() })
}

/// Join the chunks into the original (streamed blob to blob), then drop the chunks. Skipped when
/// an earlier attempt got that far.
async fn assemble(stores: &Stores, import: &DatasetImport) -> Result<(), Step> {
    let original = original_key(import)?;
    match stores.blob.head(&original).await {
        Ok(meta) if meta.size == import.size_bytes => {}
        Ok(_) | Err(StoreError::NotFound) => {
            let keys = (0..import.chunk_count()).map(|i| chunk_key(import, i)).collect::<Result<Vec<_>, _>>()?;
            let blob = stores.blob.clone();
            let body: ByteStream = Box::pin(
                futures::stream::iter(keys)
                    .then(move |key| {
                        let blob = blob.clone();
                        async move { blob.get(&key, None).await.map(|b| b.stream).map_err(std::io::Error::other) }
                    })
                    .try_flatten(),
            );
            let meta = stores.blob.put(&original, body, None).await?;
            if meta.size != import.size_bytes {
                return Err(Step::Retry(format!("the joined file has {} bytes, expected {}", meta.size, import.size_bytes)));
            }
        }
        Err(e) => return Err(e.into()),
    }
    for i in 0..import.chunk_count() {
        stores.blob.delete(&chunk_key(import, i)?).await?;
    }
    Ok(())
}

/// The original in an anonymous temporary file (deleted when dropped): the parser needs to seek.
async fn download(stores: &Stores, import: &DatasetImport) -> Result<std::fs::File, Step> {
    let mut body = stores.blob.get(&original_key(import)?, None).await?.stream;
    let file = tempfile::tempfile().map_err(|e| Step::Retry(format!("no temporary file: {e}")))?;
    let mut out = tokio::fs::File::from_std(file);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| Step::Retry(e.to_string()))?;
        tokio::io::AsyncWriteExt::write_all(&mut out, &chunk).await.map_err(|e| Step::Retry(e.to_string()))?;
    }
    let mut file = out.into_std().await;
    file.flush().and_then(|_| file.rewind()).map_err(|e| Step::Retry(e.to_string()))?;
    Ok(file)
}

/// Parse on a blocking thread and insert each batch as it comes (at most two batches in flight),
/// updating the progress counters. Returns the rejections as CSV.
async fn write_rows(stores: &Stores, import: &mut DatasetImport) -> Result<String, Step> {
    let file = download(stores, import).await?;
    let options = options_of(import)?;
    let mapping: ColumnMapping = import
        .mapping
        .clone()
        .and_then(|m| serde_json::from_value(m).ok())
        .ok_or_else(|| Step::Refused("the import has no confirmed column mapping".into()))?;
    let analytics_id = import.analytics_import_id.clone().expect("set before writing");
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<LedgerRecord>>(2);
    let name = import.file_name.clone();
    let parse = tokio::task::spawn_blocking(move || {
        ledger::import(BufReader::with_capacity(1 << 16, file), &name, &options, Some(&mapping), |batch| {
            tx.blocking_send(batch).map_err(|_| "the import was stopped".into())
        })
    });
    let mut inserted: Result<(), Step> = Ok(());
    while let Some(batch) = rx.recv().await {
        let rows: Result<Vec<LedgerRow>, String> = batch.into_iter().map(|r| ledger_row(r, &import.dataset_id, &analytics_id)).collect();
        let rows = match rows {
            Ok(rows) => rows,
            Err(e) => {
                inserted = Err(Step::Refused(e));
                break;
            }
        };
        if let Err(e) = stores.analytics.insert_ledger_rows(&import.project(), &analytics_id, &rows).await {
            inserted = Err(e.into());
            break;
        }
        import.rows_accepted += rows.len() as u64;
        import.updated_at_ms = now_ms();
        advance(stores, import, ImportStatus::Importing).await?;
    }
    drop(rx);
    let summary = parse.await.map_err(|e| Step::Retry(e.to_string()));
    inserted?;
    let summary = summary?.map_err(Step::from)?;
    import.rows_read = summary.rows_read;
    import.rows_accepted = summary.accepted;
    import.rows_rejected = summary.rejections.total;
    summary.rejections_csv().map_err(Step::from)
}

/// A validated record as the analytics store keeps it.
pub fn ledger_row(r: LedgerRecord, dataset_id: &str, import_id: &str) -> Result<LedgerRow, String> {
    use chrono::Datelike;
    let money = |d: rust_decimal::Decimal| -> Result<Money, String> {
        let mut d = d;
        d.rescale(4);
        i64::try_from(d.mantissa()).map(Money::from_scaled).map_err(|_| format!("row {}: an amount is too large", r.row))
    };
    let month =
        LedgerMonth::new(r.month.year() as u16, r.month.month() as u8).ok_or_else(|| format!("row {}: month out of range", r.row))?;
    Ok(LedgerRow {
        dataset_id: dataset_id.to_owned(),
        import_id: import_id.to_owned(),
        row: r.row,
        debit: money(r.debit)?,
        credit: money(r.credit)?,
        balance: money(r.balance)?,
        company_code: r.company_code.unwrap_or_default(),
        entity: r.entity.unwrap_or_default(),
        region: r.region.unwrap_or_default(),
        department: r.department.unwrap_or_default(),
        division: r.division.unwrap_or_default(),
        account_group: r.account_group.unwrap_or_default(),
        account_code: r.account_code.unwrap_or_default(),
        account_name: r.account_name.unwrap_or_default(),
        date: r.date.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default(),
        month,
        currency: r.currency.unwrap_or_default(),
        description: r.description.unwrap_or_default(),
        extra: if r.extra.is_empty() { String::new() } else { serde_json::Value::Object(r.extra).to_string() },
    })
}
