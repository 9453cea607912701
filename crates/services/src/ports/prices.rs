//! The model price table and per-project trace retention, kept in the primary store.

use super::ProjectId;
use crate::error::StoreResult;
use async_trait::async_trait;
use domain::{JobId, NewJob};

/// One row of the price table: µ$ (1e-6 USD) per million tokens, as `otlp::ModelPrice`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelPriceRecord {
    /// Lowercase; also prices its dated and suffixed variants (see `otlp::PriceTable`).
    pub model: String,
    /// "openai", "anthropic"… (informational; may be empty).
    pub provider: String,
    pub input_per_million_micros: u64,
    pub output_per_million_micros: u64,
    pub updated_at_ms: i64,
    /// Who set it (e-mail); `None` for the built-in seed.
    pub updated_by: Option<String>,
}

#[async_trait]
pub trait PriceRepo {
    /// Every row, by model name.
    async fn list_model_prices(&self) -> StoreResult<Vec<ModelPriceRecord>>;
    async fn model_price(&self, model: &str) -> StoreResult<Option<ModelPriceRecord>>;
    /// Insert, or replace the row with the same model name.
    async fn upsert_model_price(&self, price: &ModelPriceRecord) -> StoreResult<()>;
    /// `NotFound` when there is no such row.
    async fn delete_model_price(&self, model: &str) -> StoreResult<()>;
    /// Insert `seed` (atomically) unless the table was seeded before, even if its rows were
    /// deleted since; `true` when this call seeded it.
    async fn seed_model_prices(&self, seed: &[ModelPriceRecord], now_ms: i64) -> StoreResult<bool>;
}

#[async_trait]
pub trait RetentionRepo {
    /// Days of traces `project_id` keeps; `None` = the server default. `NotFound` for an
    /// unknown project.
    async fn project_retention(&self, project_id: &ProjectId) -> StoreResult<Option<u32>>;
    /// `NotFound` for an unknown project.
    async fn set_project_retention(&self, project_id: &ProjectId, days: Option<u32>) -> StoreResult<()>;
    /// Every project's id and retention, by id.
    async fn project_retentions(&self) -> StoreResult<Vec<(String, Option<u32>)>>;
    /// Enqueue `job` unless a job of the same kind is queued or running (a periodic job
    /// scheduled by several servers then runs once). `None` when one was pending. Not a lock:
    /// two PostgreSQL servers racing may both enqueue, so such jobs must be idempotent.
    async fn enqueue_job_once(&self, job: &NewJob, now_ms: i64) -> StoreResult<Option<JobId>>;
}
