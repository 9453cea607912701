//! A fresh, empty (not yet migrated) analytics store per test.

use async_trait::async_trait;
use domain::ledger_dashboard::{
    CommitMode, LedgerFilter, LedgerFilterValues, LedgerGroupBy, LedgerRecordPage, LedgerRow, LedgerRowKey, LedgerSort, LedgerTotal,
};
use domain::traces::{MetricsQuery, MetricsRow, RemovedSpans, SessionSummary, SpanRow, TracePage, TraceQuery};
use domain::{DailyUsage, UsageEvent};
use services::{error::StoreResult, ports::AnalyticsStore, ports::ProjectId};
use std::sync::Arc;
use store_clickhouse::{ClickHouseAnalyticsStore, ClickHouseConfig};
use store_sqlite::SqliteAnalyticsStore;
use tempfile::TempDir;

/// A new SQLite file in a temporary folder, removed with the store.
pub async fn sqlite_analytics() -> Arc<dyn AnalyticsStore> {
    let dir = tempfile::Builder::new().prefix("ed-analytics-").tempdir().expect("temporary folder");
    let url = format!("sqlite://{}", dir.path().join("analytics.db").display());
    let store = SqliteAnalyticsStore::connect(&url).await.expect("open SQLite analytics store");
    Arc::new(InTempDir { store, _dir: dir })
}

/// A new database (created by the case's `migrate()`) on the ClickHouse server
/// at `ED_TEST_CLICKHOUSE_URL` (HTTP, e.g. `http://127.0.0.1:8123`); fails when
/// it is not set. Optional: `ED_TEST_CLICKHOUSE_USER`, `ED_TEST_CLICKHOUSE_PASSWORD`,
/// `ED_TEST_CLICKHOUSE_VALIDATION=1` (modern servers only).
pub async fn clickhouse_analytics() -> Arc<dyn AnalyticsStore> {
    let config = ClickHouseConfig {
        url: crate::required_env("ED_TEST_CLICKHOUSE_URL"),
        database: crate::unique_name("ed_test"),
        user: std::env::var("ED_TEST_CLICKHOUSE_USER").unwrap_or_default(),
        password: std::env::var("ED_TEST_CLICKHOUSE_PASSWORD").unwrap_or_default(),
        validation: std::env::var("ED_TEST_CLICKHOUSE_VALIDATION").is_ok_and(|v| v == "1" || v == "true"),
    };
    let store = ClickHouseAnalyticsStore::connect(config).expect("ClickHouse configuration");
    Arc::new(store)
}

/// A store whose files live in a temporary folder deleted when it is dropped.
struct InTempDir<S> {
    store: S,
    _dir: TempDir,
}

#[async_trait]
impl<S: AnalyticsStore> AnalyticsStore for InTempDir<S> {
    fn backend(&self) -> &'static str {
        self.store.backend()
    }
    async fn migrate(&self) -> StoreResult<()> {
        self.store.migrate().await
    }
    async fn ping(&self) -> StoreResult<()> {
        self.store.ping().await
    }
    async fn record_usage(&self, events: &[UsageEvent]) -> StoreResult<()> {
        self.store.record_usage(events).await
    }
    async fn usage_by_day(&self, project_id: &ProjectId, from_ms: i64, to_ms: i64) -> StoreResult<Vec<DailyUsage>> {
        self.store.usage_by_day(project_id, from_ms, to_ms).await
    }
    async fn insert_spans(&self, project_id: &ProjectId, spans: &[SpanRow]) -> StoreResult<()> {
        self.store.insert_spans(project_id, spans).await
    }
    async fn list_traces(&self, project_id: &ProjectId, query: &TraceQuery) -> StoreResult<TracePage> {
        self.store.list_traces(project_id, query).await
    }
    async fn trace_spans(&self, project_id: &ProjectId, trace_id: &str) -> StoreResult<Vec<SpanRow>> {
        self.store.trace_spans(project_id, trace_id).await
    }
    async fn list_sessions(&self, project_id: &ProjectId, from_ns: u64, to_ns: u64, limit: u32) -> StoreResult<Vec<SessionSummary>> {
        self.store.list_sessions(project_id, from_ns, to_ns, limit).await
    }
    async fn span_metrics(&self, project_id: &ProjectId, query: &MetricsQuery) -> StoreResult<Vec<MetricsRow>> {
        self.store.span_metrics(project_id, query).await
    }
    async fn delete_trace(&self, project_id: &ProjectId, trace_id: &str) -> StoreResult<RemovedSpans> {
        self.store.delete_trace(project_id, trace_id).await
    }
    async fn expire_spans(&self, project_id: &ProjectId, before_ns: u64) -> StoreResult<RemovedSpans> {
        self.store.expire_spans(project_id, before_ns).await
    }
    async fn insert_ledger_rows(&self, project_id: &ProjectId, import_id: &str, rows: &[LedgerRow]) -> StoreResult<()> {
        self.store.insert_ledger_rows(project_id, import_id, rows).await
    }
    async fn commit_import(&self, project_id: &ProjectId, dataset_id: &str, import_id: &str, mode: CommitMode) -> StoreResult<()> {
        self.store.commit_import(project_id, dataset_id, import_id, mode).await
    }
    async fn discard_import(&self, project_id: &ProjectId, import_id: &str) -> StoreResult<()> {
        self.store.discard_import(project_id, import_id).await
    }
    async fn delete_dataset_rows(&self, project_id: &ProjectId, dataset_id: &str) -> StoreResult<()> {
        self.store.delete_dataset_rows(project_id, dataset_id).await
    }
    async fn ledger_totals(&self, project_id: &ProjectId, filter: &LedgerFilter, group_by: LedgerGroupBy) -> StoreResult<Vec<LedgerTotal>> {
        self.store.ledger_totals(project_id, filter, group_by).await
    }
    async fn ledger_filter_values(&self, project_id: &ProjectId, datasets: &[String]) -> StoreResult<LedgerFilterValues> {
        self.store.ledger_filter_values(project_id, datasets).await
    }
    async fn ledger_records(
        &self,
        project_id: &ProjectId,
        filter: &LedgerFilter,
        sort: LedgerSort,
        page: u64,
        page_size: u32,
    ) -> StoreResult<LedgerRecordPage> {
        self.store.ledger_records(project_id, filter, sort, page, page_size).await
    }
    async fn ledger_export_batch(
        &self,
        project_id: &ProjectId,
        filter: &LedgerFilter,
        after: Option<&LedgerRowKey>,
        limit: u32,
    ) -> StoreResult<Vec<LedgerRow>> {
        self.store.ledger_export_batch(project_id, filter, after, limit).await
    }
}
