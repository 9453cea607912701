//! The analytics store's contract: every adapter (SQLite, ClickHouse) must
//! pass each case. Run them with [`analytics_contract_tests!`](crate::analytics_contract_tests).
//!
//! Each case gets a fresh, empty backend and runs `migrate()` itself first.

use domain::{
    usage::{utc_day, MS_PER_DAY},
    DailyUsage, UsageEvent,
};
use services::{ports::AnalyticsStore, StoreError};
use std::{collections::BTreeMap, sync::Arc};

mod ledger;
pub mod ledger_model;
pub mod model;
mod spans;
pub use ledger::*;
pub use spans::*;

/// Expands to one `#[tokio::test]` per case, each on a fresh backend made by
/// `$make` (an expression giving a future of `Arc<dyn AnalyticsStore>`).
///
/// ```ignore
/// mod sqlite {
///     test_support::analytics_contract_tests!(test_support::backends::sqlite_analytics());
/// }
/// ```
#[macro_export]
macro_rules! analytics_contract_tests {
    ($make:expr) => {
        $crate::analytics_contract_tests!(@cases $make;
            migrate_is_idempotent,
            ping_answers,
            usage_is_summed_per_utc_day_and_kind,
            batches_add_up,
            projects_are_isolated,
            time_bounds_are_half_open,
            empty_ranges_give_no_rows,
            large_batch_is_recorded_whole,
            invalid_events_reject_the_whole_batch,
            spans_roundtrip_every_field,
            span_reinsert_is_idempotent,
            span_batch_is_atomic,
            spans_projects_are_isolated,
            trace_filters_each_narrow,
            trace_orders,
            trace_pages_have_no_gaps_or_duplicates,
            trace_summary_totals,
            sessions_are_summarized,
            metrics_buckets_groups_percentiles,
            delete_trace_removes_only_that_trace,
            expire_spans_boundary_and_blobs,
            search_finds_cjk_and_arabic,
            five_thousand_span_trace,
            ledger_totals_match_the_model,
            ledger_filter_values_are_distinct_and_sorted,
            uncommitted_imports_are_invisible_and_discarded,
            insert_rejects_bad_batches_whole,
            replace_hides_older_imports_and_append_adds,
            delete_dataset_removes_its_rows,
            drill_down_pages_are_sorted_and_stable,
            export_batches_walk_every_row,
            ledger_money_is_exact,
            ledger_text_and_projects_are_kept_apart,
            ledger_dashboard_matches_the_model,
        );
    };
    (@cases $make:expr; $($case:ident),+ $(,)?) => {
        $(
            #[$crate::tokio::test(flavor = "multi_thread", worker_threads = 2, crate = "test_support::tokio")]
            async fn $case() {
                $crate::contract::analytics::$case($make.await).await;
            }
        )+
    };
}

/// 2024-02-28T00:00:00Z: cases span the leap day and the turn of the month
/// (so ClickHouse's monthly partitions are crossed too).
const FEB_28: i64 = 1_709_078_400_000;
const HOUR: i64 = 3_600_000;

fn event(project: &str, kind: &str, quantity: u64, time_ms: i64) -> UsageEvent {
    UsageEvent { project_id: project.into(), kind: kind.into(), quantity, time_ms }
}

fn daily(day: &str, kind: &str, quantity: u64) -> DailyUsage {
    DailyUsage { day: day.into(), kind: kind.into(), quantity }
}

/// What `usage_by_day` must return, computed in Rust.
fn expected(events: &[UsageEvent], project: &str, from_ms: i64, to_ms: i64) -> Vec<DailyUsage> {
    let mut sums: BTreeMap<(String, String), u64> = BTreeMap::new();
    for e in events.iter().filter(|e| e.project_id == project && e.time_ms >= from_ms && e.time_ms < to_ms) {
        *sums.entry((utc_day(e.time_ms), e.kind.clone())).or_default() += e.quantity;
    }
    sums.into_iter().map(|((day, kind), quantity)| DailyUsage { day, kind, quantity }).collect()
}

async fn migrated(store: &Arc<dyn AnalyticsStore>) {
    store.migrate().await.expect("migrate");
}

pub async fn migrate_is_idempotent(store: Arc<dyn AnalyticsStore>) {
    store.migrate().await.expect("first migrate");
    store.migrate().await.expect("second migrate");
    store.record_usage(&[event("p1", "traces", 3, FEB_28)]).await.expect("record");
    store.migrate().await.expect("migrate again with data");
    let rows = store.usage_by_day(&crate::pid("p1"), FEB_28, FEB_28 + MS_PER_DAY).await.expect("query");
    assert_eq!(rows, vec![daily("2024-02-28", "traces", 3)], "data survives a repeated migrate");
    assert!(matches!(store.backend(), "sqlite" | "clickhouse"), "backend {}", store.backend());
}

pub async fn ping_answers(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    store.ping().await.expect("ping");
}

pub async fn usage_is_summed_per_utc_day_and_kind(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    let events = vec![
        // Day boundaries: first and last millisecond of each UTC day.
        event("p1", "traces", 1, FEB_28),
        event("p1", "traces", 2, FEB_28 + MS_PER_DAY - 1),
        event("p1", "test_runs", 5, FEB_28 + 12 * HOUR),
        event("p1", "traces", 10, FEB_28 + MS_PER_DAY),
        event("p1", "traces", 20, FEB_28 + MS_PER_DAY + 5 * HOUR),
        event("p1", "llm_tokens", 1_000_000, FEB_28 + MS_PER_DAY + 6 * HOUR),
        event("p1", "test_runs", 7, FEB_28 + 2 * MS_PER_DAY + 23 * HOUR),
        event("p1", "traces", 0, FEB_28 + 2 * MS_PER_DAY),
        event("p1", "traces", 4, FEB_28 + 4 * MS_PER_DAY + HOUR),
    ];
    store.record_usage(&events).await.expect("record");
    let rows = store.usage_by_day(&crate::pid("p1"), FEB_28, FEB_28 + 5 * MS_PER_DAY).await.expect("query");
    assert_eq!(
        rows,
        vec![
            daily("2024-02-28", "test_runs", 5),
            daily("2024-02-28", "traces", 3),
            daily("2024-02-29", "llm_tokens", 1_000_000),
            daily("2024-02-29", "traces", 30),
            daily("2024-03-01", "test_runs", 7),
            daily("2024-03-01", "traces", 0),
            daily("2024-03-03", "traces", 4),
        ],
        "summed per UTC day and kind, ordered by day then kind"
    );
    assert_eq!(rows, expected(&events, "p1", FEB_28, FEB_28 + 5 * MS_PER_DAY));
}

pub async fn batches_add_up(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    store.record_usage(&[]).await.expect("an empty batch is fine");
    for i in 0..5 {
        store.record_usage(&[event("p1", "traces", 2, FEB_28 + i * HOUR), event("p1", "imports", 1, FEB_28 + i)]).await.expect("record");
    }
    let rows = store.usage_by_day(&crate::pid("p1"), FEB_28, FEB_28 + MS_PER_DAY).await.expect("query");
    assert_eq!(rows, vec![daily("2024-02-28", "imports", 5), daily("2024-02-28", "traces", 10)]);
}

pub async fn projects_are_isolated(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    // Lookalike ids (a prefix of another, quotes) must not match each other.
    let tricky = "p1' OR '1'='1";
    let events = vec![
        event("p1", "traces", 1, FEB_28 + HOUR),
        event("p10", "traces", 10, FEB_28 + HOUR),
        event("P1", "traces", 100, FEB_28 + HOUR),
        event(tricky, "traces", 1000, FEB_28 + HOUR),
        event("p2", "traces", 7, FEB_28 + MS_PER_DAY),
    ];
    store.record_usage(&events).await.expect("record");
    let (from, to) = (FEB_28, FEB_28 + 2 * MS_PER_DAY);
    for project in ["p1", "p10", "P1", tricky, "p2"] {
        let rows = store.usage_by_day(&crate::pid(project), from, to).await.expect("query");
        assert_eq!(rows, expected(&events, project, from, to), "project {project:?}");
        assert_eq!(rows.len(), 1, "project {project:?}");
    }
    assert_eq!(store.usage_by_day(&crate::pid("p3"), from, to).await.expect("query"), vec![], "a project without usage");
    assert_eq!(store.usage_by_day(&crate::pid(""), from, to).await.expect("query"), vec![], "an empty project id");
}

pub async fn time_bounds_are_half_open(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    let from = FEB_28 + 6 * HOUR;
    let to = FEB_28 + MS_PER_DAY + 6 * HOUR;
    store
        .record_usage(&[
            event("p1", "traces", 1, from - 1),
            event("p1", "traces", 10, from),
            event("p1", "traces", 100, to - 1),
            event("p1", "traces", 1000, to),
        ])
        .await
        .expect("record");
    let rows = store.usage_by_day(&crate::pid("p1"), from, to).await.expect("query");
    assert_eq!(rows, vec![daily("2024-02-28", "traces", 10), daily("2024-02-29", "traces", 100)], "from included, to excluded");
    let one_ms = store.usage_by_day(&crate::pid("p1"), to - 1, to).await.expect("query");
    assert_eq!(one_ms, vec![daily("2024-02-29", "traces", 100)]);
}

pub async fn empty_ranges_give_no_rows(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    assert_eq!(store.usage_by_day(&crate::pid("p1"), FEB_28, FEB_28 + MS_PER_DAY).await.expect("query on an empty table"), vec![]);
    store.record_usage(&[event("p1", "traces", 1, FEB_28 + HOUR)]).await.expect("record");
    assert_eq!(store.usage_by_day(&crate::pid("p1"), FEB_28 + HOUR, FEB_28 + HOUR).await.expect("from == to"), vec![]);
    assert_eq!(store.usage_by_day(&crate::pid("p1"), FEB_28 + MS_PER_DAY, FEB_28).await.expect("from > to"), vec![]);
    assert_eq!(store.usage_by_day(&crate::pid("p1"), FEB_28 + 2 * HOUR, FEB_28 + MS_PER_DAY).await.expect("after the event"), vec![]);
}

pub async fn large_batch_is_recorded_whole(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    let kinds = ["traces", "test_runs", "llm_tokens"];
    // 10,000 events over ten days, 86.4 s apart.
    let events: Vec<UsageEvent> =
        (0..10_000u64).map(|i| event("big", kinds[(i % 3) as usize], i % 7 + 1, FEB_28 + (i as i64) * 86_400)).collect();
    store.record_usage(&events).await.expect("record 10k events");
    let (from, to) = (FEB_28, FEB_28 + 10 * MS_PER_DAY);
    let rows = store.usage_by_day(&crate::pid("big"), from, to).await.expect("query");
    assert_eq!(rows, expected(&events, "big", from, to));
    assert_eq!(rows.len(), 30, "ten days, three kinds");
    let total: u64 = rows.iter().map(|r| r.quantity).sum();
    assert_eq!(total, events.iter().map(|e| e.quantity).sum::<u64>());
}

pub async fn invalid_events_reject_the_whole_batch(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    let batch = [event("p1", "traces", 1, FEB_28), event("p1", "traces", 1, -1)];
    assert!(matches!(store.record_usage(&batch).await, Err(StoreError::Invalid(_))), "a time before 1970");
    let batch = [event("p1", "traces", 1, FEB_28), event("p1", "traces", u64::MAX, FEB_28)];
    assert!(matches!(store.record_usage(&batch).await, Err(StoreError::Invalid(_))), "a quantity above i64::MAX");
    assert_eq!(
        store.usage_by_day(&crate::pid("p1"), 0, FEB_28 + MS_PER_DAY).await.expect("query"),
        vec![],
        "nothing of a rejected batch is kept"
    );
}
