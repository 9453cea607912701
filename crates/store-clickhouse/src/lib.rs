//! ClickHouse analytics store.
//!
//! Speaks the HTTP interface through the `clickhouse` crate and keeps to SQL
//! that runs on ClickHouse 18.16 (the only server in Debian) as well as on
//! current releases: no DateTime64, LowCardinality, Bool, TTL, window functions
//! or CTE subqueries; times are Unix milliseconds in `Int64` columns.
//! Every value is bound on the client (`?` + `bind()`), never formatted into SQL.

mod error;
mod ledger;
mod migrate;
mod spans;
mod sql;

use async_trait::async_trait;
use clickhouse::{sql::Identifier, Client, Row};
use domain::ledger_dashboard::{
    CommitMode, LedgerFilter, LedgerFilterValues, LedgerGroupBy, LedgerRecordPage, LedgerRow, LedgerRowKey, LedgerSort, LedgerTotal,
};
use domain::traces::{MetricsQuery, MetricsRow, RemovedSpans, SessionSummary, SpanRow, TracePage, TraceQuery};
use domain::{usage::MS_PER_DAY, DailyUsage, UsageEvent};
use serde::{Deserialize, Serialize};
use services::ports::ProjectId;
use services::{error::StoreResult, ports::AnalyticsStore, StoreError};
use std::{fmt, future::Future, time::Duration};

pub use error::map_clickhouse_error;

/// How long `ping` waits for an answer before reporting the store unavailable.
const PING_TIMEOUT: Duration = Duration::from_secs(5);
/// Upper bound for any other request (a hung connection becomes `Unavailable`).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// Times accepted in usage events: from the Unix epoch to 2100-01-01 (what
/// ClickHouse's `DateTime`/`Date` can represent, used for partitions and days).
const MAX_TIME_MS: i64 = 4_102_444_800_000;

/// Where the ClickHouse server is and how to talk to it.
#[derive(Clone)]
pub struct ClickHouseConfig {
    /// HTTP endpoint, e.g. `http://127.0.0.1:8123`.
    pub url: String,
    /// Database holding the tables; created by `migrate()` when missing.
    pub database: String,
    /// Empty: the server's `default` user.
    pub user: String,
    /// Empty: no password.
    pub password: String,
    /// Check row types against the server's schema (`RowBinaryWithNamesAndTypes`).
    /// Needs a modern server: leave `false` for ClickHouse 18.x.
    pub validation: bool,
}

impl fmt::Debug for ClickHouseConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClickHouseConfig")
            .field("url", &self.url)
            .field("database", &self.database)
            .field("user", &self.user)
            .field("password", &if self.password.is_empty() { "" } else { "<redacted>" })
            .field("validation", &self.validation)
            .finish()
    }
}

/// The analytics store on a ClickHouse server.
#[derive(Clone)]
pub struct ClickHouseAnalyticsStore {
    /// Bound to the configured database (which must exist).
    client: Client,
    /// No database selected: for `CREATE DATABASE`.
    server: Client,
    database: String,
}

impl fmt::Debug for ClickHouseAnalyticsStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClickHouseAnalyticsStore").field("database", &self.database).finish_non_exhaustive()
    }
}

#[derive(Row, Serialize)]
struct UsageRow<'a> {
    project_id: &'a str,
    kind: &'a str,
    quantity: u64,
    time_ms: i64,
}

#[derive(Row, Deserialize)]
struct DayRow {
    /// Days since 1970-01-01 (a ClickHouse `Date` as `UInt16`).
    day: u16,
    kind: String,
    total: u64,
}

impl ClickHouseAnalyticsStore {
    /// Check the configuration and build the client. No request is made (the
    /// server may be down at start-up, `ping()` tells), and the database may
    /// not exist yet: `migrate()` creates it.
    pub fn connect(config: ClickHouseConfig) -> StoreResult<Self> {
        if !valid_identifier(&config.database) {
            return Err(StoreError::Invalid(format!(
                "ClickHouse database name {:?} must be letters, digits and `_`, not starting with a digit",
                config.database
            )));
        }
        let mut server = Client::default().with_url(config.url.as_str()).with_validation(config.validation);
        if !config.user.is_empty() {
            server = server.with_user(config.user);
        }
        if !config.password.is_empty() {
            server = server.with_password(config.password);
        }
        let client = server.clone().with_database(config.database.as_str());
        Ok(Self { client, server, database: config.database })
    }
}

#[async_trait]
impl AnalyticsStore for ClickHouseAnalyticsStore {
    fn backend(&self) -> &'static str {
        "clickhouse"
    }

    #[tracing::instrument(skip_all, fields(database = %self.database))]
    async fn migrate(&self) -> StoreResult<()> {
        with_timeout(REQUEST_TIMEOUT, self.server.query("CREATE DATABASE IF NOT EXISTS ?").bind(Identifier(&self.database)).execute())
            .await?;
        migrate::run(&self.client, migrate::MIGRATIONS, REQUEST_TIMEOUT).await
    }

    async fn ping(&self) -> StoreResult<()> {
        with_timeout(PING_TIMEOUT, self.client.query("SELECT 1").execute()).await
    }

    #[tracing::instrument(skip_all, fields(rows = events.len()))]
    async fn record_usage(&self, events: &[UsageEvent]) -> StoreResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        for event in events {
            check_event(event)?;
        }
        with_timeout(REQUEST_TIMEOUT, async {
            let mut insert = self.client.insert::<UsageRow<'_>>("usage_events").await?;
            for event in events {
                let row = UsageRow { project_id: &event.project_id, kind: &event.kind, quantity: event.quantity, time_ms: event.time_ms };
                insert.write(&row).await?;
            }
            insert.end().await
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(project_id))]
    async fn usage_by_day(&self, project_id: &ProjectId, from_ms: i64, to_ms: i64) -> StoreResult<Vec<DailyUsage>> {
        let project_id = project_id.as_str();
        if from_ms >= to_ms {
            return Ok(Vec::new());
        }
        let query = self
            .client
            .query(
                "SELECT toUInt16(toDate(toDateTime(intDiv(time_ms, 1000), 'UTC'))) AS day, kind, sum(quantity) AS total \
                 FROM usage_events \
                 WHERE project_id = ? AND time_ms >= ? AND time_ms < ? \
                 GROUP BY day, kind \
                 ORDER BY day, kind",
            )
            .bind(project_id)
            .bind(from_ms)
            .bind(to_ms);
        let rows: Vec<DayRow> = with_timeout(REQUEST_TIMEOUT, query.fetch_all()).await?;
        Ok(rows
            .into_iter()
            .map(|r| DailyUsage { day: domain::usage::utc_day(i64::from(r.day) * MS_PER_DAY), kind: r.kind, quantity: r.total })
            .collect())
    }

    #[tracing::instrument(skip_all, fields(project_id, rows = spans.len()))]
    async fn insert_spans(&self, project_id: &ProjectId, spans: &[SpanRow]) -> StoreResult<()> {
        let project_id = project_id.as_str();
        spans::insert(&self.client, project_id, spans).await
    }

    #[tracing::instrument(skip_all, fields(project_id))]
    async fn list_traces(&self, project_id: &ProjectId, query: &TraceQuery) -> StoreResult<TracePage> {
        let project_id = project_id.as_str();
        spans::list_traces(&self.client, project_id, query).await
    }

    #[tracing::instrument(skip_all, fields(project_id))]
    async fn trace_spans(&self, project_id: &ProjectId, trace_id: &str) -> StoreResult<Vec<SpanRow>> {
        let project_id = project_id.as_str();
        spans::trace_spans(&self.client, project_id, trace_id).await
    }

    #[tracing::instrument(skip_all, fields(project_id))]
    async fn list_sessions(&self, project_id: &ProjectId, from_ns: u64, to_ns: u64, limit: u32) -> StoreResult<Vec<SessionSummary>> {
        let project_id = project_id.as_str();
        spans::list_sessions(&self.client, project_id, from_ns, to_ns, limit).await
    }

    #[tracing::instrument(skip_all, fields(project_id))]
    async fn span_metrics(&self, project_id: &ProjectId, query: &MetricsQuery) -> StoreResult<Vec<MetricsRow>> {
        let project_id = project_id.as_str();
        spans::span_metrics(&self.client, project_id, query).await
    }

    #[tracing::instrument(skip_all, fields(project_id))]
    async fn delete_trace(&self, project_id: &ProjectId, trace_id: &str) -> StoreResult<RemovedSpans> {
        let project_id = project_id.as_str();
        spans::delete_trace(&self.client, &self.database, project_id, trace_id).await
    }

    #[tracing::instrument(skip_all, fields(project_id))]
    async fn expire_spans(&self, project_id: &ProjectId, before_ns: u64) -> StoreResult<RemovedSpans> {
        let project_id = project_id.as_str();
        spans::expire(&self.client, &self.database, project_id, before_ns).await
    }

    #[tracing::instrument(skip_all, fields(project_id, rows = rows.len()))]
    async fn insert_ledger_rows(&self, project_id: &ProjectId, import_id: &str, rows: &[LedgerRow]) -> StoreResult<()> {
        let project_id = project_id.as_str();
        ledger::insert(&self.client, project_id, import_id, rows).await
    }

    #[tracing::instrument(skip_all, fields(project_id, dataset_id, import_id))]
    async fn commit_import(&self, project_id: &ProjectId, dataset_id: &str, import_id: &str, mode: CommitMode) -> StoreResult<()> {
        let project_id = project_id.as_str();
        ledger::commit(&self.client, &self.database, project_id, dataset_id, import_id, mode).await
    }

    #[tracing::instrument(skip_all, fields(project_id, import_id))]
    async fn discard_import(&self, project_id: &ProjectId, import_id: &str) -> StoreResult<()> {
        let project_id = project_id.as_str();
        ledger::discard(&self.client, &self.database, project_id, import_id).await
    }

    #[tracing::instrument(skip_all, fields(project_id, dataset_id))]
    async fn delete_dataset_rows(&self, project_id: &ProjectId, dataset_id: &str) -> StoreResult<()> {
        let project_id = project_id.as_str();
        ledger::delete_dataset(&self.client, &self.database, project_id, dataset_id).await
    }

    #[tracing::instrument(skip_all, fields(project_id))]
    async fn ledger_totals(&self, project_id: &ProjectId, filter: &LedgerFilter, group_by: LedgerGroupBy) -> StoreResult<Vec<LedgerTotal>> {
        let project_id = project_id.as_str();
        ledger::totals(&self.client, project_id, filter, group_by).await
    }

    #[tracing::instrument(skip_all, fields(project_id))]
    async fn ledger_filter_values(&self, project_id: &ProjectId, datasets: &[String]) -> StoreResult<LedgerFilterValues> {
        let project_id = project_id.as_str();
        ledger::filter_values(&self.client, project_id, datasets).await
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
        ledger::records(&self.client, project_id, filter, sort, page, page_size).await
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
        ledger::export_batch(&self.client, project_id, filter, after, limit).await
    }
}

/// Reject what ClickHouse would store silently wrong (times outside
/// `DateTime`'s range) and quantities above `i64::MAX`, which the SQLite
/// store cannot hold: both adapters accept the same events.
fn check_event(event: &UsageEvent) -> StoreResult<()> {
    if !(0..MAX_TIME_MS).contains(&event.time_ms) {
        return Err(StoreError::Invalid(format!("usage time {} ms is outside 1970..2100", event.time_ms)));
    }
    if event.quantity > i64::MAX as u64 {
        return Err(StoreError::Invalid(format!("usage quantity {} is too large", event.quantity)));
    }
    Ok(())
}

fn valid_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Run a client call with an upper time bound, converting its error.
async fn with_timeout<T>(limit: Duration, fut: impl Future<Output = clickhouse::error::Result<T>>) -> StoreResult<T> {
    match tokio::time::timeout(limit, fut).await {
        Ok(result) => result.map_err(map_clickhouse_error),
        Err(_) => Err(StoreError::Unavailable(format!("ClickHouse did not answer within {} s", limit.as_secs()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_plain_identifiers() {
        for ok in ["elasticdash", "ed_test_0a1b", "_x"] {
            assert!(valid_identifier(ok), "{ok}");
        }
        for bad in ["", "1db", "a-b", "a.b", "a`b", "a b"] {
            assert!(!valid_identifier(bad), "{bad}");
        }
    }

    #[test]
    fn events_outside_the_representable_range_are_invalid() {
        let ev = |time_ms, quantity| UsageEvent { project_id: "p".into(), kind: "k".into(), quantity, time_ms };
        assert!(check_event(&ev(0, 1)).is_ok());
        assert!(check_event(&ev(1_709_164_800_000, i64::MAX as u64)).is_ok());
        assert!(matches!(check_event(&ev(-1, 1)), Err(StoreError::Invalid(_))));
        assert!(matches!(check_event(&ev(MAX_TIME_MS, 1)), Err(StoreError::Invalid(_))));
        assert!(matches!(check_event(&ev(1, u64::MAX)), Err(StoreError::Invalid(_))));
    }

    #[tokio::test]
    async fn an_unreachable_server_is_unavailable() {
        let config = ClickHouseConfig {
            url: "http://127.0.0.1:1".into(),
            database: "db".into(),
            user: String::new(),
            password: String::new(),
            validation: false,
        };
        let store = ClickHouseAnalyticsStore::connect(config).expect("a valid configuration");
        assert!(matches!(store.ping().await, Err(StoreError::Unavailable(_))), "ping");
        assert!(matches!(store.migrate().await, Err(StoreError::Unavailable(_))), "migrate");
        assert!(
            matches!(store.usage_by_day(&services::ports::ProjectId::unchecked("p"), 0, 1).await, Err(StoreError::Unavailable(_))),
            "query"
        );
    }

    #[test]
    fn the_password_is_not_debug_printed() {
        let config = ClickHouseConfig {
            url: "http://127.0.0.1:8123".into(),
            database: "db".into(),
            user: "app".into(),
            password: "hunter2".into(),
            validation: false,
        };
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
