//! Dataset metadata for every sqlx backend: SQL, row conversions and
//! [`impl_dataset_repo!`](crate::impl_dataset_repo). An import's status and chunk counters are
//! columns (compare-and-set); the rest of it is JSON text in `record`.

use crate::primary::{corrupt, to_u32, to_u64};
use domain::datasets::{Dataset, DatasetImport, DatasetListing, ImportStatus};
use services::StoreError;

macro_rules! dataset_columns {
    () => {
        "d.id, d.project_id, d.name, d.rows_visible, d.size_bytes, d.created_by, d.created_at_ms, d.updated_at_ms"
    };
}

macro_rules! import_columns {
    () => {
        "i.status, i.chunks_received, i.bytes_received, i.record"
    };
}

pub mod sql {
    pub const INSERT_DATASET: &str = "INSERT INTO datasets (id, project_id, name, rows_visible, size_bytes, created_by, created_at_ms, \
                                      updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    pub const DATASET: &str = concat!("SELECT ", dataset_columns!(), " FROM datasets d WHERE d.project_id = $1 AND d.id = $2");
    /// Each dataset with its newest import (if any) and the e-mail of its uploader.
    pub const LIST: &str = concat!(
        "SELECT ",
        dataset_columns!(),
        ", ",
        import_columns!(),
        ", u.email FROM datasets d ",
        "LEFT JOIN dataset_imports i ON i.id = (SELECT j.id FROM dataset_imports j WHERE j.dataset_id = d.id ",
        "ORDER BY j.created_at_ms DESC, j.id DESC LIMIT 1) ",
        "LEFT JOIN users u ON u.id = COALESCE(i.uploaded_by, d.created_by) ",
        "WHERE d.project_id = $1 ORDER BY d.name, d.id"
    );
    pub const UPDATE_COUNTS: &str =
        "UPDATE datasets SET rows_visible = $3, size_bytes = $4, updated_at_ms = $5 WHERE project_id = $1 AND id = $2";
    pub const DELETE_DATASET: &str = "DELETE FROM datasets WHERE project_id = $1 AND id = $2";
    pub const DELETE_IMPORTS: &str = "DELETE FROM dataset_imports WHERE project_id = $1 AND dataset_id = $2";

    pub const INSERT_IMPORT: &str = "INSERT INTO dataset_imports (id, project_id, dataset_id, status, chunks_received, bytes_received, \
                                     uploaded_by, record, created_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    pub const IMPORT: &str = concat!("SELECT ", import_columns!(), " FROM dataset_imports i WHERE i.project_id = $1 AND i.id = $2");
    pub const IMPORTS: &str = concat!(
        "SELECT ",
        import_columns!(),
        " FROM dataset_imports i WHERE i.project_id = $1 AND i.dataset_id = $2 ORDER BY i.created_at_ms DESC, i.id DESC"
    );
    /// Binds: project, id, index, bytes, now.
    pub const RECORD_CHUNK: &str = "UPDATE dataset_imports SET chunks_received = chunks_received + 1, \
                                    bytes_received = bytes_received + $4, updated_at_ms = $5 \
                                    WHERE project_id = $1 AND id = $2 AND chunks_received = $3 AND status = 'uploading'";
    /// Binds: project, id, new status, record, updated_at, expected status.
    pub const UPDATE_IMPORT: &str = "UPDATE dataset_imports SET status = $3, record = $4, updated_at_ms = $5 \
                                     WHERE project_id = $1 AND id = $2 AND status = $6";
    pub const IMPORT_EXISTS: &str = "SELECT COUNT(*) FROM dataset_imports WHERE project_id = $1 AND id = $2";
}

/// See `dataset_columns`.
pub type DatasetRow = (String, String, String, i64, i64, Option<String>, i64, i64);

pub fn dataset_from_row(row: DatasetRow) -> Result<Dataset, StoreError> {
    let (id, project_id, name, rows, size_bytes, created_by, created_at_ms, updated_at_ms) = row;
    Ok(Dataset {
        id,
        project_id,
        name,
        rows: to_u64("datasets.rows_visible", rows)?,
        size_bytes: to_u64("datasets.size_bytes", size_bytes)?,
        created_by,
        created_at_ms,
        updated_at_ms,
    })
}

/// See `import_columns`.
pub type ImportRow = (String, i64, i64, String);

pub fn import_from_row((status, chunks, bytes, record): ImportRow) -> Result<DatasetImport, StoreError> {
    let mut import: DatasetImport = serde_json::from_str(&record).map_err(|e| corrupt("dataset_imports.record", e))?;
    import.status = ImportStatus::parse(&status).ok_or_else(|| corrupt("dataset_imports.status", &status))?;
    import.chunks_received = to_u32("dataset_imports.chunks_received", chunks)?;
    import.bytes_received = to_u64("dataset_imports.bytes_received", bytes)?;
    Ok(import)
}

pub type ListingRow = (DatasetRow, Option<String>, Option<i64>, Option<i64>, Option<String>, Option<String>);

pub fn listing_from_row((dataset, status, chunks, bytes, record, email): ListingRow) -> Result<DatasetListing, StoreError> {
    let latest = match (status, chunks, bytes, record) {
        (Some(s), Some(c), Some(b), Some(r)) => Some(import_from_row((s, c, b, r))?),
        _ => None,
    };
    Ok(DatasetListing { dataset: dataset_from_row(dataset)?, latest, uploader_email: email })
}

pub fn record_column(import: &DatasetImport) -> Result<String, StoreError> {
    serde_json::to_string(import).map_err(|e| StoreError::Invalid(e.to_string()))
}

pub fn to_i64(what: &str, n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| StoreError::Invalid(format!("{what} {n} is too large")))
}

/// Implements `DatasetRepo` for a store type with a `pool` field:
///
/// ```ignore
/// store_sql::impl_dataset_repo!(SqlitePrimaryStore);
/// ```
#[macro_export]
macro_rules! impl_dataset_repo {
    ($store:ty) => {
        const _: () = {
            use $crate::__private::domain::datasets::{Dataset, DatasetImport, DatasetListing, ImportStatus};
            use $crate::__private::services::{error::StoreResult, ports::DatasetRepo, StoreError};
            use $crate::__private::{async_trait, sqlx, tracing};
            use $crate::datasets::{self as shared, sql, to_i64};
            use $crate::primary::found;
            use $crate::{map_missing_ref as ref_err, map_sqlx_error as db_err};

            #[async_trait]
            impl DatasetRepo for $store {
                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %d.project_id))]
                async fn insert_dataset(&self, d: &Dataset) -> StoreResult<()> {
                    sqlx::query(sql::INSERT_DATASET)
                        .bind(&d.id)
                        .bind(&d.project_id)
                        .bind(&d.name)
                        .bind(to_i64("rows", d.rows)?)
                        .bind(to_i64("size", d.size_bytes)?)
                        .bind(&d.created_by)
                        .bind(d.created_at_ms)
                        .bind(d.updated_at_ms)
                        .execute(&self.pool)
                        .await
                        .map_err(ref_err)?;
                    Ok(())
                }

                async fn dataset(&self, project_id: &services::ports::ProjectId, id: &str) -> StoreResult<Option<Dataset>> {
                    let project_id = project_id.as_str();
                    let row: Option<shared::DatasetRow> =
                        sqlx::query_as(sql::DATASET).bind(project_id).bind(id).fetch_optional(&self.pool).await.map_err(db_err)?;
                    row.map(shared::dataset_from_row).transpose()
                }

                async fn list_datasets(&self, project_id: &services::ports::ProjectId) -> StoreResult<Vec<DatasetListing>> {
                    let project_id = project_id.as_str();
                    use sqlx::Row;
                    let rows = sqlx::query(sql::LIST).bind(project_id).fetch_all(&self.pool).await.map_err(db_err)?;
                    rows.iter()
                        .map(|r| -> Result<DatasetListing, sqlx::Error> {
                            let dataset = (
                                r.try_get(0)?,
                                r.try_get(1)?,
                                r.try_get(2)?,
                                r.try_get(3)?,
                                r.try_get(4)?,
                                r.try_get(5)?,
                                r.try_get(6)?,
                                r.try_get(7)?,
                            );
                            let row = (dataset, r.try_get(8)?, r.try_get(9)?, r.try_get(10)?, r.try_get(11)?, r.try_get(12)?);
                            shared::listing_from_row(row).map_err(|e| sqlx::Error::Decode(e.to_string().into()))
                        })
                        .collect::<Result<_, _>>()
                        .map_err(db_err)
                }

                async fn update_dataset_counts(
                    &self,
                    project_id: &services::ports::ProjectId,
                    id: &str,
                    rows: u64,
                    size_bytes: u64,
                    now_ms: i64,
                ) -> StoreResult<()> {
                    let project_id = project_id.as_str();
                    let done = sqlx::query(sql::UPDATE_COUNTS)
                        .bind(project_id)
                        .bind(id)
                        .bind(to_i64("rows", rows)?)
                        .bind(to_i64("size", size_bytes)?)
                        .bind(now_ms)
                        .execute(&self.pool)
                        .await
                        .map_err(db_err)?;
                    found(done.rows_affected())
                }

                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %project_id, id = %id))]
                async fn delete_dataset(&self, project_id: &services::ports::ProjectId, id: &str) -> StoreResult<()> {
                    let project_id = project_id.as_str();
                    let mut tx = self.pool.begin().await.map_err(db_err)?;
                    sqlx::query(sql::DELETE_IMPORTS).bind(project_id).bind(id).execute(&mut *tx).await.map_err(db_err)?;
                    let done = sqlx::query(sql::DELETE_DATASET).bind(project_id).bind(id).execute(&mut *tx).await.map_err(db_err)?;
                    found(done.rows_affected())?;
                    tx.commit().await.map_err(db_err)
                }

                #[tracing::instrument(level = "debug", skip_all, fields(id = %i.id))]
                async fn insert_import(&self, i: &DatasetImport) -> StoreResult<()> {
                    sqlx::query(sql::INSERT_IMPORT)
                        .bind(&i.id)
                        .bind(&i.project_id)
                        .bind(&i.dataset_id)
                        .bind(i.status.as_str())
                        .bind(i64::from(i.chunks_received))
                        .bind(to_i64("bytes", i.bytes_received)?)
                        .bind(&i.uploaded_by)
                        .bind(shared::record_column(i)?)
                        .bind(i.created_at_ms)
                        .bind(i.updated_at_ms)
                        .execute(&self.pool)
                        .await
                        .map_err(ref_err)?;
                    Ok(())
                }

                async fn dataset_import(&self, project_id: &services::ports::ProjectId, id: &str) -> StoreResult<Option<DatasetImport>> {
                    let project_id = project_id.as_str();
                    let row: Option<shared::ImportRow> =
                        sqlx::query_as(sql::IMPORT).bind(project_id).bind(id).fetch_optional(&self.pool).await.map_err(db_err)?;
                    row.map(shared::import_from_row).transpose()
                }

                async fn list_imports(&self, project_id: &services::ports::ProjectId, dataset_id: &str) -> StoreResult<Vec<DatasetImport>> {
                    let project_id = project_id.as_str();
                    let rows: Vec<shared::ImportRow> =
                        sqlx::query_as(sql::IMPORTS).bind(project_id).bind(dataset_id).fetch_all(&self.pool).await.map_err(db_err)?;
                    rows.into_iter().map(shared::import_from_row).collect()
                }

                async fn record_chunk(
                    &self,
                    project_id: &services::ports::ProjectId,
                    id: &str,
                    index: u32,
                    bytes: u64,
                    now_ms: i64,
                ) -> StoreResult<()> {
                    let project_id = project_id.as_str();
                    let done = sqlx::query(sql::RECORD_CHUNK)
                        .bind(project_id)
                        .bind(id)
                        .bind(i64::from(index))
                        .bind(to_i64("bytes", bytes)?)
                        .bind(now_ms)
                        .execute(&self.pool)
                        .await
                        .map_err(db_err)?;
                    self.compare_and_set(done.rows_affected(), sql::IMPORT_EXISTS, project_id, id, || {
                        format!("import {id} is not waiting for that chunk")
                    })
                    .await
                }

                #[tracing::instrument(level = "debug", skip_all, fields(id = %i.id, status = i.status.as_str()))]
                async fn update_import(&self, i: &DatasetImport, expected: ImportStatus) -> StoreResult<()> {
                    let done = sqlx::query(sql::UPDATE_IMPORT)
                        .bind(&i.project_id)
                        .bind(&i.id)
                        .bind(i.status.as_str())
                        .bind(shared::record_column(i)?)
                        .bind(i.updated_at_ms)
                        .bind(expected.as_str())
                        .execute(&self.pool)
                        .await
                        .map_err(db_err)?;
                    self.compare_and_set(done.rows_affected(), sql::IMPORT_EXISTS, &i.project_id, &i.id, || {
                        format!("import {} changed meanwhile", i.id)
                    })
                    .await
                }
            }
        };
    };
}
