//! The model price table and per-project trace retention for every sqlx backend: SQL, row
//! conversions and [`impl_price_repos!`](crate::impl_price_repos), invoked next to
//! [`impl_primary_store!`](crate::impl_primary_store) by each primary store.

use crate::primary::{corrupt, to_u64};
use services::{ports::ModelPriceRecord, StoreError};

/// The columns a [`PriceRow`] is read from.
macro_rules! price_columns {
    () => {
        "model, provider, input_per_million_micros, output_per_million_micros, updated_at_ms, updated_by"
    };
}

/// The statements both dialects share.
pub mod sql {
    pub const LIST_PRICES: &str = concat!("SELECT ", price_columns!(), " FROM model_prices ORDER BY model");
    pub const PRICE_BY_MODEL: &str = concat!("SELECT ", price_columns!(), " FROM model_prices WHERE model = $1");
    /// Binds: the [`price_columns`] in order.
    pub const UPSERT_PRICE: &str = concat!(
        "INSERT INTO model_prices (",
        price_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (model) DO UPDATE SET provider = excluded.provider, ",
        "input_per_million_micros = excluded.input_per_million_micros, ",
        "output_per_million_micros = excluded.output_per_million_micros, ",
        "updated_at_ms = excluded.updated_at_ms, updated_by = excluded.updated_by"
    );
    /// Binds: the [`price_columns`] in order; keeps a row that already exists.
    pub const INSERT_SEED_PRICE: &str =
        concat!("INSERT INTO model_prices (", price_columns!(), ") VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (model) DO NOTHING");
    pub const DELETE_PRICE: &str = "DELETE FROM model_prices WHERE model = $1";
    /// Binds: now. Touches one row the first time only: the caller seeds when it did.
    pub const MARK_SEEDED: &str = "INSERT INTO model_prices_seeded (id, seeded_at_ms) VALUES (1, $1) ON CONFLICT (id) DO NOTHING";

    pub const PROJECT_RETENTION: &str = "SELECT trace_retention_days FROM projects WHERE id = $1";
    /// Binds: project, days or NULL.
    pub const SET_PROJECT_RETENTION: &str = "UPDATE projects SET trace_retention_days = $2 WHERE id = $1";
    pub const PROJECT_RETENTIONS: &str = "SELECT id, trace_retention_days FROM projects ORDER BY id";
    /// Binds: kind, payload, max_attempts, now. One statement, so on SQLite (one writer at a
    /// time) two schedulers cannot both enqueue.
    pub const ENQUEUE_JOB_ONCE: &str =
        "INSERT INTO jobs (kind, payload, status, attempts, max_attempts, run_at_ms, created_at_ms, updated_at_ms) \
         SELECT $1, $2, 'queued', 0, $3, $4, $4, $4 \
         WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE kind = $1 AND status IN ('queued', 'running')) RETURNING id";
}

/// See `price_columns`.
pub type PriceRow = (String, String, i64, i64, i64, Option<String>);

pub fn price_from_row((model, provider, input, output, updated_at_ms, updated_by): PriceRow) -> Result<ModelPriceRecord, StoreError> {
    Ok(ModelPriceRecord {
        model,
        provider,
        input_per_million_micros: to_u64("model_prices.input_per_million_micros", input)?,
        output_per_million_micros: to_u64("model_prices.output_per_million_micros", output)?,
        updated_at_ms,
        updated_by,
    })
}

/// A row as stored: prices above `i64::MAX` µ$ (BIGINT) are refused, not wrapped.
pub fn price_to_row(p: &ModelPriceRecord) -> Result<PriceRow, StoreError> {
    let column =
        |what: &str, micros: u64| i64::try_from(micros).map_err(|_| StoreError::Invalid(format!("the {what} price {micros} is too large")));
    Ok((
        p.model.clone(),
        p.provider.clone(),
        column("input", p.input_per_million_micros)?,
        column("output", p.output_per_million_micros)?,
        p.updated_at_ms,
        p.updated_by.clone(),
    ))
}

pub fn retention_from_column(days: Option<i64>) -> Result<Option<u32>, StoreError> {
    days.map(|d| u32::try_from(d).ok().filter(|&d| d > 0).ok_or_else(|| corrupt("projects.trace_retention_days", d))).transpose()
}

/// Implements `PriceRepo` and `RetentionRepo` for a store type with a `pool` field:
///
/// ```ignore
/// store_sql::impl_price_repos!(SqlitePrimaryStore);
/// ```
#[macro_export]
macro_rules! impl_price_repos {
    ($store:ty) => {
        const _: () = {
            use $crate::__private::domain::{JobId, NewJob};
            use $crate::__private::services::{
                error::StoreResult,
                ports::{ModelPriceRecord, PriceRepo, RetentionRepo},
            };
            use $crate::__private::{async_trait, sqlx, tracing};
            use $crate::prices::{self as shared, sql};
            use $crate::primary::found;
            use $crate::{map_missing_ref as ref_err, map_sqlx_error as db_err};

            #[async_trait]
            impl PriceRepo for $store {
                async fn list_model_prices(&self) -> StoreResult<Vec<ModelPriceRecord>> {
                    let rows: Vec<shared::PriceRow> = sqlx::query_as(sql::LIST_PRICES).fetch_all(&self.pool).await.map_err(db_err)?;
                    rows.into_iter().map(shared::price_from_row).collect()
                }

                async fn model_price(&self, model: &str) -> StoreResult<Option<ModelPriceRecord>> {
                    let row: Option<shared::PriceRow> =
                        sqlx::query_as(sql::PRICE_BY_MODEL).bind(model).fetch_optional(&self.pool).await.map_err(db_err)?;
                    row.map(shared::price_from_row).transpose()
                }

                #[tracing::instrument(level = "debug", skip_all, fields(model = %price.model))]
                async fn upsert_model_price(&self, price: &ModelPriceRecord) -> StoreResult<()> {
                    let (model, provider, input, output, at, by) = shared::price_to_row(price)?;
                    sqlx::query(sql::UPSERT_PRICE)
                        .bind(model)
                        .bind(provider)
                        .bind(input)
                        .bind(output)
                        .bind(at)
                        .bind(by)
                        .execute(&self.pool)
                        .await
                        .map_err(db_err)?;
                    Ok(())
                }

                #[tracing::instrument(level = "debug", skip_all, fields(model = %model))]
                async fn delete_model_price(&self, model: &str) -> StoreResult<()> {
                    let done = sqlx::query(sql::DELETE_PRICE).bind(model).execute(&self.pool).await.map_err(db_err)?;
                    found(done.rows_affected())
                }

                #[tracing::instrument(level = "debug", skip_all, fields(rows = seed.len()))]
                async fn seed_model_prices(&self, seed: &[ModelPriceRecord], now_ms: i64) -> StoreResult<bool> {
                    let mut tx = self.pool.begin().await.map_err(db_err)?;
                    let marked = sqlx::query(sql::MARK_SEEDED).bind(now_ms).execute(&mut *tx).await.map_err(db_err)?;
                    if marked.rows_affected() == 0 {
                        return Ok(false);
                    }
                    for price in seed {
                        let (model, provider, input, output, at, by) = shared::price_to_row(price)?;
                        sqlx::query(sql::INSERT_SEED_PRICE)
                            .bind(model)
                            .bind(provider)
                            .bind(input)
                            .bind(output)
                            .bind(at)
                            .bind(by)
                            .execute(&mut *tx)
                            .await
                            .map_err(db_err)?;
                    }
                    tx.commit().await.map_err(db_err)?;
                    Ok(true)
                }
            }

            #[async_trait]
            impl RetentionRepo for $store {
                async fn project_retention(&self, project_id: &services::ports::ProjectId) -> StoreResult<Option<u32>> {
                    let project_id = project_id.as_str();
                    let row: Option<(Option<i64>,)> =
                        sqlx::query_as(sql::PROJECT_RETENTION).bind(project_id).fetch_optional(&self.pool).await.map_err(db_err)?;
                    let (days,) = row.ok_or($crate::__private::services::StoreError::NotFound)?;
                    shared::retention_from_column(days)
                }

                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %project_id))]
                async fn set_project_retention(&self, project_id: &services::ports::ProjectId, days: Option<u32>) -> StoreResult<()> {
                    let project_id = project_id.as_str();
                    let done = sqlx::query(sql::SET_PROJECT_RETENTION)
                        .bind(project_id)
                        .bind(days.map(i64::from))
                        .execute(&self.pool)
                        .await
                        .map_err(ref_err)?;
                    found(done.rows_affected())
                }

                async fn project_retentions(&self) -> StoreResult<Vec<(String, Option<u32>)>> {
                    let rows: Vec<(String, Option<i64>)> =
                        sqlx::query_as(sql::PROJECT_RETENTIONS).fetch_all(&self.pool).await.map_err(db_err)?;
                    rows.into_iter().map(|(id, days)| Ok((id, shared::retention_from_column(days)?))).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, fields(kind = %job.kind))]
                async fn enqueue_job_once(&self, job: &NewJob, now_ms: i64) -> StoreResult<Option<JobId>> {
                    let ids: Vec<i64> = sqlx::query_scalar(sql::ENQUEUE_JOB_ONCE)
                        .bind(&job.kind)
                        .bind(sqlx::types::Json(&job.payload))
                        .bind($crate::primary::max_attempts(job.max_attempts))
                        .bind(now_ms)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_err)?;
                    Ok(ids.first().map(|&id| JobId(id)))
                }
            }
        };
    };
}
