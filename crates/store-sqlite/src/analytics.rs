//! The embedded analytics store: one SQLite file of its own (its own
//! migrations in `migrations/sqlite-analytics`, its own write lock).

use crate::connect::connect;
use crate::spans;
use async_trait::async_trait;
use domain::ledger_dashboard::{
    CommitMode, LedgerFilter, LedgerFilterValues, LedgerGroupBy, LedgerRecordPage, LedgerRow, LedgerRowKey, LedgerSort, LedgerTotal,
};
use domain::traces::{MetricsQuery, MetricsRow, RemovedSpans, SessionSummary, SpanRow, TracePage, TraceQuery};
use domain::{DailyUsage, UsageEvent};
use services::ports::ProjectId;
use services::{error::StoreResult, ports::AnalyticsStore, StoreError};
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};
use store_sql::{map_migrate_error, map_sqlx_error};

use crate::ledger;

/// Rows per INSERT statement (4 bound values each, well under SQLite's limit).
const ROWS_PER_INSERT: usize = 500;
/// Times accepted in usage events: from the Unix epoch to 2100-01-01, the same
/// range the ClickHouse store can represent.
const MAX_TIME_MS: i64 = 4_102_444_800_000;

#[derive(Debug, Clone)]
pub struct SqliteAnalyticsStore {
    pool: SqlitePool,
}

impl SqliteAnalyticsStore {
    /// Open (creating if missing) the analytics database at a `sqlite:` URL.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        Ok(Self { pool: connect(url).await? })
    }
}

#[async_trait]
impl AnalyticsStore for SqliteAnalyticsStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn migrate(&self) -> StoreResult<()> {
        let mut migrator = sqlx::migrate!("../../migrations/sqlite-analytics");
        // Versions here are dated (2025...), apart from the primary store's
        // (0001...), so both sets can even share one file if configured so.
        migrator.set_ignore_missing(true);
        migrator.run(&self.pool).await.map_err(map_migrate_error)
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(map_sqlx_error)?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(rows = events.len()))]
    async fn record_usage(&self, events: &[UsageEvent]) -> StoreResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        let mut rows = Vec::with_capacity(events.len());
        for event in events {
            rows.push((event, checked_quantity(event)?));
        }
        let mut tx = self.pool.begin().await.map_err(map_sqlx_error)?;
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let mut insert: QueryBuilder<Sqlite> = QueryBuilder::new("INSERT INTO usage_events (project_id, kind, quantity, time_ms) ");
            insert.push_values(chunk, |mut row, (event, quantity)| {
                row.push_bind(event.project_id.as_str()).push_bind(event.kind.as_str()).push_bind(*quantity).push_bind(event.time_ms);
            });
            insert.build().execute(&mut *tx).await.map_err(map_sqlx_error)?;
        }
        tx.commit().await.map_err(map_sqlx_error)
    }

    #[tracing::instrument(skip_all, fields(project_id))]
    async fn usage_by_day(&self, project_id: &ProjectId, from_ms: i64, to_ms: i64) -> StoreResult<Vec<DailyUsage>> {
        let project_id = project_id.as_str();
        let rows = sqlx::query(
            "SELECT date(time_ms / 1000, 'unixepoch') AS day, kind, SUM(quantity) AS total \
             FROM usage_events \
             WHERE project_id = ? AND time_ms >= ? AND time_ms < ? \
             GROUP BY day, kind \
             ORDER BY day, kind",
        )
        .bind(project_id)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.pool)
        .await
        .map_err(map_sqlx_error)?;
        rows.into_iter()
            .map(|row| {
                let total: i64 = row.try_get("total").map_err(map_sqlx_error)?;
                Ok(DailyUsage {
                    day: row.try_get("day").map_err(map_sqlx_error)?,
                    kind: row.try_get("kind").map_err(map_sqlx_error)?,
                    quantity: u64::try_from(total).map_err(|_| StoreError::Internal(format!("negative usage total {total}")))?,
                })
            })
            .collect()
    }

    #[tracing::instrument(skip_all, fields(project_id, rows = spans.len()))]
    async fn insert_spans(&self, project_id: &ProjectId, spans: &[SpanRow]) -> StoreResult<()> {
        let project_id = project_id.as_str();
        spans::insert(&self.pool, project_id, spans).await
    }

    #[tracing::instrument(skip_all, fields(project_id))]
    async fn list_traces(&self, project_id: &ProjectId, query: &TraceQuery) -> StoreResult<TracePage> {
        let project_id = project_id.as_str();
        spans::list_traces(&self.pool, project_id, query).await
    }

    #[tracing::instrument(skip_all, fields(project_id))]
    async fn trace_spans(&self, project_id: &ProjectId, trace_id: &str) -> StoreResult<Vec<SpanRow>> {
        let project_id = project_id.as_str();
        spans::trace_spans(&self.pool, project_id, trace_id).await
    }

    #[tracing::instrument(skip_all, fields(project_id))]
    async fn list_sessions(&self, project_id: &ProjectId, from_ns: u64, to_ns: u64, limit: u32) -> StoreResult<Vec<SessionSummary>> {
        let project_id = project_id.as_str();
        spans::list_sessions(&self.pool, project_id, from_ns, to_ns, limit).await
    }

    #[tracing::instrument(skip_all, fields(project_id))]
    async fn span_metrics(&self, project_id: &ProjectId, query: &MetricsQuery) -> StoreResult<Vec<MetricsRow>> {
        let project_id = project_id.as_str();
        spans::span_metrics(&self.pool, project_id, query).await
    }

    #[tracing::instrument(skip_all, fields(project_id))]
    async fn delete_trace(&self, project_id: &ProjectId, trace_id: &str) -> StoreResult<RemovedSpans> {
        let project_id = project_id.as_str();
        spans::delete_trace(&self.pool, project_id, trace_id).await
    }

    #[tracing::instrument(skip_all, fields(project_id))]
    async fn expire_spans(&self, project_id: &ProjectId, before_ns: u64) -> StoreResult<RemovedSpans> {
        let project_id = project_id.as_str();
        spans::expire(&self.pool, project_id, before_ns).await
    }

    #[tracing::instrument(skip_all, fields(project_id, rows = rows.len()))]
    async fn insert_ledger_rows(&self, project_id: &ProjectId, import_id: &str, rows: &[LedgerRow]) -> StoreResult<()> {
        let project_id = project_id.as_str();
        ledger::insert(&self.pool, project_id, import_id, rows).await
    }

    #[tracing::instrument(skip_all, fields(project_id, dataset_id, import_id))]
    async fn commit_import(&self, project_id: &ProjectId, dataset_id: &str, import_id: &str, mode: CommitMode) -> StoreResult<()> {
        let project_id = project_id.as_str();
        ledger::commit(&self.pool, project_id, dataset_id, import_id, mode).await
    }

    #[tracing::instrument(skip_all, fields(project_id, import_id))]
    async fn discard_import(&self, project_id: &ProjectId, import_id: &str) -> StoreResult<()> {
        let project_id = project_id.as_str();
        ledger::discard(&self.pool, project_id, import_id).await
    }

    #[tracing::instrument(skip_all, fields(project_id, dataset_id))]
    async fn delete_dataset_rows(&self, project_id: &ProjectId, dataset_id: &str) -> StoreResult<()> {
        let project_id = project_id.as_str();
        ledger::delete_dataset(&self.pool, project_id, dataset_id).await
    }

    #[tracing::instrument(skip_all, fields(project_id))]
    async fn ledger_totals(&self, project_id: &ProjectId, filter: &LedgerFilter, group_by: LedgerGroupBy) -> StoreResult<Vec<LedgerTotal>> {
        let project_id = project_id.as_str();
        ledger::totals(&self.pool, project_id, filter, group_by).await
    }

    #[tracing::instrument(skip_all, fields(project_id))]
    async fn ledger_filter_values(&self, project_id: &ProjectId, datasets: &[String]) -> StoreResult<LedgerFilterValues> {
        let project_id = project_id.as_str();
        ledger::filter_values(&self.pool, project_id, datasets).await
    }

    #[tracing::instrument(skip_all, fields(project_id))]
    async fn ledger_records(
        &self,
        project_id: &ProjectId,
        filter: &LedgerFilter,
        sort: LedgerSort,
        page: u64,
        page_size: u32,
    ) -> StoreResult<LedgerRecordPage> {
        let project_id = project_id.as_str();
        ledger::records(&self.pool, project_id, filter, sort, page, page_size).await
    }

    #[tracing::instrument(skip_all, fields(project_id))]
    async fn ledger_export_batch(
        &self,
        project_id: &ProjectId,
        filter: &LedgerFilter,
        after: Option<&LedgerRowKey>,
        limit: u32,
    ) -> StoreResult<Vec<LedgerRow>> {
        let project_id = project_id.as_str();
        ledger::export_batch(&self.pool, project_id, filter, after, limit).await
    }
}

/// The quantity as SQLite's `INTEGER` (i64), after the checks both analytics
/// adapters share: times from 1970 to 2100, quantities up to `i64::MAX`.
fn checked_quantity(event: &UsageEvent) -> StoreResult<i64> {
    if !(0..MAX_TIME_MS).contains(&event.time_ms) {
        return Err(StoreError::Invalid(format!("usage time {} ms is outside 1970..2100", event.time_ms)));
    }
    i64::try_from(event.quantity).map_err(|_| StoreError::Invalid(format!("usage quantity {} is too large", event.quantity)))
}
