//! What the trace explorer reads and deletes, authorised per project: every function loads the
//! project by slug with the caller's role first, then asks the analytics store with that
//! project's id only. Also the pure pieces the pages need: filters parsed from URL parameters,
//! the span tree in display order, the bucket width of the charts.

use crate::{
    audit::{self, Change},
    authz::{self, ProjectAccess},
    clock::now_ms,
    context::RequestContext,
    ServiceError, ServiceResult, Stores,
};
use domain::{
    traces::{
        MetricsGroup, MetricsQuery, MetricsRow, RemovedSpans, SessionSummary, SpanRow, TraceCursor, TraceFilter, TraceOrder, TracePage,
        TraceQuery, TraceSummary,
    },
    BlobKey, ProjectRole,
};
use futures::StreamExt;
use serde_json::json;

const NS_PER_MS: u64 = 1_000_000;
const NS_PER_MIN: u64 = 60_000 * NS_PER_MS;
const NS_PER_HOUR: u64 = 60 * NS_PER_MIN;
const NS_PER_DAY: u64 = 24 * NS_PER_HOUR;
/// Longest custom range the explorer asks for (keeps every query time-bounded).
const MAX_RANGE_NS: u64 = 400 * NS_PER_DAY;
/// A full offloaded payload shown in the browser is cut here.
pub const MAX_PAYLOAD_BYTES: usize = 16 * 1024 * 1024;
/// Traces of one session shown as a conversation.
pub const MAX_SESSION_TRACES: usize = 500;

/// Time range presets, as written in the URL (`range=24h`).
pub const PRESETS: [(&str, &str, u64); 4] = [
    ("1h", "Last hour", NS_PER_HOUR),
    ("24h", "Last 24 hours", NS_PER_DAY),
    ("7d", "Last 7 days", 7 * NS_PER_DAY),
    ("30d", "Last 30 days", 30 * NS_PER_DAY),
];
pub const DEFAULT_PRESET: &str = "24h";

/// The explorer's URL parameters (shared with the pages, which keep them in the URL).
pub use domain::traces::FilterParams;

fn text(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// `YYYY-MM-DDTHH:MM[:SS]` (UTC) → Unix nanoseconds.
pub fn parse_datetime(s: &str) -> Option<u64> {
    let (day, clock) = s.trim().split_once(['T', ' ']).unwrap_or((s.trim(), "00:00"));
    let day_ms = domain::usage::day_start_ms(day)?;
    let mut parts = clock.split(':');
    let h: u64 = parts.next()?.parse().ok()?;
    let m: u64 = parts.next().unwrap_or("0").parse().ok()?;
    let sec: u64 = parts.next().unwrap_or("0").parse().ok()?;
    if h > 23 || m > 59 || sec > 59 || parts.next().is_some() {
        return None;
    }
    Some(u64::try_from(day_ms).ok()? * NS_PER_MS + h * NS_PER_HOUR + m * NS_PER_MIN + sec * 1_000 * NS_PER_MS)
}

/// Unix nanoseconds → `YYYY-MM-DDTHH:MM` (for `datetime-local` inputs).
pub fn datetime_input(ns: u64) -> String {
    let ms = (ns / NS_PER_MS) as i64;
    let secs = ms.div_euclid(1000).rem_euclid(86_400);
    format!("{}T{:02}:{:02}", domain::usage::utc_day(ms), secs / 3600, secs / 60 % 60)
}

/// Dollars as typed (`0.05`, `$1`) → micro-dollars, exactly (no floats for money).
pub fn parse_dollars(s: &str) -> Option<u64> {
    let s = s.trim().trim_start_matches('$');
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if (whole.is_empty() && frac.is_empty()) || frac.len() > 6 || !whole.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: u64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let frac: u64 = if frac.is_empty() { 0 } else { format!("{frac:0<6}").parse().ok()? };
    whole.checked_mul(1_000_000)?.checked_add(frac)
}

/// The URL parameters → a store filter, with the time range resolved against `now_ns`.
pub fn parse_filter(p: &FilterParams, now_ns: u64) -> ServiceResult<TraceFilter> {
    let invalid = |m: &str| ServiceError::Invalid(m.to_owned());
    let range = text(&p.range).unwrap_or_else(|| if text(&p.from).is_some() { "custom".into() } else { DEFAULT_PRESET.into() });
    let (from_ns, to_ns) = if range == "custom" {
        let from = match text(&p.from) {
            Some(s) => parse_datetime(&s).ok_or_else(|| invalid("“from” must be a date and time like 2025-01-31T09:30"))?,
            None => now_ns.saturating_sub(NS_PER_DAY),
        };
        let to = match text(&p.to) {
            Some(s) => parse_datetime(&s).ok_or_else(|| invalid("“to” must be a date and time like 2025-01-31T17:00"))?,
            None => now_ns,
        };
        if from >= to {
            return Err(invalid("“from” must be before “to”"));
        }
        if to - from > MAX_RANGE_NS {
            return Err(invalid("the time range can span at most 400 days"));
        }
        (from, to)
    } else {
        let (_, _, width) =
            PRESETS.iter().find(|(k, _, _)| *k == range).ok_or_else(|| invalid("the time range must be 1h, 24h, 7d, 30d or custom"))?;
        // Include spans that started in this very second.
        (now_ns.saturating_sub(*width), now_ns + 1_000 * NS_PER_MS)
    };
    let has_error = match text(&p.status).as_deref() {
        None | Some("any") => None,
        Some("error") => Some(true),
        Some("ok") => Some(false),
        Some(_) => return Err(invalid("the status must be error or ok")),
    };
    let min_duration_ns = match text(&p.min_latency_ms) {
        None => None,
        Some(s) => Some(
            s.parse::<u64>()
                .ok()
                .and_then(|ms| ms.checked_mul(NS_PER_MS))
                .ok_or_else(|| invalid("the minimum latency is a whole number of milliseconds"))?,
        ),
    };
    let min_cost_micros = match text(&p.min_cost) {
        None => None,
        Some(s) => Some(parse_dollars(&s).ok_or_else(|| invalid("the minimum cost is an amount in dollars, like 0.05"))?),
    };
    let search = text(&p.q);
    if search.as_ref().is_some_and(|s| s.chars().count() > 500) {
        return Err(invalid("the search text has at most 500 characters"));
    }
    Ok(TraceFilter {
        from_ns,
        to_ns,
        name: text(&p.name),
        model: text(&p.model),
        has_error,
        user_id: text(&p.user),
        session_id: text(&p.session),
        tag: text(&p.tag),
        environment: text(&p.env),
        min_duration_ns,
        min_cost_micros,
        search,
    })
}

/// A cursor as written in the URL: `<start_ns>-<trace_id>`.
pub fn cursor_param(c: &TraceCursor) -> String {
    format!("{}-{}", c.start_ns, c.trace_id)
}

pub fn parse_cursor(s: &str) -> ServiceResult<TraceCursor> {
    let bad = || ServiceError::Invalid("the page cursor is not valid; start again from the first page".into());
    let (start, id) = s.trim().split_once('-').ok_or_else(bad)?;
    let start_ns = start.parse().map_err(|_| bad())?;
    Ok(TraceCursor { start_ns, trace_id: trace_id(id).map_err(|_| bad())? })
}

/// A trace id from a URL: 32 hex characters, case-insensitive.
pub fn trace_id(s: &str) -> ServiceResult<String> {
    let s = s.trim().to_ascii_lowercase();
    if s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(s)
    } else {
        Err(ServiceError::NotFound("trace"))
    }
}

fn span_id(s: &str) -> ServiceResult<String> {
    let s = s.trim().to_ascii_lowercase();
    if s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(s)
    } else {
        Err(ServiceError::NotFound("span"))
    }
}

async fn read_access(stores: &Stores, ctx: &RequestContext, slug: &str) -> ServiceResult<ProjectAccess> {
    authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Analyst).await
}

/// One page of traces, newest first (or slowest / costliest, without pagination).
#[tracing::instrument(skip_all, fields(slug))]
pub async fn list(
    stores: &Stores,
    ctx: &RequestContext,
    slug: &str,
    filter: TraceFilter,
    order: TraceOrder,
    after: Option<TraceCursor>,
    limit: u32,
) -> ServiceResult<(ProjectAccess, TracePage)> {
    let access = read_access(stores, ctx, slug).await?;
    let after = if order == TraceOrder::Newest { after } else { None };
    let query = TraceQuery { filter, order, after, limit: limit.clamp(1, 500) };
    let page = stores.analytics.list_traces(&access.id, &query).await?;
    Ok((access, page))
}

/// Every span of one trace; `NotFound` for a trace this project does not have.
#[tracing::instrument(skip_all, fields(slug))]
pub async fn trace(stores: &Stores, ctx: &RequestContext, slug: &str, id: &str) -> ServiceResult<(ProjectAccess, Vec<SpanRow>)> {
    let access = read_access(stores, ctx, slug).await?;
    let id = trace_id(id)?;
    let spans = stores.analytics.trace_spans(&access.id, &id).await?;
    if spans.is_empty() {
        return Err(ServiceError::NotFound("trace"));
    }
    Ok((access, spans))
}

/// One span of a trace (for the lazily loaded detail panel), with the trace's start time.
pub async fn span(
    stores: &Stores,
    ctx: &RequestContext,
    slug: &str,
    trace: &str,
    span: &str,
) -> ServiceResult<(ProjectAccess, SpanRow, u64)> {
    let span = span_id(span)?;
    let (access, spans) = self::trace(stores, ctx, slug, trace).await?;
    let start = spans.iter().map(|s| s.start_time_unix_nano).min().unwrap_or(0);
    let row = spans.into_iter().find(|s| s.span_id == span).ok_or(ServiceError::NotFound("span"))?;
    Ok((access, row, start))
}

/// A span's place in the tree, in display order (depth-first, children by start time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeRow {
    /// Index into the spans as given.
    pub index: usize,
    pub depth: usize,
    pub children: usize,
}

/// Depth-first order of `spans` (sorted by start). Spans whose parent is missing are roots; a
/// cycle of parents (malformed data) cannot loop: every span appears exactly once. Iterative,
/// so a very deep trace cannot overflow the stack.
pub fn span_tree(spans: &[SpanRow]) -> Vec<TreeRow> {
    use std::collections::HashMap;
    let by_id: HashMap<&str, usize> = spans.iter().enumerate().map(|(i, s)| (s.span_id.as_str(), i)).collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); spans.len()];
    let mut roots = Vec::new();
    for (i, s) in spans.iter().enumerate() {
        match s.parent_span_id.as_deref().and_then(|p| by_id.get(p)) {
            Some(&p) if p != i => children[p].push(i),
            _ => roots.push(i),
        }
    }
    let order = |v: &mut Vec<usize>| v.sort_by_key(|&i| (spans[i].start_time_unix_nano, i));
    order(&mut roots);
    children.iter_mut().for_each(order);
    let mut seen = vec![false; spans.len()];
    let mut out = Vec::with_capacity(spans.len());
    let walk = |start: usize, out: &mut Vec<TreeRow>, seen: &mut Vec<bool>| {
        let mut stack = vec![(start, 0usize)];
        while let Some((i, depth)) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            out.push(TreeRow { index: i, depth, children: children[i].len() });
            stack.extend(children[i].iter().rev().map(|&c| (c, depth + 1)));
        }
    };
    for r in roots {
        walk(r, &mut out, &mut seen);
    }
    // Spans only reachable through a cycle: show them at the top level rather than lose them.
    for i in 0..spans.len() {
        if !seen[i] {
            walk(i, &mut out, &mut seen);
        }
    }
    out
}

/// Sessions with activity in the filter's time range.
pub async fn sessions(
    stores: &Stores,
    ctx: &RequestContext,
    slug: &str,
    filter: &TraceFilter,
) -> ServiceResult<(ProjectAccess, Vec<SessionSummary>)> {
    let access = read_access(stores, ctx, slug).await?;
    let list = stores.analytics.list_sessions(&access.id, filter.from_ns, filter.to_ns, 200).await?;
    Ok((access, list))
}

/// The traces of one session in time order (oldest first), as one conversation.
pub async fn session(
    stores: &Stores,
    ctx: &RequestContext,
    slug: &str,
    session_id: &str,
    mut filter: TraceFilter,
) -> ServiceResult<(ProjectAccess, Vec<TraceSummary>)> {
    let access = read_access(stores, ctx, slug).await?;
    let session_id = session_id.trim();
    if session_id.is_empty() || session_id.len() > 500 {
        return Err(ServiceError::NotFound("session"));
    }
    filter.session_id = Some(session_id.to_owned());
    let mut traces = Vec::new();
    let mut after = None;
    loop {
        let query = TraceQuery { filter: filter.clone(), order: TraceOrder::Newest, after, limit: 200 };
        let page = stores.analytics.list_traces(&access.id, &query).await?;
        traces.extend(page.traces);
        match page.next {
            Some(next) if traces.len() < MAX_SESSION_TRACES => after = Some(next),
            _ => break,
        }
    }
    if traces.is_empty() {
        return Err(ServiceError::NotFound("session"));
    }
    traces.truncate(MAX_SESSION_TRACES);
    traces.reverse();
    Ok((access, traces))
}

/// Chart bucket width for a range: the smallest "round" width giving at most 60 buckets.
pub fn bucket_ns(from_ns: u64, to_ns: u64) -> u64 {
    const WIDTHS: [u64; 10] = [
        NS_PER_MIN,
        5 * NS_PER_MIN,
        15 * NS_PER_MIN,
        30 * NS_PER_MIN,
        NS_PER_HOUR,
        3 * NS_PER_HOUR,
        6 * NS_PER_HOUR,
        12 * NS_PER_HOUR,
        NS_PER_DAY,
        7 * NS_PER_DAY,
    ];
    let span = to_ns.saturating_sub(from_ns);
    WIDTHS.into_iter().find(|w| span.div_ceil(*w) <= 60).unwrap_or(30 * NS_PER_DAY)
}

/// Everything the analytics dashboard shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Analytics {
    pub bucket_ns: u64,
    /// The whole range in one row (`None` when nothing matched).
    pub overall: Option<MetricsRow>,
    /// One row per bucket (no grouping), oldest first.
    pub over_time: Vec<MetricsRow>,
    /// Over the whole range, largest first by span count.
    pub by_model: Vec<MetricsRow>,
    pub by_name: Vec<MetricsRow>,
    pub by_user: Vec<MetricsRow>,
    pub slowest: Vec<TraceSummary>,
    pub costliest: Vec<TraceSummary>,
}

/// Volume, errors, latency, tokens and cost over time and by model, name and user; the slowest
/// and costliest traces. `llm_only`: count only spans with a model (LLM calls).
#[tracing::instrument(skip_all, fields(slug))]
pub async fn analytics(
    stores: &Stores,
    ctx: &RequestContext,
    slug: &str,
    filter: TraceFilter,
    llm_only: bool,
) -> ServiceResult<(ProjectAccess, Analytics)> {
    let access = read_access(stores, ctx, slug).await?;
    let project = &access.id;
    let a = stores.analytics.as_ref();
    let bucket = bucket_ns(filter.from_ns, filter.to_ns);
    let over_time = a.span_metrics(project, &MetricsQuery { filter: filter.clone(), bucket_ns: bucket, group_by: None, llm_only }).await?;
    // One bucket as wide as `to_ns` puts every span of the range in bucket 0.
    let whole = |group_by| MetricsQuery { filter: filter.clone(), bucket_ns: filter.to_ns.max(1), group_by, llm_only };
    let top = |mut rows: Vec<MetricsRow>| {
        rows.sort_by(|x, y| y.spans.cmp(&x.spans).then_with(|| x.group.cmp(&y.group)));
        rows.truncate(12);
        rows
    };
    let overall = a.span_metrics(project, &whole(None)).await?.into_iter().next();
    let by_model = top(a.span_metrics(project, &whole(Some(MetricsGroup::Model))).await?);
    let by_name = top(a.span_metrics(project, &whole(Some(MetricsGroup::Name))).await?);
    let by_user = top(a.span_metrics(project, &whole(Some(MetricsGroup::User))).await?);
    let ranked = |order| TraceQuery { filter: filter.clone(), order, after: None, limit: 10 };
    let slowest = a.list_traces(project, &ranked(TraceOrder::Slowest)).await?.traces;
    let costliest = a.list_traces(project, &ranked(TraceOrder::Costliest)).await?.traces;
    Ok((access, Analytics { bucket_ns: bucket, overall, over_time, by_model, by_name, by_user, slowest, costliest }))
}

/// Which payload of a span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Input,
    Output,
}

impl Part {
    pub fn parse(s: &str) -> ServiceResult<Part> {
        match s {
            "input" => Ok(Part::Input),
            "output" => Ok(Part::Output),
            _ => Err(ServiceError::Invalid("the part must be input or output".into())),
        }
    }
}

/// The whole input or output of a span whose payload was offloaded to the blob store. The blob
/// key comes from the span row of this project's trace, never from the caller.
pub async fn payload(stores: &Stores, ctx: &RequestContext, slug: &str, trace: &str, span: &str, part: Part) -> ServiceResult<String> {
    let (_, row, _) = self::span(stores, ctx, slug, trace, span).await?;
    let key = match part {
        Part::Input => row.input_blob,
        Part::Output => row.output_blob,
    };
    let Some(key) = key else {
        // Nothing offloaded: the row holds it all.
        return Ok(match part {
            Part::Input => row.input,
            Part::Output => row.output,
        }
        .unwrap_or_default());
    };
    let key = BlobKey::parse(&key).map_err(|_| ServiceError::Internal)?;
    let mut body = stores.blob.get(&key, None).await?;
    let mut bytes = Vec::new();
    while let Some(chunk) = body.stream.next().await {
        let chunk = chunk.map_err(|e| {
            tracing::error!(error = %e, "reading a payload blob");
            ServiceError::Unavailable
        })?;
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_PAYLOAD_BYTES {
            bytes.truncate(MAX_PAYLOAD_BYTES);
            break;
        }
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Remove one trace (project owners): its spans, then their offloaded payloads; audited.
#[tracing::instrument(skip_all, fields(slug))]
pub async fn delete(stores: &Stores, ctx: &RequestContext, slug: &str, id: &str) -> ServiceResult<RemovedSpans> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Owner).await?;
    let id = trace_id(id)?;
    let removed = stores.analytics.delete_trace(&access.id, &id).await?;
    if removed.spans == 0 {
        return Err(ServiceError::NotFound("trace"));
    }
    // The spans are gone; a blob that fails to delete is only an orphan, logged and left to retention.
    for key in &removed.blob_keys {
        match BlobKey::parse(key) {
            Ok(k) => {
                if let Err(e) = stores.blob.delete(&k).await {
                    tracing::warn!(error = %e, key, "could not delete a trace payload blob");
                }
            }
            Err(_) => tracing::warn!(key, "a span referenced an invalid blob key"),
        }
    }
    audit::record(
        stores.primary.as_ref(),
        ctx,
        Change {
            action: "trace.delete",
            entity_type: "trace",
            entity_id: &id,
            project_id: Some(&access.project.id),
            old: Some(json!({ "spans": removed.spans, "blobs": removed.blob_keys.len(), "at_ms": now_ms() })),
            new: None,
        },
    )
    .await?;
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_795_305_600_000 * NS_PER_MS; // 2026-11-22T00:00Z

    fn params(f: impl FnOnce(&mut FilterParams)) -> FilterParams {
        let mut p = FilterParams::default();
        f(&mut p);
        p
    }

    #[test]
    fn presets_and_custom_ranges() {
        let f = parse_filter(&FilterParams::default(), NOW).unwrap();
        assert_eq!(f.from_ns, NOW - NS_PER_DAY);
        assert!(f.to_ns > NOW);
        let f = parse_filter(&params(|p| p.range = Some("7d".into())), NOW).unwrap();
        assert_eq!(f.from_ns, NOW - 7 * NS_PER_DAY);
        let f = parse_filter(
            &params(|p| {
                p.from = Some("2026-11-01T09:30".into());
                p.to = Some("2026-11-02T00:00".into());
            }),
            NOW,
        )
        .unwrap();
        assert_eq!(datetime_input(f.from_ns), "2026-11-01T09:30");
        assert_eq!(datetime_input(f.to_ns), "2026-11-02T00:00");
        for bad in [
            params(|p| p.range = Some("2y".into())),
            params(|p| p.from = Some("yesterday".into())),
            params(|p| {
                p.from = Some("2026-11-02T00:00".into());
                p.to = Some("2026-11-01T00:00".into());
            }),
            params(|p| p.status = Some("maybe".into())),
            params(|p| p.min_latency_ms = Some("-5".into())),
            params(|p| p.min_cost = Some("1e3".into())),
        ] {
            assert!(matches!(parse_filter(&bad, NOW), Err(ServiceError::Invalid(_))), "{bad:?}");
        }
    }

    #[test]
    fn filters_are_trimmed_and_typed() {
        let f = parse_filter(
            &params(|p| {
                p.name = Some("  chat ".into());
                p.model = Some("".into());
                p.status = Some("error".into());
                p.min_latency_ms = Some("1500".into());
                p.min_cost = Some("$0.05".into());
                p.q = Some("東京".into());
            }),
            NOW,
        )
        .unwrap();
        assert_eq!(f.name.as_deref(), Some("chat"));
        assert_eq!(f.model, None);
        assert_eq!(f.has_error, Some(true));
        assert_eq!(f.min_duration_ns, Some(1_500 * NS_PER_MS));
        assert_eq!(f.min_cost_micros, Some(50_000));
        assert_eq!(f.search.as_deref(), Some("東京"));
    }

    #[test]
    fn dollars_are_exact() {
        assert_eq!(parse_dollars("1.5"), Some(1_500_000));
        assert_eq!(parse_dollars(".000001"), Some(1));
        assert_eq!(parse_dollars("0.0000001"), None);
        assert_eq!(parse_dollars("."), None);
    }

    #[test]
    fn cursors_round_trip_and_ids_are_checked() {
        let c = TraceCursor { start_ns: 42, trace_id: "ab".repeat(16) };
        assert_eq!(parse_cursor(&cursor_param(&c)).unwrap(), c);
        assert!(parse_cursor("42").is_err());
        assert!(parse_cursor("x-abab").is_err());
        assert_eq!(trace_id(&"AB".repeat(16)).unwrap(), "ab".repeat(16));
        assert_eq!(trace_id("nobody"), Err(ServiceError::NotFound("trace")));
    }

    #[test]
    fn buckets_stay_few() {
        assert_eq!(bucket_ns(0, NS_PER_HOUR), NS_PER_MIN);
        assert_eq!(bucket_ns(0, NS_PER_DAY), 30 * NS_PER_MIN);
        assert_eq!(bucket_ns(0, 30 * NS_PER_DAY), 12 * NS_PER_HOUR);
        assert!((0..=400).all(|d| (d * NS_PER_DAY).div_ceil(bucket_ns(0, d * NS_PER_DAY)) <= 60));
    }

    fn span(id: u64, parent: Option<u64>, start: u64) -> SpanRow {
        SpanRow::new(&"ab".repeat(16), &format!("{id:016x}"), parent.map(|p| format!("{p:016x}")).as_deref(), &format!("s{id}"), start, 1)
    }

    #[test]
    fn tree_is_depth_first_with_children_by_start() {
        // 1 ─┬─ 3 (t=5) ── 4
        //    └─ 2 (t=9)
        // 5 (orphan: parent 99 missing)
        let spans = vec![span(2, Some(1), 9), span(1, None, 0), span(4, Some(3), 6), span(3, Some(1), 5), span(5, Some(99), 1)];
        let rows: Vec<(String, usize, usize)> =
            span_tree(&spans).into_iter().map(|r| (spans[r.index].name.clone(), r.depth, r.children)).collect();
        let expected = [("s1", 0, 2), ("s3", 1, 1), ("s4", 2, 0), ("s2", 1, 0), ("s5", 0, 0)];
        assert_eq!(rows, expected.map(|(n, d, c)| (n.to_owned(), d, c)));
    }

    #[test]
    fn tree_survives_cycles_and_deep_nesting() {
        let cyclic = vec![span(1, Some(2), 0), span(2, Some(1), 1)];
        assert_eq!(span_tree(&cyclic).len(), 2);
        let deep: Vec<SpanRow> = (1..=20_000).map(|i| span(i, (i > 1).then(|| i - 1), i)).collect();
        let rows = span_tree(&deep);
        assert_eq!(rows.len(), 20_000);
        assert_eq!(rows.last().unwrap().depth, 19_999);
    }
}
