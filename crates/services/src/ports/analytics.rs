use super::ProjectId;
use crate::error::StoreResult;
use async_trait::async_trait;
use domain::ledger_dashboard::{
    CommitMode, LedgerFilter, LedgerFilterValues, LedgerGroupBy, LedgerRecordPage, LedgerRow, LedgerRowKey, LedgerSort, LedgerTotal,
};
use domain::traces::{MetricsQuery, MetricsRow, RemovedSpans, SessionSummary, SpanRow, TracePage, TraceQuery};
use domain::{DailyUsage, UsageEvent};

/// Append-mostly, high-volume rows and their aggregates. SQLite by default,
/// ClickHouse when scaled out. Every query is bound to a project and a time range.
#[async_trait]
pub trait AnalyticsStore: Send + Sync {
    /// "sqlite" or "clickhouse".
    fn backend(&self) -> &'static str;
    async fn migrate(&self) -> StoreResult<()>;
    async fn ping(&self) -> StoreResult<()>;
    async fn record_usage(&self, events: &[UsageEvent]) -> StoreResult<()>;
    /// Sums per UTC day and kind for `project_id` over `[from_ms, to_ms)`,
    /// ordered by day then kind.
    async fn usage_by_day(&self, project_id: &ProjectId, from_ms: i64, to_ms: i64) -> StoreResult<Vec<DailyUsage>>;

    // --- Traces. Span rows are immutable: written once, removed only by deletion or expiry.
    // Trace-level facts are aggregated from them at read time. Every method is scoped to
    // `project_id`; a trace id of another project is unknown. Times are Unix nanoseconds and
    // ranges half-open `[from, to)`; bounds beyond what a store holds are clamped.

    /// Write `spans` of `project_id` durably and atomically (all or none) before returning:
    /// ingestion acknowledges a batch only after this returns `Ok`. Writing a span id that is
    /// already stored again keeps one copy (SDK retries must not double-count; the first copy
    /// wins on SQLite, the last on ClickHouse).
    ///
    /// `Invalid` (nothing written) when any span fails [`SpanRow::check_storable`]. ClickHouse
    /// writes one INSERT, atomic up to a block of about a million rows: callers batch below that.
    async fn insert_spans(&self, project_id: &ProjectId, spans: &[SpanRow]) -> StoreResult<()>;

    /// One page of traces of `project_id` (see [`TraceQuery`]).
    ///
    /// A trace is listed once its root span (no parent) is stored, at the start of its earliest
    /// root: that is [`TraceSummary::start_ns`](domain::traces::TraceSummary::start_ns), the range test and the cursor key. Spans whose
    /// root has not arrived are readable by [`trace_spans`](Self::trace_spans) only. Each
    /// span-level filter must hold for some span of the trace, not necessarily the same span for
    /// every filter (the user is on the root, the model on a child). `search` is a substring
    /// match, case-insensitive at least for ASCII (SQLite folds ASCII only, ClickHouse folds
    /// Unicode); caseless scripts (CJK, Arabic) match as written; an empty search matches all.
    /// `Slowest` / `Costliest` give the first `limit` traces with ties newest first and no
    /// `next`; a cursor with them is `Invalid`. Summaries: totals over all the trace's spans,
    /// `user_id` / `session_id` / `environment` from the root, else the smallest value of any
    /// span.
    async fn list_traces(&self, project_id: &ProjectId, query: &TraceQuery) -> StoreResult<TracePage>;

    /// Every span of one trace ordered by start time then span id; empty when unknown.
    async fn trace_spans(&self, project_id: &ProjectId, trace_id: &str) -> StoreResult<Vec<SpanRow>>;

    /// Sessions with a span carrying the session id and starting in `[from_ns, to_ns)`, at most
    /// `limit` (clamped to 1..=500), most recent activity (`last_ns`, latest span end) first, then
    /// by session id. A session's traces are those spans' traces; its totals count every span of
    /// those traces; `user_id` is the smallest user id among them.
    async fn list_sessions(&self, project_id: &ProjectId, from_ns: u64, to_ns: u64, limit: u32) -> StoreResult<Vec<SessionSummary>>;

    /// Span metrics per time bucket (and group), ordered by bucket then group; only non-empty
    /// buckets. Percentiles are exact (nearest rank) on both adapters. `Invalid` for a zero
    /// bucket width.
    async fn span_metrics(&self, project_id: &ProjectId, query: &MetricsQuery) -> StoreResult<Vec<MetricsRow>>;

    /// Remove one trace's spans; the count and the distinct, sorted blob keys of what was removed
    /// (nothing for an unknown trace). The caller deletes the blobs and audits.
    async fn delete_trace(&self, project_id: &ProjectId, trace_id: &str) -> StoreResult<RemovedSpans>;

    /// Remove the spans of `project_id` that started before `before_ns` (retention): the count
    /// and distinct, sorted blob keys. SQLite deletes through the `(project, start)` index in
    /// chunks of its own transactions; ClickHouse drops the project's whole months
    /// (partitions) and deletes the rest with a mutation, waiting for it.
    async fn expire_spans(&self, project_id: &ProjectId, before_ns: u64) -> StoreResult<RemovedSpans>;

    // --- Ledger records (issue 5). Rows are written under an import id and stay invisible to
    // every read until the import is committed to its dataset; which imports are visible is
    // decided here, in the store, in the same query as the rows. Every method is scoped to
    // `project_id`. Money sums are exact; a sum beyond the `i64` range of ten-thousandths is an
    // error (never a wrapped or rounded number).

    /// Write rows of the uncommitted import `import_id` (every row must carry that import id:
    /// `Invalid` otherwise, or when a row fails [`LedgerRow::check_storable`]; nothing of the
    /// batch is written then). Each `(import, row number)` is written once: a failed import is
    /// discarded and retried under a new import id, not rewritten.
    async fn insert_ledger_rows(&self, project_id: &ProjectId, import_id: &str, rows: &[LedgerRow]) -> StoreResult<()>;

    /// Make the rows of `import_id` written for `dataset_id` visible, all at once. `Replace` also
    /// hides every import committed to the dataset before, at the same instant, and then removes
    /// their rows. Imports still being written to the dataset are left alone. Committing an
    /// import again is harmless (retries).
    async fn commit_import(&self, project_id: &ProjectId, dataset_id: &str, import_id: &str, mode: CommitMode) -> StoreResult<()>;

    /// Remove the rows of an import that was never committed (failed or abandoned); `Conflict`
    /// when it was committed.
    async fn discard_import(&self, project_id: &ProjectId, import_id: &str) -> StoreResult<()>;

    /// Hide every row of the dataset at once, then remove them (committed or not) and the
    /// record of its imports. The caller deletes the metadata and blobs and makes sure no import
    /// of the dataset is still running.
    async fn delete_dataset_rows(&self, project_id: &ProjectId, dataset_id: &str) -> StoreResult<()>;

    /// Sums of the visible rows passing `filter`, per `group_by` key and account group, ordered
    /// by key, name, account group (bytes). `Invalid` when the filter lists too many values.
    async fn ledger_totals(&self, project_id: &ProjectId, filter: &LedgerFilter, group_by: LedgerGroupBy) -> StoreResult<Vec<LedgerTotal>>;

    /// Distinct values of the visible rows of `datasets` (empty: all) for the filter drop-downs.
    async fn ledger_filter_values(&self, project_id: &ProjectId, datasets: &[String]) -> StoreResult<LedgerFilterValues>;

    /// One page (0-based `page`, `page_size` clamped to 1..=500) of the visible rows passing
    /// `filter` in `sort` order, ties by dataset, import and row number ascending; `total`
    /// counts every matching row.
    async fn ledger_records(
        &self,
        project_id: &ProjectId,
        filter: &LedgerFilter,
        sort: LedgerSort,
        page: u64,
        page_size: u32,
    ) -> StoreResult<LedgerRecordPage>;

    /// For exports: up to `limit` (clamped to 1..=10,000) visible rows passing `filter` whose key
    /// (dataset, import, row number) comes after `after`, in key order. Call again with the last
    /// row's key until fewer than `limit` come back.
    async fn ledger_export_batch(
        &self,
        project_id: &ProjectId,
        filter: &LedgerFilter,
        after: Option<&LedgerRowKey>,
        limit: u32,
    ) -> StoreResult<Vec<LedgerRow>>;
}
