use crate::error::StoreResult;
use async_trait::async_trait;
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
    async fn usage_by_day(&self, project_id: &str, from_ms: i64, to_ms: i64) -> StoreResult<Vec<DailyUsage>>;

    // --- Traces. Span rows are immutable: written once, removed only by deletion or expiry. ---

    /// Write `spans` of `project_id` durably and atomically (all or none) before returning:
    /// ingestion acknowledges a batch only after this returns `Ok`. Writing a span id that is
    /// already stored again keeps one copy (SDK retries must not double-count).
    async fn insert_spans(&self, project_id: &str, spans: &[SpanRow]) -> StoreResult<()> {
        let _ = (project_id, spans);
        Err(crate::error::StoreError::Internal("insert_spans: not implemented yet".into()))
    }
    /// One page of traces of `project_id` (see [`TraceQuery`]).
    async fn list_traces(&self, project_id: &str, query: &TraceQuery) -> StoreResult<TracePage> {
        let _ = (project_id, query);
        Err(crate::error::StoreError::Internal("list_traces: not implemented yet".into()))
    }
    /// Every span of one trace ordered by start time then span id; empty when unknown.
    async fn trace_spans(&self, project_id: &str, trace_id: &str) -> StoreResult<Vec<SpanRow>> {
        let _ = (project_id, trace_id);
        Err(crate::error::StoreError::Internal("trace_spans: not implemented yet".into()))
    }
    /// Sessions with a trace starting in `[from_ns, to_ns)`, most recent activity first.
    async fn list_sessions(&self, project_id: &str, from_ns: u64, to_ns: u64, limit: u32) -> StoreResult<Vec<SessionSummary>> {
        let _ = (project_id, from_ns, to_ns, limit);
        Err(crate::error::StoreError::Internal("list_sessions: not implemented yet".into()))
    }
    /// Span metrics per time bucket (and group), ordered by bucket then group.
    async fn span_metrics(&self, project_id: &str, query: &MetricsQuery) -> StoreResult<Vec<MetricsRow>> {
        let _ = (project_id, query);
        Err(crate::error::StoreError::Internal("span_metrics: not implemented yet".into()))
    }
    /// Remove one trace's spans.
    async fn delete_trace(&self, project_id: &str, trace_id: &str) -> StoreResult<RemovedSpans> {
        let _ = (project_id, trace_id);
        Err(crate::error::StoreError::Internal("delete_trace: not implemented yet".into()))
    }
    /// Remove the spans of `project_id` that started before `before_ns` (retention). Adapters
    /// drop whole partitions where they can.
    async fn expire_spans(&self, project_id: &str, before_ns: u64) -> StoreResult<RemovedSpans> {
        let _ = (project_id, before_ns);
        Err(crate::error::StoreError::Internal("expire_spans: not implemented yet".into()))
    }
}
