use crate::error::StoreResult;
use async_trait::async_trait;
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
}
