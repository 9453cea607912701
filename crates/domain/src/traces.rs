//! Traces: the flat span row every analytics store keeps, and the questions the explorer asks
//! of them. Trace-level facts (duration, totals, root name) are computed at read time from the
//! immutable span rows, never by updating rows.

use serde::{Deserialize, Serialize};

/// Characters of an offloaded input/output kept in the row as a preview.
pub const PREVIEW_CHARS: usize = 2_000;

/// One span, flattened. JSON-valued columns are JSON text so any store can hold them as a string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpanRow {
    /// 32 lowercase hex characters.
    pub trace_id: String,
    /// 16 lowercase hex characters.
    pub span_id: String,
    /// `None` for a root span.
    pub parent_span_id: Option<String>,
    pub name: String,
    pub kind: SpanKind,
    pub start_time_unix_nano: u64,
    pub end_time_unix_nano: u64,
    pub duration_ns: u64,
    pub status_code: StatusCode,
    pub status_message: String,
    /// `service.name`, or `unknown_service` as the SDK specification prescribes.
    pub service_name: String,
    /// JSON object of all resource attributes (values truncated).
    pub resource_attributes: String,
    pub scope_name: String,
    pub scope_version: String,
    /// `deployment.environment.name` / `deployment.environment` / `langfuse.environment`.
    pub environment: Option<String>,
    pub session_id: Option<String>,
    pub user_id: Option<String>,
    pub tags: Vec<String>,
    /// What the span does in LLM terms: `gen_ai.operation.name` or `openinference.span.kind`
    /// (lowercased), e.g. `chat`, `llm`, `retriever`.
    pub operation: Option<String>,
    pub model: Option<String>,
    pub provider: Option<String>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub total_tokens: Option<u64>,
    /// Exact cost in micro-dollars (1e-6 USD), when the model has a price and tokens are known.
    pub cost_micros: Option<u64>,
    /// Text, or JSON text of chat messages. Never truncated.
    pub input: Option<String>,
    pub output: Option<String>,
    /// Input/output longer than `Limits::max_attribute_value_bytes`: candidates for the blob store.
    pub input_oversize: bool,
    pub output_oversize: bool,
    /// JSON object of the span attributes no mapping consumed (values truncated).
    pub attributes: String,
    /// JSON array of events no mapping consumed: `{name, time_unix_nano, attributes}`.
    pub events: String,
    /// JSON array of links: `{trace_id, span_id, attributes}`.
    pub links: String,
    /// Some attribute, event or link was dropped or cut by a limit.
    pub truncated: bool,
    /// Blob-store key holding the whole input when it was too large for a row; `input` then
    /// holds only its first [`PREVIEW_CHARS`] characters. Set by ingestion, never by the decoder.
    #[serde(default)]
    pub input_blob: Option<String>,
    #[serde(default)]
    pub output_blob: Option<String>,
}

/// Largest duration, token count or cost a store keeps: `i64::MAX` (SQLite integers are signed).
pub const MAX_STORED_VALUE: u64 = i64::MAX as u64;
/// Start and end times must be before 2106-02-07T06:28:16Z (2^32 s), the end of ClickHouse's
/// `DateTime`, which places spans in monthly partitions.
pub const MAX_TIME_NS: u64 = (1 << 32) * 1_000_000_000;

impl SpanRow {
    /// A plain internal span with only identity and timing; every optional field empty and the
    /// JSON columns holding empty JSON. Builders and tests start here (`SpanRow { model, ..new }`).
    pub fn new(trace_id: &str, span_id: &str, parent: Option<&str>, name: &str, start_ns: u64, duration_ns: u64) -> SpanRow {
        SpanRow {
            trace_id: trace_id.into(),
            span_id: span_id.into(),
            parent_span_id: parent.map(Into::into),
            name: name.into(),
            kind: SpanKind::Internal,
            start_time_unix_nano: start_ns,
            end_time_unix_nano: start_ns.saturating_add(duration_ns),
            duration_ns,
            status_code: StatusCode::Unset,
            status_message: String::new(),
            service_name: "unknown_service".into(),
            resource_attributes: "{}".into(),
            scope_name: String::new(),
            scope_version: String::new(),
            environment: None,
            session_id: None,
            user_id: None,
            tags: Vec::new(),
            operation: None,
            model: None,
            provider: None,
            input_tokens: None,
            output_tokens: None,
            total_tokens: None,
            cost_micros: None,
            input: None,
            output: None,
            input_oversize: false,
            output_oversize: false,
            attributes: "{}".into(),
            events: "[]".into(),
            links: "[]".into(),
            truncated: false,
            input_blob: None,
            output_blob: None,
        }
    }

    /// What every analytics store checks before writing (the whole batch is refused otherwise):
    /// ids as documented above, times before [`MAX_TIME_NS`] and numbers up to [`MAX_STORED_VALUE`].
    pub fn check_storable(&self) -> Result<(), String> {
        if !is_lower_hex(&self.trace_id, 32) {
            return Err(format!("trace id {:?} is not 32 lowercase hex characters", self.trace_id));
        }
        if !is_lower_hex(&self.span_id, 16) {
            return Err(format!("span id {:?} is not 16 lowercase hex characters", self.span_id));
        }
        if let Some(parent) = &self.parent_span_id {
            if !is_lower_hex(parent, 16) {
                return Err(format!("parent span id {parent:?} is not 16 lowercase hex characters"));
            }
        }
        if self.start_time_unix_nano >= MAX_TIME_NS || self.end_time_unix_nano >= MAX_TIME_NS {
            return Err(format!("span {}: times must be before the year 2106", self.span_id));
        }
        let numbers = [
            ("duration", Some(self.duration_ns)),
            ("input tokens", self.input_tokens),
            ("output tokens", self.output_tokens),
            ("total tokens", self.total_tokens),
            ("cost", self.cost_micros),
        ];
        for (what, value) in numbers {
            if value.is_some_and(|v| v > MAX_STORED_VALUE) {
                return Err(format!("span {}: {what} {} is too large", self.span_id, value.unwrap_or_default()));
            }
        }
        Ok(())
    }
}

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpanKind {
    Unspecified,
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusCode {
    Unset,
    Ok,
    Error,
}

impl SpanKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SpanKind::Unspecified => "unspecified",
            SpanKind::Internal => "internal",
            SpanKind::Server => "server",
            SpanKind::Client => "client",
            SpanKind::Producer => "producer",
            SpanKind::Consumer => "consumer",
        }
    }

    pub fn parse(s: &str) -> SpanKind {
        match s {
            "internal" => SpanKind::Internal,
            "server" => SpanKind::Server,
            "client" => SpanKind::Client,
            "producer" => SpanKind::Producer,
            "consumer" => SpanKind::Consumer,
            _ => SpanKind::Unspecified,
        }
    }
}

impl StatusCode {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusCode::Unset => "unset",
            StatusCode::Ok => "ok",
            StatusCode::Error => "error",
        }
    }

    pub fn parse(s: &str) -> StatusCode {
        match s {
            "ok" => StatusCode::Ok,
            "error" => StatusCode::Error,
            _ => StatusCode::Unset,
        }
    }
}

/// Which traces the list (and the analytics) look at. Every field narrows; `None` / empty means
/// "any". A trace matches when it starts in `[from_ns, to_ns)` and, for span-level filters
/// (name, model, user, session, tag, environment, search), when at least one of its spans matches
/// (each filter on its own: the user may be on the root span and the model on a child).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceFilter {
    pub from_ns: u64,
    pub to_ns: u64,
    /// Exact span name.
    pub name: Option<String>,
    pub model: Option<String>,
    /// `Some(true)`: only traces with an error span; `Some(false)`: only traces without.
    pub has_error: Option<bool>,
    pub user_id: Option<String>,
    pub session_id: Option<String>,
    pub tag: Option<String>,
    pub environment: Option<String>,
    /// Trace duration (first start to last end) at least this long.
    pub min_duration_ns: Option<u64>,
    /// Trace cost (sum over spans) at least this much.
    pub min_cost_micros: Option<u64>,
    /// Case-insensitive substring of some span's input or output (any script: CJK, Arabic…).
    pub search: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceOrder {
    /// Newest first; the only order with keyset pagination.
    #[default]
    Newest,
    Slowest,
    Costliest,
}

/// Keyset cursor: the last trace of the previous page (start time, then trace id, descending).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceCursor {
    pub start_ns: u64,
    pub trace_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceQuery {
    pub filter: TraceFilter,
    pub order: TraceOrder,
    /// Only with `TraceOrder::Newest`: traces strictly after this cursor.
    pub after: Option<TraceCursor>,
    /// 1..=500; adapters clamp.
    pub limit: u32,
}

/// One trace, computed from its spans at read time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceSummary {
    pub trace_id: String,
    /// The root span's name (a span without parent; the earliest one if several), else the
    /// earliest span's name.
    pub name: String,
    pub start_ns: u64,
    /// Latest end minus earliest start.
    pub duration_ns: u64,
    pub span_count: u64,
    pub error_count: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_micros: u64,
    /// Distinct models used, sorted.
    pub models: Vec<String>,
    pub user_id: Option<String>,
    pub session_id: Option<String>,
    pub environment: Option<String>,
    /// Distinct tags, sorted.
    pub tags: Vec<String>,
    /// The root span's input/output previews (at most [`PREVIEW_CHARS`] characters).
    pub input: Option<String>,
    pub output: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TracePage {
    pub traces: Vec<TraceSummary>,
    /// Pass as `after` to get the next page; `None` on the last page.
    pub next: Option<TraceCursor>,
}

/// One session: the traces sharing a `session_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSummary {
    pub session_id: String,
    pub first_ns: u64,
    pub last_ns: u64,
    pub trace_count: u64,
    pub user_id: Option<String>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_micros: u64,
    pub error_count: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricsGroup {
    Model,
    Name,
    User,
}

/// Span metrics over time in `bucket_ns`-wide buckets aligned to multiples of `bucket_ns` since
/// the Unix epoch. Counts spans that start in the range and match the span-level filters
/// (trace-level ones, `has_error`, `min_duration_ns` and `min_cost_micros`, apply to each span
/// here). A zero `bucket_ns` is invalid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricsQuery {
    pub filter: TraceFilter,
    pub bucket_ns: u64,
    /// Split each bucket by this dimension (spans without the value fall in group "").
    pub group_by: Option<MetricsGroup>,
    /// Only spans with a model (LLM calls); otherwise every span.
    pub llm_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricsRow {
    pub bucket_start_ns: u64,
    /// The group's value ("" without `group_by` or for spans lacking it).
    pub group: String,
    pub spans: u64,
    pub errors: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_micros: u64,
    /// Latency percentiles of the spans' durations (nearest-rank; adapters may approximate
    /// within 1%).
    pub p50_ns: u64,
    pub p95_ns: u64,
    pub p99_ns: u64,
}

/// What an expiry or a deletion removed, so the caller can delete the blobs too.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovedSpans {
    pub spans: u64,
    /// `input_blob` / `output_blob` keys of the removed spans.
    pub blob_keys: Vec<String>,
}

/// The explorer's URL parameters, as typed by a person (all optional; blank means "any").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FilterParams {
    /// A preset (`1h`, `24h`, `7d`, `30d`) or `custom` (then `from`/`to` apply).
    pub range: Option<String>,
    /// `YYYY-MM-DDTHH:MM` (an `<input type=datetime-local>`), UTC.
    pub from: Option<String>,
    pub to: Option<String>,
    pub name: Option<String>,
    pub model: Option<String>,
    /// `error` or `ok`.
    pub status: Option<String>,
    pub user: Option<String>,
    pub session: Option<String>,
    pub tag: Option<String>,
    pub env: Option<String>,
    /// Milliseconds.
    pub min_latency_ms: Option<String>,
    /// Dollars, e.g. `0.05`.
    pub min_cost: Option<String>,
    /// Full-text search over inputs and outputs.
    pub q: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Makes a valid span invalid.
    type Spoil = fn(&mut SpanRow);

    fn span() -> SpanRow {
        SpanRow {
            kind: SpanKind::Client,
            status_code: StatusCode::Ok,
            input_tokens: Some(MAX_STORED_VALUE),
            cost_micros: Some(0),
            ..SpanRow::new(
                "0af7651916cd43dd8448eb211c80319c",
                "b7ad6b7169203331",
                Some("00f067aa0ba902b7"),
                "chat",
                1_700_000_000_000_000_000,
                1_000_000_000,
            )
        }
    }

    #[test]
    fn storable_spans_pass() {
        assert_eq!(span().check_storable(), Ok(()));
        let root = SpanRow { parent_span_id: None, end_time_unix_nano: MAX_TIME_NS - 1, ..span() };
        assert_eq!(root.check_storable(), Ok(()));
    }

    #[test]
    fn bad_ids_and_numbers_are_refused() {
        let cases: [(&str, Spoil); 8] = [
            ("short trace id", |s| s.trace_id.truncate(31)),
            ("uppercase trace id", |s| s.trace_id = s.trace_id.to_uppercase()),
            ("non-hex span id", |s| s.span_id = "b7ad6b716920333g".into()),
            ("long span id", |s| s.span_id.push('0')),
            ("empty parent", |s| s.parent_span_id = Some(String::new())),
            ("start after 2106", |s| s.start_time_unix_nano = MAX_TIME_NS),
            ("duration above i64", |s| s.duration_ns = MAX_STORED_VALUE + 1),
            ("cost above i64", |s| s.cost_micros = Some(u64::MAX)),
        ];
        for (what, spoil) in cases {
            let mut s = span();
            spoil(&mut s);
            assert!(s.check_storable().is_err(), "{what}");
        }
    }
}
