//! Dataset metadata in the primary store: datasets and their imports (uploads). The rows
//! themselves live in the analytics store, the files in the blob store.

use super::ProjectId;
use crate::error::StoreResult;
use async_trait::async_trait;
use domain::datasets::{Dataset, DatasetImport, DatasetListing, ImportStatus};

#[async_trait]
pub trait DatasetRepo {
    /// `Conflict` when the project has a dataset of that name; `NotFound` for an unknown project.
    async fn insert_dataset(&self, dataset: &Dataset) -> StoreResult<()>;
    async fn dataset(&self, project_id: &ProjectId, id: &str) -> StoreResult<Option<Dataset>>;
    /// By name, each with its newest import and who uploaded that (or created the dataset).
    async fn list_datasets(&self, project_id: &ProjectId) -> StoreResult<Vec<DatasetListing>>;
    /// Set the visible rows and size after an import completed. `NotFound`.
    async fn update_dataset_counts(&self, project_id: &ProjectId, id: &str, rows: u64, size_bytes: u64, now_ms: i64) -> StoreResult<()>;
    /// The dataset and its imports. `NotFound`.
    async fn delete_dataset(&self, project_id: &ProjectId, id: &str) -> StoreResult<()>;

    /// `NotFound` for an unknown project or dataset.
    async fn insert_import(&self, import: &DatasetImport) -> StoreResult<()>;
    async fn dataset_import(&self, project_id: &ProjectId, id: &str) -> StoreResult<Option<DatasetImport>>;
    /// A dataset's imports, newest first.
    async fn list_imports(&self, project_id: &ProjectId, dataset_id: &str) -> StoreResult<Vec<DatasetImport>>;
    /// Count chunk `index` (of `bytes`) as received when it is the next one and the import is
    /// still uploading. `Conflict` otherwise (nothing changed), `NotFound` for no such import.
    async fn record_chunk(&self, project_id: &ProjectId, id: &str, index: u32, bytes: u64, now_ms: i64) -> StoreResult<()>;
    /// Write every field of `import` but its identity, creation time and chunk counters, if its
    /// stored status is still `expected` (compare-and-set, so two workers cannot both move it).
    /// `Conflict` when the status differs, `NotFound` for no such import.
    async fn update_import(&self, import: &DatasetImport, expected: ImportStatus) -> StoreResult<()>;
}
