//! Server functions of the trace explorer. Each checks the caller's role in the project (in
//! `services::trace_queries`) before reading anything, so calling these URLs directly gives
//! exactly what the pages give: 401 signed out, 404 for a project you are not a member of.

use super::AppError;
use domain::{
    traces::{FilterParams, MetricsRow, SessionSummary, SpanRow, TraceSummary},
    ProjectRole,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The explorer's URL query: every filter of the list, sessions and analytics pages. All
/// optional; blank means "any". Kept as typed text so a shared link reproduces the page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TraceParams {
    /// The filters every explorer page shares.
    #[serde(flatten)]
    pub filter: FilterParams,
    /// Keyset cursor of the list (`<start_ns>-<trace_id>`).
    pub after: Option<String>,
    /// Analytics: `llm` (spans with a model, the default) or `all`.
    pub scope: Option<String>,
}

impl TraceParams {
    pub const KEYS: [&'static str; 15] = [
        "range",
        "from",
        "to",
        "name",
        "model",
        "status",
        "user",
        "session",
        "tag",
        "env",
        "min_latency_ms",
        "min_cost",
        "q",
        "after",
        "scope",
    ];

    fn slot(&mut self, key: &str) -> Option<&mut Option<String>> {
        Some(match key {
            "range" => &mut self.filter.range,
            "from" => &mut self.filter.from,
            "to" => &mut self.filter.to,
            "name" => &mut self.filter.name,
            "model" => &mut self.filter.model,
            "status" => &mut self.filter.status,
            "user" => &mut self.filter.user,
            "session" => &mut self.filter.session,
            "tag" => &mut self.filter.tag,
            "env" => &mut self.filter.env,
            "min_latency_ms" => &mut self.filter.min_latency_ms,
            "min_cost" => &mut self.filter.min_cost,
            "q" => &mut self.filter.q,
            "after" => &mut self.after,
            "scope" => &mut self.scope,
            _ => return None,
        })
    }

    /// A parameter's value; blank counts as absent.
    pub fn value(&self, key: &str) -> Option<&str> {
        match key {
            "range" => self.filter.range.as_deref(),
            "from" => self.filter.from.as_deref(),
            "to" => self.filter.to.as_deref(),
            "name" => self.filter.name.as_deref(),
            "model" => self.filter.model.as_deref(),
            "status" => self.filter.status.as_deref(),
            "user" => self.filter.user.as_deref(),
            "session" => self.filter.session.as_deref(),
            "tag" => self.filter.tag.as_deref(),
            "env" => self.filter.env.as_deref(),
            "min_latency_ms" => self.filter.min_latency_ms.as_deref(),
            "min_cost" => self.filter.min_cost.as_deref(),
            "q" => self.filter.q.as_deref(),
            "after" => self.after.as_deref(),
            "scope" => self.scope.as_deref(),
            _ => None,
        }
        .filter(|v| !v.trim().is_empty())
    }

    /// From the page's URL query.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> TraceParams {
        let mut p = TraceParams::default();
        for (k, v) in pairs {
            if let Some(slot) = p.slot(k) {
                *slot = Some(v.to_owned());
            }
        }
        p
    }

    /// `?a=b&…` of the non-empty parameters, with `key` set to `value` (or removed).
    pub fn query_with(&self, key: &str, value: Option<&str>) -> String {
        let mut me = self.clone();
        if let Some(slot) = me.slot(key) {
            *slot = value.map(str::to_owned);
        }
        let pairs: Vec<String> = Self::KEYS.iter().filter_map(|k| me.value(k).map(|v| format!("{k}={}", encode(v)))).collect();
        if pairs.is_empty() {
            String::new()
        } else {
            format!("?{}", pairs.join("&"))
        }
    }
}

/// Percent-encoding for a query value (RFC 3986 unreserved characters kept).
pub fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The project an explorer page belongs to, and what the caller may do there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectHead {
    pub slug: String,
    pub name: String,
    pub role: ProjectRole,
}

impl ProjectHead {
    pub fn can_delete(&self) -> bool {
        self.role.allows(ProjectRole::Owner)
    }
}

/// The resolved time range, for the filter form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeView {
    /// A preset key or `custom`.
    pub range: String,
    pub from_input: String,
    pub to_input: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceListData {
    pub project: ProjectHead,
    pub range: RangeView,
    pub traces: Vec<TraceSummary>,
    /// The next page's cursor, when there is one.
    pub next: Option<String>,
}

/// One row of the span tree / waterfall, in display order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpanLine {
    pub span_id: String,
    pub name: String,
    pub depth: u32,
    pub children: u32,
    /// Bar position and width, percent of the trace's duration.
    pub offset_pct: f32,
    pub width_pct: f32,
    pub duration_ns: u64,
    pub operation: Option<String>,
    pub model: Option<String>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub cost_micros: Option<u64>,
    pub error: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceDetailData {
    pub project: ProjectHead,
    pub trace_id: String,
    pub name: String,
    pub start_ns: u64,
    pub duration_ns: u64,
    pub errors: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_micros: u64,
    pub lines: Vec<SpanLine>,
    /// The span shown open: the one asked for, else the first error, else the first span.
    pub selected: SpanRow,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpanData {
    pub project: ProjectHead,
    pub trace_id: String,
    pub span: SpanRow,
    pub trace_start_ns: u64,
    /// `input` or `output` when that part holds the whole offloaded payload.
    pub full: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionListData {
    pub project: ProjectHead,
    pub range: RangeView,
    pub sessions: Vec<SessionSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionData {
    pub project: ProjectHead,
    pub session_id: String,
    /// Oldest first.
    pub traces: Vec<TraceSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalyticsData {
    pub project: ProjectHead,
    pub range: RangeView,
    pub llm_only: bool,
    /// The whole range (`None`: nothing matched).
    pub overall: Option<MetricsRow>,
    /// (title, ECharts option JSON).
    pub charts: Vec<(String, String)>,
    pub by_model: Vec<MetricsRow>,
    pub by_name: Vec<MetricsRow>,
    pub by_user: Vec<MetricsRow>,
    pub slowest: Vec<TraceSummary>,
    pub costliest: Vec<TraceSummary>,
}

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use services::authz::ProjectAccess;
    use services::trace_queries as tq;

    pub fn head(a: &ProjectAccess) -> ProjectHead {
        ProjectHead { slug: a.project.slug.to_string(), name: a.project.name.clone(), role: a.role }
    }

    pub fn now_ns() -> u64 {
        services::clock::now_ms().max(0) as u64 * 1_000_000
    }

    pub fn range_view(p: &TraceParams, f: &domain::traces::TraceFilter) -> RangeView {
        let range = p.value("range").map(str::to_owned).unwrap_or_else(|| {
            if p.value("from").is_some() {
                "custom".into()
            } else {
                tq::DEFAULT_PRESET.into()
            }
        });
        RangeView { range, from_input: tq::datetime_input(f.from_ns), to_input: tq::datetime_input(f.to_ns) }
    }

    pub fn filter(p: &TraceParams) -> Result<domain::traces::TraceFilter, services::ServiceError> {
        tq::parse_filter(&p.filter, now_ns())
    }

    pub fn lines(spans: &[SpanRow]) -> (u64, u64, Vec<SpanLine>) {
        let start = spans.iter().map(|s| s.start_time_unix_nano).min().unwrap_or(0);
        let end = spans.iter().map(|s| s.end_time_unix_nano.max(s.start_time_unix_nano)).max().unwrap_or(start);
        let total = end.saturating_sub(start).max(1) as f64;
        let lines = tq::span_tree(spans)
            .into_iter()
            .map(|r| {
                let s = &spans[r.index];
                let offset = (s.start_time_unix_nano.saturating_sub(start)) as f64 / total * 100.0;
                let width = (s.duration_ns as f64 / total * 100.0).clamp(0.0, 100.0 - offset);
                SpanLine {
                    span_id: s.span_id.clone(),
                    name: s.name.clone(),
                    depth: r.depth.min(u32::MAX as usize) as u32,
                    children: r.children.min(u32::MAX as usize) as u32,
                    offset_pct: offset as f32,
                    width_pct: width as f32,
                    duration_ns: s.duration_ns,
                    operation: s.operation.clone(),
                    model: s.model.clone(),
                    input_tokens: s.input_tokens,
                    output_tokens: s.output_tokens,
                    cost_micros: s.cost_micros,
                    error: s.status_code == domain::traces::StatusCode::Error,
                }
            })
            .collect();
        (start, end - start, lines)
    }
}

/// One page of a project's traces, filtered as the URL says.
#[server(prefix = "/api")]
pub async fn load_traces(slug: String, #[server(default)] params: TraceParams) -> Result<TraceListData, AppError> {
    use super::support::*;
    use services::trace_queries as tq;
    let f = server::filter(&params).map_err(fail)?;
    let range = server::range_view(&params, &f);
    let after = params.value("after").map(tq::parse_cursor).transpose().map_err(fail)?;
    let (access, page) = tq::list(&stores(), &request(), &slug, f, domain::traces::TraceOrder::Newest, after, 50).await.map_err(fail)?;
    Ok(TraceListData { project: server::head(&access), range, traces: page.traces, next: page.next.as_ref().map(tq::cursor_param) })
}

/// One trace: its span tree in display order and the selected span.
#[server(prefix = "/api")]
pub async fn load_trace(slug: String, trace_id: String, span: Option<String>) -> Result<TraceDetailData, AppError> {
    use super::support::*;
    let (access, spans) = services::trace_queries::trace(&stores(), &request(), &slug, &trace_id).await.map_err(fail)?;
    let (start_ns, duration_ns, lines) = server::lines(&spans);
    let wanted = span.map(|s| s.trim().to_ascii_lowercase());
    let selected = wanted
        .and_then(|w| spans.iter().find(|s| s.span_id == w))
        .or_else(|| spans.iter().find(|s| s.status_code == domain::traces::StatusCode::Error))
        .or_else(|| lines.first().and_then(|l| spans.iter().find(|s| s.span_id == l.span_id)))
        .cloned()
        .ok_or_else(|| fail(services::ServiceError::NotFound("trace")))?;
    let name = lines.first().map(|l| l.name.clone()).unwrap_or_default();
    Ok(TraceDetailData {
        project: server::head(&access),
        trace_id: selected.trace_id.clone(),
        name,
        start_ns,
        duration_ns,
        errors: lines.iter().filter(|l| l.error).count() as u64,
        input_tokens: spans.iter().filter_map(|s| s.input_tokens).sum(),
        output_tokens: spans.iter().filter_map(|s| s.output_tokens).sum(),
        cost_micros: spans.iter().filter_map(|s| s.cost_micros).sum(),
        lines,
        selected,
    })
}

/// One span's details; `full` (`input` / `output`) loads that offloaded payload whole from the
/// blob store.
#[server(prefix = "/api")]
pub async fn load_span(slug: String, trace_id: String, span_id: String, full: Option<String>) -> Result<SpanData, AppError> {
    use super::support::*;
    use services::trace_queries as tq;
    let (stores, ctx) = (stores(), request());
    let (access, mut span, trace_start_ns) = tq::span(&stores, &ctx, &slug, &trace_id, &span_id).await.map_err(fail)?;
    let full = full.filter(|f| !f.is_empty());
    if let Some(part) = &full {
        let part = tq::Part::parse(part).map_err(fail)?;
        let text = tq::payload(&stores, &ctx, &slug, &trace_id, &span_id, part).await.map_err(fail)?;
        match part {
            tq::Part::Input => span.input = Some(text),
            tq::Part::Output => span.output = Some(text),
        }
    }
    Ok(SpanData { project: server::head(&access), trace_id: span.trace_id.clone(), trace_start_ns, span, full })
}

/// Sessions with activity in the range.
#[server(prefix = "/api")]
pub async fn load_sessions(slug: String, #[server(default)] params: TraceParams) -> Result<SessionListData, AppError> {
    use super::support::*;
    let f = server::filter(&params).map_err(fail)?;
    let range = server::range_view(&params, &f);
    let (access, sessions) = services::trace_queries::sessions(&stores(), &request(), &slug, &f).await.map_err(fail)?;
    Ok(SessionListData { project: server::head(&access), range, sessions })
}

/// A session's traces, oldest first (the range defaults to 30 days for a session).
#[server(prefix = "/api")]
pub async fn load_session(slug: String, session_id: String, #[server(default)] params: TraceParams) -> Result<SessionData, AppError> {
    use super::support::*;
    let mut params = params;
    if params.value("range").is_none() && params.value("from").is_none() {
        params.filter.range = Some("30d".into());
    }
    let f = server::filter(&params).map_err(fail)?;
    let (access, traces) = services::trace_queries::session(&stores(), &request(), &slug, &session_id, f).await.map_err(fail)?;
    Ok(SessionData { project: server::head(&access), session_id, traces })
}

/// The LLM analytics dashboard.
#[server(prefix = "/api")]
pub async fn load_analytics(slug: String, #[server(default)] params: TraceParams) -> Result<AnalyticsData, AppError> {
    use super::support::*;
    let f = server::filter(&params).map_err(fail)?;
    let range = server::range_view(&params, &f);
    let llm_only = params.value("scope") != Some("all");
    let (access, a) = services::trace_queries::analytics(&stores(), &request(), &slug, f.clone(), llm_only).await.map_err(fail)?;
    let charts = crate::components::trace_charts::dashboard(&a.over_time, f.from_ns, f.to_ns, a.bucket_ns);
    Ok(AnalyticsData {
        project: server::head(&access),
        range,
        llm_only,
        overall: a.overall,
        charts,
        by_model: a.by_model,
        by_name: a.by_name,
        by_user: a.by_user,
        slowest: a.slowest,
        costliest: a.costliest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_round_trip() {
        let p = TraceParams::from_pairs([("name", "chat bot"), ("q", "東京&x"), ("after", ""), ("unknown", "1")]);
        assert_eq!(p.query_with("after", Some("5-ab")), "?name=chat%20bot&q=%E6%9D%B1%E4%BA%AC%26x&after=5-ab");
        assert_eq!(p.query_with("name", None), "?q=%E6%9D%B1%E4%BA%AC%26x");
        assert_eq!(TraceParams::default().query_with("q", None), "");
    }
}
