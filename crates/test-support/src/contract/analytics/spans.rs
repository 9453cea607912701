//! Span cases of the analytics contract. Results are compared whole with the reference model in
//! [`super::model`], over spans from [`crate::fixtures`].

use super::model;
use crate::fixtures::{bulk_traces, genai_trace, llm, span, span_id, trace_id, wide_trace, DAY_NS, FEB_28_NS, HOUR_NS, MS_NS, SECOND_NS};
use domain::traces::{
    MetricsGroup, MetricsQuery, SpanKind, SpanRow, StatusCode, TraceCursor, TraceFilter, TraceOrder, TraceQuery, MAX_STORED_VALUE,
};
use services::{ports::AnalyticsStore, StoreError};
use std::{collections::HashSet, sync::Arc, time::Instant};

/// Makes a valid span invalid.
type Spoil = fn(&mut SpanRow);

async fn migrated(store: &Arc<dyn AnalyticsStore>) {
    store.migrate().await.expect("migrate");
}

fn range(from_ns: u64, to_ns: u64) -> TraceFilter {
    TraceFilter { from_ns, to_ns, ..TraceFilter::default() }
}

fn all_time() -> TraceFilter {
    range(0, MAX_STORED_VALUE)
}

fn query(filter: TraceFilter, order: TraceOrder, limit: u32) -> TraceQuery {
    TraceQuery { filter, order, after: None, limit }
}

fn ids(traces: &[domain::traces::TraceSummary]) -> Vec<String> {
    traces.iter().map(|t| t.trace_id.clone()).collect()
}

/// One span with every field set (non-ASCII text, extreme numbers) and one with every optional
/// field empty.
fn full_spans() -> Vec<SpanRow> {
    let t = trace_id(42);
    let mut rich = span(&t, &span_id(42, 1), Some(&span_id(42, 0)), "chat gpt-4o «résumé» 東京", FEB_28_NS + 5, 7);
    rich.status_code = StatusCode::Error;
    rich.status_message = "rate limited: 429 ‹retry›".into();
    rich.service_name = "svc-ñ".into();
    rich.resource_attributes = r#"{"service.name":"svc-ñ","host.arch":"arm64"}"#.into();
    rich.scope_name = "scope".into();
    rich.scope_version = "1.2.3".into();
    rich.environment = Some("staging".into());
    rich.session_id = Some("sess-١٢٣".into());
    rich.user_id = Some("user-'quoted'\"".into());
    rich.tags = vec!["b".into(), "a".into(), "標籤".into()];
    let mut rich = llm(rich, "gpt-4o", MAX_STORED_VALUE, 0, "مرحبا بالعالم\n\t\"x\"", "[{\"role\":\"assistant\"}]");
    rich.kind = SpanKind::Consumer;
    rich.operation = Some("chat".into());
    rich.provider = Some("openai".into());
    rich.total_tokens = Some(MAX_STORED_VALUE);
    rich.cost_micros = Some(MAX_STORED_VALUE - 1);
    rich.input_oversize = true;
    rich.output_oversize = true;
    rich.attributes = r#"{"gen_ai.request.temperature":0.2,"custom":[1,2]}"#.into();
    rich.events = r#"[{"name":"exception","time_unix_nano":3,"attributes":{}}]"#.into();
    rich.links = r#"[{"trace_id":"00","span_id":"01","attributes":{}}]"#.into();
    rich.truncated = true;
    rich.input_blob = Some("spans/p1/in-1".into());
    rich.output_blob = Some("spans/p1/out-1".into());
    let mut bare = span(&t, &span_id(42, 0), None, "", FEB_28_NS, 0);
    bare.kind = SpanKind::Unspecified;
    bare.start_time_unix_nano = FEB_28_NS;
    vec![rich, bare]
}

pub async fn spans_roundtrip_every_field(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    let spans = full_spans();
    store.insert_spans(&crate::pid("p1"), &spans).await.expect("insert");
    let got = store.trace_spans(&crate::pid("p1"), &trace_id(42)).await.expect("trace spans");
    // Ordered by start time: the bare root first.
    assert_eq!(got, vec![spans[1].clone(), spans[0].clone()]);
    assert_eq!(store.trace_spans(&crate::pid("p1"), &trace_id(43)).await.expect("unknown trace"), vec![]);
    store.insert_spans(&crate::pid("p1"), &[]).await.expect("an empty batch is fine");
}

pub async fn span_reinsert_is_idempotent(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    let spans = bulk_traces(0, 3, FEB_28_NS, SECOND_NS);
    store.insert_spans(&crate::pid("p1"), &spans).await.expect("insert");
    // An SDK retry of the whole batch, then of a part mixed with new spans.
    store.insert_spans(&crate::pid("p1"), &spans).await.expect("retry");
    let mut mixed = spans[2..7].to_vec();
    mixed.extend(genai_trace(3, FEB_28_NS + 3 * SECOND_NS));
    store.insert_spans(&crate::pid("p1"), &mixed).await.expect("partial retry");
    let mut all = spans.clone();
    all.extend(genai_trace(3, FEB_28_NS + 3 * SECOND_NS));

    assert_eq!(store.trace_spans(&crate::pid("p1"), &trace_id(1)).await.expect("trace spans").len(), 5);
    let q = query(all_time(), TraceOrder::Newest, 50);
    let page = store.list_traces(&crate::pid("p1"), &q).await.expect("list");
    assert_eq!(page.traces, model::list(&all, &q));
    assert!(page.traces.iter().all(|t| t.span_count == 5));
    let mq = MetricsQuery { filter: all_time(), bucket_ns: DAY_NS, group_by: None, llm_only: false };
    let metrics = store.span_metrics(&crate::pid("p1"), &mq).await.expect("metrics");
    assert_eq!(metrics, model::metrics(&all, &mq));
    assert_eq!(metrics[0].spans, 20);
    let sessions = store.list_sessions(&crate::pid("p1"), 0, MAX_STORED_VALUE, 50).await.expect("sessions");
    assert_eq!(sessions, model::sessions(&all, 0, MAX_STORED_VALUE));
    assert_eq!(store.delete_trace(&crate::pid("p1"), &trace_id(0)).await.expect("delete").spans, 5, "one copy per span");
}

pub async fn span_batch_is_atomic(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    let bad_ids: [(&str, Spoil); 5] = [
        ("short trace id", |s: &mut SpanRow| s.trace_id = "abc".into()),
        ("uppercase span id", |s: &mut SpanRow| s.span_id = s.span_id.to_uppercase().replace(|c: char| c.is_ascii_digit(), "A")),
        ("bad parent", |s: &mut SpanRow| s.parent_span_id = Some("not-hex-not-hex!".into())),
        ("start time after 2106", |s: &mut SpanRow| s.start_time_unix_nano = domain::traces::MAX_TIME_NS),
        ("cost above i64", |s: &mut SpanRow| s.cost_micros = Some(u64::MAX)),
    ];
    for (what, spoil) in bad_ids {
        let mut batch = bulk_traces(0, 100, FEB_28_NS, SECOND_NS);
        spoil(&mut batch[499]);
        let result = store.insert_spans(&crate::pid("p1"), &batch).await;
        assert!(matches!(result, Err(StoreError::Invalid(_))), "{what}: {result:?}");
    }
    let page = store.list_traces(&crate::pid("p1"), &query(all_time(), TraceOrder::Newest, 10)).await.expect("list");
    assert_eq!(page.traces, vec![], "nothing of a rejected batch is kept");
    assert_eq!(store.trace_spans(&crate::pid("p1"), &trace_id(0)).await.expect("spans"), vec![]);
}

pub async fn spans_projects_are_isolated(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    let tricky = "p1' OR '1'='1";
    let mine = bulk_traces(0, 4, FEB_28_NS, SECOND_NS);
    // The same trace ids (and one more) in lookalike projects.
    let theirs = bulk_traces(0, 5, FEB_28_NS + HOUR_NS, SECOND_NS);
    store.insert_spans(&crate::pid("p1"), &mine).await.expect("insert p1");
    for other in ["p10", "P1", tricky] {
        store.insert_spans(&crate::pid(other), &theirs).await.expect("insert other");
    }
    let q = query(all_time(), TraceOrder::Newest, 50);
    assert_eq!(store.list_traces(&crate::pid("p1"), &q).await.expect("list").traces, model::list(&mine, &q));
    assert_eq!(store.list_traces(&crate::pid("p10"), &q).await.expect("list").traces, model::list(&theirs, &q));
    assert_eq!(store.list_traces(&crate::pid("p2"), &q).await.expect("list").traces, vec![]);
    assert_eq!(store.trace_spans(&crate::pid("p1"), &trace_id(0)).await.expect("spans").len(), 5);
    assert_eq!(store.trace_spans(&crate::pid("p1"), &trace_id(4)).await.expect("spans"), vec![], "trace of another project");
    let sessions = store.list_sessions(&crate::pid("p1"), 0, MAX_STORED_VALUE, 50).await.expect("sessions");
    assert_eq!(sessions, model::sessions(&mine, 0, MAX_STORED_VALUE));
    let mq = MetricsQuery { filter: all_time(), bucket_ns: HOUR_NS, group_by: Some(MetricsGroup::Model), llm_only: true };
    assert_eq!(store.span_metrics(&crate::pid("p1"), &mq).await.expect("metrics"), model::metrics(&mine, &mq));
    // Deleting and expiring in other projects leaves p1 whole.
    assert_eq!(store.delete_trace(&crate::pid("p10"), &trace_id(0)).await.expect("delete").spans, 5);
    assert_eq!(store.delete_trace(&crate::pid("p2"), &trace_id(0)).await.expect("delete").spans, 0);
    assert_eq!(store.expire_spans(&crate::pid(tricky), MAX_STORED_VALUE).await.expect("expire").spans, 25);
    assert_eq!(store.list_traces(&crate::pid("p1"), &q).await.expect("list").traces, model::list(&mine, &q));
    assert_eq!(store.list_traces(&crate::pid("P1"), &q).await.expect("list").traces.len(), 5);
    assert_eq!(store.list_traces(&crate::pid(tricky), &q).await.expect("list").traces, vec![]);
}

/// 40 GenAI traces a minute apart, plus a trace whose root has not arrived (never listed) and a
/// trace with two roots (listed once, by its earliest).
fn filter_fixture() -> Vec<SpanRow> {
    let mut spans = bulk_traces(0, 40, FEB_28_NS, 60 * SECOND_NS);
    let orphan = trace_id(900);
    spans.push(span(&orphan, &span_id(900, 1), Some(&span_id(900, 0)), "child only", FEB_28_NS + 30 * SECOND_NS, MS_NS));
    let twin = trace_id(901);
    spans.push(span(&twin, &span_id(901, 2), None, "late root", FEB_28_NS + 90 * SECOND_NS, MS_NS));
    spans.push(span(&twin, &span_id(901, 1), None, "early root", FEB_28_NS + 80 * SECOND_NS, 20 * SECOND_NS));
    spans
}

pub async fn trace_filters_each_narrow(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    let spans = filter_fixture();
    store.insert_spans(&crate::pid("p1"), &spans).await.expect("insert");
    let base = range(FEB_28_NS + 60 * SECOND_NS, FEB_28_NS + 35 * 60 * SECOND_NS);
    let cases: Vec<(&str, TraceFilter)> = vec![
        ("time range only", base.clone()),
        ("name of a child span", TraceFilter { name: Some("tool.get_weather".into()), ..base.clone() }),
        ("name of the twin's root", TraceFilter { name: Some("early root".into()), ..base.clone() }),
        ("model", TraceFilter { model: Some("claude-3-5-sonnet".into()), ..base.clone() }),
        ("unknown model", TraceFilter { model: Some("gpt-5".into()), ..base.clone() }),
        ("errors", TraceFilter { has_error: Some(true), ..base.clone() }),
        ("no errors", TraceFilter { has_error: Some(false), ..base.clone() }),
        ("user", TraceFilter { user_id: Some("user-3".into()), ..base.clone() }),
        ("session", TraceFilter { session_id: Some("session-5".into()), ..base.clone() }),
        ("tag", TraceFilter { tag: Some("v2".into()), ..base.clone() }),
        ("environment", TraceFilter { environment: Some("staging".into()), ..base.clone() }),
        ("min duration", TraceFilter { min_duration_ns: Some(1_200 * MS_NS), ..base.clone() }),
        ("min duration above all", TraceFilter { min_duration_ns: Some(1_200 * MS_NS + 1), ..base.clone() }),
        ("min cost", TraceFilter { min_cost_micros: Some(800), ..base.clone() }),
        ("search, other case", TraceFilter { search: Some("WEATHER IN".into()), ..base.clone() }),
        ("empty search", TraceFilter { search: Some(String::new()), ..base.clone() }),
        (
            "filters combine (each may match a different span)",
            TraceFilter {
                user_id: Some("user-1".into()),
                model: Some("gpt-4o-mini".into()),
                has_error: Some(false),
                environment: Some("staging".into()),
                ..base.clone()
            },
        ),
    ];
    for (what, filter) in cases {
        let q = query(filter, TraceOrder::Newest, 500);
        let want = model::list(&spans, &q);
        let page = store.list_traces(&crate::pid("p1"), &q).await.unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(page.traces, want, "{what}");
        assert_eq!(page.next, None, "{what}: a single page");
    }
    // Sanity of the fixture: the filters do narrow.
    let q = |f| query(f, TraceOrder::Newest, 500);
    assert_eq!(model::list(&spans, &q(base.clone())).len(), 35);
    assert_eq!(model::list(&spans, &q(TraceFilter { has_error: Some(true), ..base.clone() })).len(), 7);
    assert_eq!(model::list(&spans, &q(TraceFilter { user_id: Some("user-3".into()), ..base.clone() })).len(), 5);
    assert!(model::list(&spans, &q(all_time())).iter().any(|t| t.name == "early root"));
}

pub async fn trace_orders(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    let mut spans = filter_fixture();
    // Ties on duration and cost, ordered by start then trace id.
    spans.extend(genai_trace(40, FEB_28_NS + 10 * SECOND_NS));
    store.insert_spans(&crate::pid("p1"), &spans).await.expect("insert");
    for order in [TraceOrder::Newest, TraceOrder::Slowest, TraceOrder::Costliest] {
        let q = query(all_time(), order, 7);
        let page = store.list_traces(&crate::pid("p1"), &q).await.expect("list");
        let want: Vec<_> = model::list(&spans, &q).into_iter().take(7).collect();
        assert_eq!(page.traces, want, "{order:?}");
        assert_eq!(page.next.is_some(), order == TraceOrder::Newest, "{order:?}: only newest-first pages on");
    }
    let mut q = query(all_time(), TraceOrder::Slowest, 7);
    q.after = Some(TraceCursor { start_ns: FEB_28_NS, trace_id: trace_id(1) });
    assert!(matches!(store.list_traces(&crate::pid("p1"), &q).await, Err(StoreError::Invalid(_))), "cursor with another order");
}

pub async fn trace_pages_have_no_gaps_or_duplicates(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    // 57 traces, three starting at each instant (ties broken by trace id descending).
    let spans: Vec<SpanRow> = (0..57).flat_map(|n| genai_trace(n, FEB_28_NS + (n / 3) * SECOND_NS)).collect();
    store.insert_spans(&crate::pid("p1"), &spans).await.expect("insert");
    let mut q = query(range(FEB_28_NS, FEB_28_NS + DAY_NS), TraceOrder::Newest, 10);
    let want = model::list(&spans, &q);
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = store.list_traces(&crate::pid("p1"), &q).await.expect("page");
        pages += 1;
        assert!(page.traces.len() <= 10);
        seen.extend(page.traces);
        match page.next {
            Some(cursor) => {
                assert_eq!(Some(&cursor.trace_id), seen.last().map(|t| &t.trace_id), "the cursor is the page's last trace");
                q.after = Some(cursor);
            }
            None => break,
        }
        assert!(pages < 20, "pagination does not end");
    }
    assert_eq!(pages, 6);
    assert_eq!(seen, want, "every trace once, in order");
    assert_eq!(seen.iter().map(|t| &t.trace_id).collect::<HashSet<_>>().len(), 57);
    // Limits are clamped to 1..=500.
    q.after = None;
    q.limit = 0;
    assert_eq!(store.list_traces(&crate::pid("p1"), &q).await.expect("limit 0").traces.len(), 1);
    q.limit = 10_000;
    assert_eq!(store.list_traces(&crate::pid("p1"), &q).await.expect("limit 10k").traces.len(), 57);
}

pub async fn trace_summary_totals(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    let mut spans = genai_trace(4, FEB_28_NS);
    // A long root input: the summary keeps a preview of PREVIEW_CHARS characters (not bytes).
    spans[0].input = Some("東".repeat(domain::traces::PREVIEW_CHARS + 10));
    spans[2].tags = vec!["tool".into(), "agent".into()];
    store.insert_spans(&crate::pid("p1"), &spans).await.expect("insert");
    let page = store.list_traces(&crate::pid("p1"), &query(all_time(), TraceOrder::Newest, 10)).await.expect("list");
    let t = &page.traces[0];
    assert_eq!(t.name, "agent.run");
    assert_eq!((t.start_ns, t.duration_ns, t.span_count, t.error_count), (FEB_28_NS, 1_200 * MS_NS, 5, 1));
    assert_eq!((t.input_tokens, t.output_tokens), (104 + 304, 24 + 64));
    assert_eq!(t.cost_micros, 104 + 3 * 24 + 304 + 3 * 64);
    assert_eq!(t.models, vec!["claude-3-5-sonnet".to_string(), "gpt-4o-mini".to_string()]);
    assert_eq!(t.tags, vec!["agent".to_string(), "tool".to_string(), "v1".to_string()]);
    assert_eq!(
        (t.user_id.as_deref(), t.session_id.as_deref(), t.environment.as_deref()),
        (Some("user-4"), Some("session-4"), Some("production"))
    );
    assert_eq!(t.input.as_ref().map(|i| i.chars().count()), Some(domain::traces::PREVIEW_CHARS));
    assert_eq!(t.output.as_deref(), Some("Answer 4: it will be sunny, 21 °C."));
    assert_eq!(page.traces, model::list(&spans, &query(all_time(), TraceOrder::Newest, 10)));
}

pub async fn sessions_are_summarized(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    let spans = bulk_traces(0, 30, FEB_28_NS, 10 * 60 * SECOND_NS);
    store.insert_spans(&crate::pid("p1"), &spans).await.expect("insert");
    let (from, to) = (FEB_28_NS + HOUR_NS, FEB_28_NS + 4 * HOUR_NS);
    let got = store.list_sessions(&crate::pid("p1"), from, to, 100).await.expect("sessions");
    let want = model::sessions(&spans, from, to);
    assert_eq!(got, want);
    assert_eq!(got.len(), 13, "18 traces over 13 sessions");
    assert_eq!(got.iter().map(|s| s.trace_count).sum::<u64>(), 18);
    assert_eq!(store.list_sessions(&crate::pid("p1"), from, to, 5).await.expect("limited"), want[..5].to_vec());
    assert_eq!(store.list_sessions(&crate::pid("p1"), to, from, 5).await.expect("empty range"), vec![]);
}

pub async fn metrics_buckets_groups_percentiles(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    let mut spans = bulk_traces(0, 48, FEB_28_NS, 15 * 60 * SECOND_NS);
    // 100 LLM spans of 1..=100 ms in one hour: p50/p95/p99 are 50/95/99 ms.
    for i in 0..100u64 {
        let s = span(&trace_id(500), &span_id(500, i + 1), Some(&span_id(500, 0)), "bench", FEB_28_NS + 30 * HOUR_NS + i, (i + 1) * MS_NS);
        spans.push(llm(s, "bench-model", 1, 1, "q", "a"));
    }
    store.insert_spans(&crate::pid("p1"), &spans).await.expect("insert");
    let day = range(FEB_28_NS, FEB_28_NS + 2 * DAY_NS);
    let cases = [
        ("hourly", MetricsQuery { filter: day.clone(), bucket_ns: HOUR_NS, group_by: None, llm_only: false }),
        ("by model", MetricsQuery { filter: day.clone(), bucket_ns: 6 * HOUR_NS, group_by: Some(MetricsGroup::Model), llm_only: false }),
        ("by name", MetricsQuery { filter: day.clone(), bucket_ns: DAY_NS, group_by: Some(MetricsGroup::Name), llm_only: false }),
        ("by user, LLM only", MetricsQuery { filter: day.clone(), bucket_ns: DAY_NS, group_by: Some(MetricsGroup::User), llm_only: true }),
        (
            "filtered",
            MetricsQuery {
                filter: TraceFilter { environment: Some("production".into()), min_duration_ns: Some(300 * MS_NS), ..day.clone() },
                bucket_ns: 4 * HOUR_NS,
                group_by: Some(MetricsGroup::Name),
                llm_only: false,
            },
        ),
        (
            "errors, odd bucket",
            MetricsQuery {
                filter: TraceFilter { has_error: Some(true), ..day.clone() },
                bucket_ns: 7 * 60 * SECOND_NS + 3,
                group_by: None,
                llm_only: false,
            },
        ),
    ];
    for (what, q) in cases {
        let got = store.span_metrics(&crate::pid("p1"), &q).await.unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(got, model::metrics(&spans, &q), "{what}");
        assert!(!got.is_empty(), "{what}");
    }
    let q = MetricsQuery {
        filter: TraceFilter { model: Some("bench-model".into()), ..day.clone() },
        bucket_ns: HOUR_NS,
        group_by: None,
        llm_only: true,
    };
    let got = store.span_metrics(&crate::pid("p1"), &q).await.expect("bench");
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].spans, got[0].p50_ns, got[0].p95_ns, got[0].p99_ns), (100, 50 * MS_NS, 95 * MS_NS, 99 * MS_NS));
    let bad = MetricsQuery { filter: day.clone(), bucket_ns: 0, group_by: None, llm_only: false };
    assert!(matches!(store.span_metrics(&crate::pid("p1"), &bad).await, Err(StoreError::Invalid(_))), "zero-width buckets");
}

/// Blob keys for spans of trace `n`: inputs of every span, and one output.
fn with_blobs(mut spans: Vec<SpanRow>, n: u64) -> Vec<SpanRow> {
    for (i, s) in spans.iter_mut().enumerate() {
        s.input_blob = Some(format!("spans/{n}/{i}.in"));
    }
    spans[1].output_blob = Some(format!("spans/{n}/1.out"));
    spans
}

pub async fn delete_trace_removes_only_that_trace(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    let spans: Vec<SpanRow> = (0..4).flat_map(|n| with_blobs(genai_trace(n, FEB_28_NS + n * SECOND_NS), n)).collect();
    store.insert_spans(&crate::pid("p1"), &spans).await.expect("insert");
    store.insert_spans(&crate::pid("p2"), &spans).await.expect("insert p2");
    let removed = store.delete_trace(&crate::pid("p1"), &trace_id(2)).await.expect("delete");
    assert_eq!(removed.spans, 5);
    let mut keys: Vec<String> = (0..5).map(|i| format!("spans/2/{i}.in")).collect();
    keys.push("spans/2/1.out".into());
    keys.sort();
    assert_eq!(removed.blob_keys, keys);
    assert_eq!(store.trace_spans(&crate::pid("p1"), &trace_id(2)).await.expect("spans"), vec![]);
    let rest: Vec<SpanRow> = spans.iter().filter(|s| s.trace_id != trace_id(2)).cloned().collect();
    let q = query(all_time(), TraceOrder::Newest, 50);
    assert_eq!(store.list_traces(&crate::pid("p1"), &q).await.expect("list").traces, model::list(&rest, &q));
    assert_eq!(store.list_traces(&crate::pid("p2"), &q).await.expect("list p2").traces, model::list(&spans, &q), "other project untouched");
    let again = store.delete_trace(&crate::pid("p1"), &trace_id(2)).await.expect("delete again");
    assert_eq!((again.spans, again.blob_keys.len()), (0, 0));
}

pub async fn expire_spans_boundary_and_blobs(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    // Cut at 2024-03-01T00:00:00Z + 1 ns: January and February go whole, March 1st partly.
    let cut = FEB_28_NS + 2 * DAY_NS + 1;
    let starts = [FEB_28_NS - 40 * DAY_NS, FEB_28_NS, cut - 2, cut - 1, cut, cut + 1, cut + 40 * DAY_NS];
    let mut spans = Vec::new();
    for (n, start) in starts.iter().enumerate() {
        let n = n as u64;
        let mut s = span(&trace_id(n), &span_id(n, 0), None, &format!("t{n}"), *start, MS_NS);
        s.input_blob = Some(format!("blob-{n}"));
        spans.push(s);
    }
    store.insert_spans(&crate::pid("p1"), &spans).await.expect("insert");
    store.insert_spans(&crate::pid("p2"), &spans).await.expect("insert p2");
    let removed = store.expire_spans(&crate::pid("p1"), cut).await.expect("expire");
    assert_eq!(removed.spans, 4, "start < cut");
    assert_eq!(removed.blob_keys, vec!["blob-0", "blob-1", "blob-2", "blob-3"]);
    let q = query(all_time(), TraceOrder::Newest, 50);
    let left: Vec<String> = store.list_traces(&crate::pid("p1"), &q).await.expect("list").traces.into_iter().map(|t| t.name).collect();
    assert_eq!(left, vec!["t6", "t5", "t4"]);
    assert_eq!(store.list_traces(&crate::pid("p2"), &q).await.expect("p2").traces.len(), 7, "other project untouched");
    let again = store.expire_spans(&crate::pid("p1"), cut).await.expect("expire again");
    assert_eq!((again.spans, again.blob_keys.len()), (0, 0));
    assert_eq!(store.expire_spans(&crate::pid("p1"), 0).await.expect("expire nothing").spans, 0);
}

pub async fn search_finds_cjk_and_arabic(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    let spans = bulk_traces(0, 12, FEB_28_NS, SECOND_NS);
    store.insert_spans(&crate::pid("p1"), &spans).await.expect("insert");
    for (text, every_fourth) in
        [("東京", 1), ("天気は", 1), ("القاهرة", 2), ("الطقس في", 2), ("QUARTERLY Revenue", 3), ("weather IN paris", 0)]
    {
        let q = query(TraceFilter { search: Some(text.into()), ..all_time() }, TraceOrder::Newest, 50);
        let got = store.list_traces(&crate::pid("p1"), &q).await.expect("search");
        assert_eq!(got.traces, model::list(&spans, &q), "{text}");
        let want: Vec<String> = (0..12).rev().filter(|n| n % 4 == every_fourth).map(trace_id).collect();
        assert_eq!(ids(&got.traces), want, "{text}");
    }
    // Search syntax of the backends is plain text here: quotes, operators and wildcards.
    for text in ["\"Tokyo\" weather", "NEAR(a b) OR x*", "input:^we", "'; DROP TABLE spans; --"] {
        let q = query(TraceFilter { search: Some(text.into()), ..all_time() }, TraceOrder::Newest, 50);
        assert_eq!(store.list_traces(&crate::pid("p1"), &q).await.expect("syntax as text").traces, model::list(&spans, &q), "{text}");
    }
    // In outputs too, and nothing for absent text.
    let q = query(TraceFilter { search: Some("SUNNY, 21 °C".into()), ..all_time() }, TraceOrder::Newest, 50);
    assert_eq!(store.list_traces(&crate::pid("p1"), &q).await.expect("output").traces.len(), 12);
    let q = query(TraceFilter { search: Some("大阪".into()), ..all_time() }, TraceOrder::Newest, 50);
    assert_eq!(store.list_traces(&crate::pid("p1"), &q).await.expect("absent").traces, vec![]);
    let mq = MetricsQuery {
        filter: TraceFilter { search: Some("القاهرة".into()), ..all_time() },
        bucket_ns: DAY_NS,
        group_by: None,
        llm_only: false,
    };
    assert_eq!(store.span_metrics(&crate::pid("p1"), &mq).await.expect("metrics search"), model::metrics(&spans, &mq));
}

pub async fn five_thousand_span_trace(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    let big = wide_trace(7_000, 5_000, FEB_28_NS);
    let mut spans = bulk_traces(0, 200, FEB_28_NS, SECOND_NS);
    spans.extend(big.iter().cloned());
    store.insert_spans(&crate::pid("p1"), &spans).await.expect("insert");
    let started = Instant::now();
    let got = store.trace_spans(&crate::pid("p1"), &trace_id(7_000)).await.expect("trace spans");
    let took = started.elapsed();
    assert_eq!(got, big, "all 5,000 spans in start order");
    eprintln!("{}: 5,000-span trace read in {took:?}", store.backend());
    let q = query(TraceFilter { min_duration_ns: Some(4 * SECOND_NS), ..all_time() }, TraceOrder::Newest, 10);
    let page = store.list_traces(&crate::pid("p1"), &q).await.expect("list");
    assert_eq!(page.traces, model::list(&spans, &q));
    assert_eq!((page.traces[0].span_count, page.traces[0].input_tokens), (5_000, 5_000));
}
