//! Protobuf model → flat [`SpanRow`]s: the wide immutable row the analytics store writes.
//! Conventions live in their own modules (`genai`, `openinference`); this one holds the row, the
//! cross-convention facts (service, environment, session, user, tags) and the per-span loop.

mod genai;
mod openinference;

pub use domain::traces::{SpanKind, SpanRow, StatusCode};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::trace::v1::{span, Span};
use serde_json::{json, Map, Value};

use crate::attrs::{to_json, Attrs, JsonLimits};
use crate::validate::{self, Rejections};
use crate::{Limits, MapOptions};

/// Unknown numbers map to `Unspecified`: a newer SDK must not get spans dropped.
fn span_kind(kind: i32) -> SpanKind {
    match kind {
        1 => SpanKind::Internal,
        2 => SpanKind::Server,
        3 => SpanKind::Client,
        4 => SpanKind::Producer,
        5 => SpanKind::Consumer,
        _ => SpanKind::Unspecified,
    }
}

fn status_code(code: i32) -> StatusCode {
    match code {
        1 => StatusCode::Ok,
        2 => StatusCode::Error,
        _ => StatusCode::Unset,
    }
}

const ENVIRONMENT_KEYS: &[&str] = &["deployment.environment.name", "deployment.environment", "langfuse.environment"];
const SESSION_KEYS: &[&str] = &["session.id", "gen_ai.conversation.id", "langfuse.session.id"];
const USER_KEYS: &[&str] = &["user.id", "enduser.id", "langfuse.user.id"];
const TAG_KEYS: &[&str] = &["langfuse.trace.tags", "tag.tags"];

/// Fills `slot` only if it is empty, computing the value lazily (so nothing is taken twice).
/// The convention modules fill the row's LLM fields this way: the first convention wins.
pub(crate) fn fill<T>(slot: &mut Option<T>, value: impl FnOnce() -> Option<T>) {
    if slot.is_none() {
        *slot = value();
    }
}

/// Chat messages as the row's input/output text: nothing → `None`, a lone string → itself,
/// otherwise the JSON array.
pub(crate) fn messages_text(mut items: Vec<Value>) -> Option<String> {
    match items.len() {
        0 => None,
        1 if items[0].is_string() => items.pop().and_then(|v| v.as_str().map(str::to_owned)),
        _ => Some(Value::Array(items).to_string()),
    }
}

/// What every span of one `ResourceSpans` shares, computed once.
struct ResourceFacts {
    service_name: String,
    attributes_json: String,
    environment: Option<String>,
    session_id: Option<String>,
    user_id: Option<String>,
    truncated: bool,
}

impl ResourceFacts {
    fn new(kvs: Vec<KeyValue>, limits: &Limits) -> Self {
        let (attrs, dropped) = Attrs::new(kvs, limits.max_attributes_per_span);
        let service_name = attrs.get_text(&["service.name"]).unwrap_or_else(|| "unknown_service".to_owned());
        let environment = attrs.get_text(ENVIRONMENT_KEYS);
        let session_id = attrs.get_text(SESSION_KEYS);
        let user_id = attrs.get_text(USER_KEYS);
        let (json, cut) = attrs.into_json(value_limits(limits));
        ResourceFacts {
            service_name,
            attributes_json: Value::Object(json).to_string(),
            environment,
            session_id,
            user_id,
            truncated: dropped || cut,
        }
    }
}

fn value_limits(limits: &Limits) -> JsonLimits {
    JsonLimits { max_string: Some(limits.max_attribute_value_bytes), max_depth: limits.max_value_depth }
}

/// Validates and maps every span; invalid spans are counted in `rejections`, never fatal.
pub fn map_request(request: ExportTraceServiceRequest, options: &MapOptions<'_>, rejections: &mut Rejections) -> Vec<SpanRow> {
    let mut rows = Vec::with_capacity(request.resource_spans.iter().flat_map(|rs| &rs.scope_spans).map(|ss| ss.spans.len()).sum());
    for rs in request.resource_spans {
        let resource = ResourceFacts::new(rs.resource.map(|r| r.attributes).unwrap_or_default(), options.limits);
        for ss in rs.scope_spans {
            let (scope_name, scope_version) = ss.scope.map(|s| (s.name, s.version)).unwrap_or_default();
            for span in ss.spans {
                // `check_storable` catches what validation cannot (a token count beyond what stores
                // hold): such a span is rejected alone instead of failing its whole batch.
                match map_span(span, &resource, options).and_then(|row| row.check_storable().map(|()| row)) {
                    Ok(mut row) => {
                        row.scope_name.clone_from(&scope_name);
                        row.scope_version.clone_from(&scope_version);
                        rows.push(row);
                    }
                    Err(reason) => rejections.add(|| reason),
                }
            }
        }
    }
    rows
}

fn map_span(span: Span, resource: &ResourceFacts, options: &MapOptions<'_>) -> Result<SpanRow, String> {
    let limits = options.limits;
    let ids = (validate::trace_id(&span.trace_id), validate::span_id(&span.span_id), validate::parent_span_id(&span.parent_span_id));
    let (trace_id, span_id, parent_span_id) = match ids {
        (Ok(t), Ok(s), Ok(p)) => (t, s, p),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return Err(format!("span {:?}: {e}", short(&span.name))),
    };
    validate::times(span.start_time_unix_nano, span.end_time_unix_nano, options.now_unix_nano)
        .map_err(|e| format!("span {trace_id}/{span_id} {:?}: {e}", short(&span.name)))?;

    let (mut attrs, mut truncated) = Attrs::new(span.attributes, limits.max_attributes_per_span);
    let mut events = span.events;
    if events.len() > limits.max_events_per_span {
        events.truncate(limits.max_events_per_span);
        truncated = true;
    }

    let status = span.status.unwrap_or_default();
    let mut row = SpanRow {
        trace_id,
        span_id,
        parent_span_id,
        name: span.name,
        kind: span_kind(span.kind),
        start_time_unix_nano: span.start_time_unix_nano,
        end_time_unix_nano: span.end_time_unix_nano,
        duration_ns: span.end_time_unix_nano - span.start_time_unix_nano,
        status_code: status_code(status.code),
        status_message: crate::attrs::truncate(&status.message, Some(limits.max_attribute_value_bytes), &mut truncated),
        service_name: resource.service_name.clone(),
        resource_attributes: resource.attributes_json.clone(),
        scope_name: String::new(),
        scope_version: String::new(),
        environment: attrs.take_text(ENVIRONMENT_KEYS).or_else(|| resource.environment.clone()),
        session_id: attrs.take_text(SESSION_KEYS).or_else(|| resource.session_id.clone()),
        user_id: attrs.take_text(USER_KEYS).or_else(|| resource.user_id.clone()),
        tags: take_tags(&mut attrs, limits.max_value_depth),
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
        attributes: String::new(),
        events: String::new(),
        links: String::new(),
        truncated: false,
        input_blob: None,
        output_blob: None,
    };

    genai::extract(&mut attrs, &mut events, &mut row, limits.max_value_depth);
    openinference::extract(&mut attrs, &mut row, limits.max_value_depth);
    fill(&mut row.total_tokens, || row.input_tokens?.checked_add(row.output_tokens?));
    if row.input_tokens.is_some() || row.output_tokens.is_some() {
        let (input, output) = (row.input_tokens.unwrap_or(0), row.output_tokens.unwrap_or(0));
        row.cost_micros = row.model.as_deref().and_then(|m| options.prices.cost_micros(m, input, output));
    }
    let oversize = |s: &Option<String>| s.as_ref().is_some_and(|s| s.len() > limits.max_attribute_value_bytes);
    row.input_oversize = oversize(&row.input);
    row.output_oversize = oversize(&row.output);

    let value_limits = value_limits(limits);
    let (rest, cut) = attrs.into_json(value_limits);
    truncated |= cut;
    row.attributes = Value::Object(rest).to_string();
    let (events_json, cut) = events_json(&events, value_limits);
    truncated |= cut;
    row.events = events_json;
    let mut links = span.links;
    if links.len() > limits.max_events_per_span {
        links.truncate(limits.max_events_per_span);
        truncated = true;
    }
    let (links_json, cut) = links_json(&links, value_limits);
    row.links = links_json;
    row.truncated = truncated || cut || resource.truncated;
    Ok(row)
}

/// Tags arrive as a string array, a JSON array in a string, or a comma-separated string.
fn take_tags(attrs: &mut Attrs, max_depth: usize) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for key in TAG_KEYS {
        let Some(value) = attrs.take(key) else { continue };
        let items = match to_json(&value, JsonLimits::whole(max_depth)).0 {
            Value::Array(items) => items,
            Value::String(s) => match serde_json::from_str::<Value>(&s) {
                Ok(Value::Array(items)) => items,
                _ => s.split(',').map(|t| Value::String(t.trim().to_owned())).collect(),
            },
            other => vec![other],
        };
        for item in items {
            let tag = match item {
                Value::String(s) => s,
                Value::Null => continue,
                other => other.to_string(),
            };
            if !tag.is_empty() && !tags.contains(&tag) {
                tags.push(tag);
            }
        }
    }
    tags
}

fn attributes_object(kvs: &[KeyValue], limits: JsonLimits, cut: &mut bool) -> Value {
    let mut map = Map::new();
    for kv in kvs {
        let (v, c) = kv.value.as_ref().map(|v| to_json(v, limits)).unwrap_or((Value::Null, false));
        *cut |= c;
        map.insert(kv.key.clone(), v);
    }
    Value::Object(map)
}

fn events_json(events: &[span::Event], limits: JsonLimits) -> (String, bool) {
    let mut cut = false;
    let items: Vec<Value> = events
        .iter()
        .map(|e| json!({"name": e.name, "time_unix_nano": e.time_unix_nano, "attributes": attributes_object(&e.attributes, limits, &mut cut)}))
        .collect();
    (Value::Array(items).to_string(), cut)
}

fn links_json(links: &[span::Link], limits: JsonLimits) -> (String, bool) {
    let mut cut = false;
    let items: Vec<Value> = links
        .iter()
        .map(|l| json!({"trace_id": hex::encode(&l.trace_id), "span_id": hex::encode(&l.span_id), "attributes": attributes_object(&l.attributes, limits, &mut cut)}))
        .collect();
    (Value::Array(items).to_string(), cut)
}

/// Span names in error messages are clipped: the message goes back to the client.
fn short(name: &str) -> String {
    name.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attrs::tests::{kv, s};
    use crate::PriceTable;
    use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
    use opentelemetry_proto::tonic::common::v1::{AnyValue, ArrayValue};
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Status};

    pub(crate) const NOW: u64 = 1_763_769_600_000_000_000;

    pub(crate) fn span(attributes: Vec<KeyValue>) -> Span {
        Span {
            trace_id: vec![1; 16],
            span_id: vec![2; 8],
            name: "chat gpt-4o".into(),
            kind: 3,
            start_time_unix_nano: NOW - 2_000_000_000,
            end_time_unix_nano: NOW - 1_000_000_000,
            attributes,
            ..Default::default()
        }
    }

    /// Maps one span under one resource with default limits and seeded prices.
    pub(crate) fn map_one(span: Span, resource: Vec<KeyValue>) -> Result<SpanRow, String> {
        let req = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource { attributes: resource, ..Default::default() }),
                scope_spans: vec![ScopeSpans { spans: vec![span], ..Default::default() }],
                ..Default::default()
            }],
        };
        let (limits, prices) = (Limits::default(), PriceTable::seeded());
        let mut rej = Rejections::default();
        let mut rows = map_request(req, &MapOptions { limits: &limits, prices: &prices, now_unix_nano: NOW }, &mut rej);
        rows.pop().ok_or_else(|| rej.first.unwrap())
    }

    #[test]
    fn common_facts_from_span_then_resource() {
        let row = map_one(
            span(vec![
                kv("session.id", s("s1")),
                kv("tag.tags", Any::ArrayValue(ArrayValue { values: vec![AnyValue { value: Some(s("a")) }] })),
            ]),
            vec![kv("service.name", s("checkout")), kv("deployment.environment.name", s("prod")), kv("enduser.id", s("u9"))],
        )
        .unwrap();
        assert_eq!(row.service_name, "checkout");
        assert_eq!((row.environment.as_deref(), row.session_id.as_deref(), row.user_id.as_deref()), (Some("prod"), Some("s1"), Some("u9")));
        assert_eq!(row.tags, ["a"]);
        assert_eq!(row.attributes, "{}");
        assert_eq!(row.kind, SpanKind::Client);
        assert_eq!(row.duration_ns, 1_000_000_000);
        assert!(row.resource_attributes.contains("checkout"));
    }

    #[test]
    fn defaults_and_unknown_attributes_are_kept() {
        let mut sp = span(vec![kv("http.method", s("GET")), kv("x.custom", Any::IntValue(4))]);
        sp.status = Some(Status { code: 2, message: "boom".into() });
        sp.kind = 99;
        let row = map_one(sp, vec![]).unwrap();
        assert_eq!(row.service_name, "unknown_service");
        assert_eq!(row.status_code, StatusCode::Error);
        assert_eq!(row.kind, SpanKind::Unspecified);
        assert_eq!(serde_json::from_str::<Value>(&row.attributes).unwrap(), json!({"http.method": "GET", "x.custom": 4}));
        assert_eq!((row.model, row.cost_micros, row.parent_span_id), (None, None, None));
    }

    #[test]
    fn tags_in_every_shape() {
        let row = map_one(span(vec![kv("langfuse.trace.tags", s(r#"["x","y"]"#)), kv("tag.tags", s("y, z"))]), vec![]).unwrap();
        assert_eq!(row.tags, ["x", "y", "z"]);
    }

    #[test]
    fn invalid_spans_are_rejected_with_reason() {
        let mut sp = span(vec![]);
        sp.trace_id = vec![0; 16];
        assert!(map_one(sp, vec![]).unwrap_err().contains("trace_id: all zeros"));
        let mut sp = span(vec![]);
        sp.end_time_unix_nano = sp.start_time_unix_nano - 1;
        let err = map_one(sp, vec![]).unwrap_err();
        assert!(err.starts_with("span 01010101010101010101010101010101/0202020202020202 \"chat gpt-4o\": end_time"), "{err}");
    }
}
