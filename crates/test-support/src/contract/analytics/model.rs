//! A reference model of the span queries, written plainly over a `Vec<SpanRow>`: what every
//! analytics store must answer (the contract cases compare whole results with it).

use domain::traces::{
    MetricsGroup, MetricsQuery, MetricsRow, SessionSummary, SpanRow, StatusCode, TraceFilter, TraceOrder, TraceQuery, TraceSummary,
    PREVIEW_CHARS,
};
use std::collections::{BTreeMap, BTreeSet};

fn is_error(s: &SpanRow) -> bool {
    s.status_code == StatusCode::Error
}

/// Case-insensitive (ASCII folding, what every adapter guarantees) substring of input or output.
fn contains(haystack: &Option<String>, needle: &str) -> bool {
    haystack.as_deref().is_some_and(|h| h.to_ascii_lowercase().contains(&needle.to_ascii_lowercase()))
}

/// The span-level filters of `f`, each on this one span (`None` for an unset filter).
fn span_tests(f: &TraceFilter, s: &SpanRow) -> [Option<bool>; 7] {
    let eq = |want: &Option<String>, have: &Option<String>| want.as_ref().map(|w| have.as_ref() == Some(w));
    [
        f.name.as_ref().map(|n| &s.name == n),
        eq(&f.model, &s.model),
        eq(&f.user_id, &s.user_id),
        eq(&f.session_id, &s.session_id),
        eq(&f.environment, &s.environment),
        f.tag.as_ref().map(|t| s.tags.contains(t)),
        f.search.as_ref().filter(|q| !q.is_empty()).map(|q| contains(&s.input, q) || contains(&s.output, q)),
    ]
}

/// Spans grouped by trace id, one copy per span id.
pub fn traces(spans: &[SpanRow]) -> BTreeMap<String, Vec<SpanRow>> {
    let mut by_trace: BTreeMap<String, BTreeMap<String, SpanRow>> = BTreeMap::new();
    for s in spans {
        by_trace.entry(s.trace_id.clone()).or_default().entry(s.span_id.clone()).or_insert_with(|| s.clone());
    }
    by_trace.into_iter().map(|(t, spans)| (t, spans.into_values().collect())).collect()
}

fn root(spans: &[SpanRow]) -> Option<&SpanRow> {
    spans.iter().filter(|s| s.parent_span_id.is_none()).min_by_key(|s| (s.start_time_unix_nano, s.span_id.clone()))
}

fn preview(s: &Option<String>) -> Option<String> {
    s.as_ref().map(|s| s.chars().take(PREVIEW_CHARS).collect())
}

pub fn summary(spans: &[SpanRow]) -> Option<TraceSummary> {
    let root = root(spans)?;
    let first = spans.iter().map(|s| s.start_time_unix_nano).min()?;
    let last = spans.iter().map(|s| s.end_time_unix_nano).max()?;
    let sum = |f: fn(&SpanRow) -> Option<u64>| spans.iter().filter_map(f).sum::<u64>();
    let min_of = |f: fn(&SpanRow) -> &Option<String>| spans.iter().filter_map(|s| f(s).clone()).min();
    Some(TraceSummary {
        trace_id: root.trace_id.clone(),
        name: root.name.clone(),
        start_ns: root.start_time_unix_nano,
        duration_ns: last.saturating_sub(first),
        span_count: spans.len() as u64,
        error_count: spans.iter().filter(|s| is_error(s)).count() as u64,
        input_tokens: sum(|s| s.input_tokens),
        output_tokens: sum(|s| s.output_tokens),
        cost_micros: sum(|s| s.cost_micros),
        models: spans.iter().filter_map(|s| s.model.clone()).collect::<BTreeSet<_>>().into_iter().collect(),
        user_id: root.user_id.clone().or_else(|| min_of(|s| &s.user_id)),
        session_id: root.session_id.clone().or_else(|| min_of(|s| &s.session_id)),
        environment: root.environment.clone().or_else(|| min_of(|s| &s.environment)),
        tags: spans.iter().flat_map(|s| s.tags.clone()).collect::<BTreeSet<_>>().into_iter().collect(),
        input: preview(&root.input),
        output: preview(&root.output),
    })
}

/// Every matching trace of the query in its order (no limit, no cursor).
pub fn list(spans: &[SpanRow], q: &TraceQuery) -> Vec<TraceSummary> {
    let f = &q.filter;
    let mut out: Vec<TraceSummary> = traces(spans)
        .values()
        .filter_map(|spans| {
            let s = summary(spans)?;
            let in_range = s.start_ns >= f.from_ns && s.start_ns < f.to_ns;
            let span_filters_ok = (0..7).all(|i| {
                spans.iter().map(|sp| span_tests(f, sp)[i]).all(|t| t.is_none())
                    || spans.iter().any(|sp| span_tests(f, sp)[i] == Some(true))
            });
            let errors_ok = f.has_error.is_none_or(|want| (s.error_count > 0) == want);
            let duration_ok = f.min_duration_ns.is_none_or(|m| s.duration_ns >= m);
            let cost_ok = f.min_cost_micros.is_none_or(|m| s.cost_micros >= m);
            (in_range && span_filters_ok && errors_ok && duration_ok && cost_ok).then_some(s)
        })
        .collect();
    let newest = |a: &TraceSummary, b: &TraceSummary| (b.start_ns, &b.trace_id).cmp(&(a.start_ns, &a.trace_id));
    match q.order {
        TraceOrder::Newest => out.sort_by(newest),
        TraceOrder::Slowest => out.sort_by(|a, b| b.duration_ns.cmp(&a.duration_ns).then_with(|| newest(a, b))),
        TraceOrder::Costliest => out.sort_by(|a, b| b.cost_micros.cmp(&a.cost_micros).then_with(|| newest(a, b))),
    }
    out
}

pub fn sessions(spans: &[SpanRow], from_ns: u64, to_ns: u64) -> Vec<SessionSummary> {
    let by_trace = traces(spans);
    let mut members: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (trace_id, spans) in &by_trace {
        for s in spans.iter().filter(|s| s.start_time_unix_nano >= from_ns && s.start_time_unix_nano < to_ns) {
            if let Some(session) = &s.session_id {
                members.entry(session.clone()).or_default().insert(trace_id.clone());
            }
        }
    }
    let mut out: Vec<SessionSummary> = members
        .into_iter()
        .map(|(session_id, trace_ids)| {
            let all: Vec<&SpanRow> = trace_ids.iter().flat_map(|t| &by_trace[t]).collect();
            SessionSummary {
                session_id,
                first_ns: all.iter().map(|s| s.start_time_unix_nano).min().unwrap_or_default(),
                last_ns: all.iter().map(|s| s.end_time_unix_nano).max().unwrap_or_default(),
                trace_count: trace_ids.len() as u64,
                user_id: all.iter().filter_map(|s| s.user_id.clone()).min(),
                input_tokens: all.iter().filter_map(|s| s.input_tokens).sum(),
                output_tokens: all.iter().filter_map(|s| s.output_tokens).sum(),
                cost_micros: all.iter().filter_map(|s| s.cost_micros).sum(),
                error_count: all.iter().filter(|s| is_error(s)).count() as u64,
            }
        })
        .collect();
    out.sort_by(|a, b| b.last_ns.cmp(&a.last_ns).then_with(|| a.session_id.cmp(&b.session_id)));
    out
}

/// The `p`-th percentile (nearest rank) of sorted values.
fn nearest_rank(sorted: &[u64], p: u64) -> u64 {
    let rank = (p * sorted.len() as u64).div_ceil(100).max(1);
    sorted[rank as usize - 1]
}

pub fn metrics(spans: &[SpanRow], q: &MetricsQuery) -> Vec<MetricsRow> {
    let f = &q.filter;
    let mut groups: BTreeMap<(u64, String), Vec<&SpanRow>> = BTreeMap::new();
    let unique: Vec<SpanRow> = traces(spans).into_values().flatten().collect();
    for s in &unique {
        let ok = s.start_time_unix_nano >= f.from_ns
            && s.start_time_unix_nano < f.to_ns
            && span_tests(f, s).iter().all(|t| *t != Some(false))
            && f.has_error.is_none_or(|want| is_error(s) == want)
            && f.min_duration_ns.is_none_or(|m| s.duration_ns >= m)
            && f.min_cost_micros.is_none_or(|m| s.cost_micros.unwrap_or(0) >= m)
            && (!q.llm_only || s.model.is_some());
        if !ok {
            continue;
        }
        let group = match q.group_by {
            None => String::new(),
            Some(MetricsGroup::Model) => s.model.clone().unwrap_or_default(),
            Some(MetricsGroup::Name) => s.name.clone(),
            Some(MetricsGroup::User) => s.user_id.clone().unwrap_or_default(),
        };
        groups.entry((s.start_time_unix_nano / q.bucket_ns * q.bucket_ns, group)).or_default().push(s);
    }
    groups
        .into_iter()
        .map(|((bucket_start_ns, group), spans)| {
            let mut durations: Vec<u64> = spans.iter().map(|s| s.duration_ns).collect();
            durations.sort_unstable();
            MetricsRow {
                bucket_start_ns,
                group,
                spans: spans.len() as u64,
                errors: spans.iter().filter(|s| is_error(s)).count() as u64,
                input_tokens: spans.iter().filter_map(|s| s.input_tokens).sum(),
                output_tokens: spans.iter().filter_map(|s| s.output_tokens).sum(),
                cost_micros: spans.iter().filter_map(|s| s.cost_micros).sum(),
                p50_ns: nearest_rank(&durations, 50),
                p95_ns: nearest_rank(&durations, 95),
                p99_ns: nearest_rank(&durations, 99),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!((nearest_rank(&v, 50), nearest_rank(&v, 95), nearest_rank(&v, 99)), (50, 95, 99));
        assert_eq!((nearest_rank(&[7], 50), nearest_rank(&[7], 99)), (7, 7));
        assert_eq!((nearest_rank(&[1, 2, 3], 50), nearest_rank(&[1, 2, 3], 95)), (2, 3));
    }
}
