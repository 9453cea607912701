//! `POST /api/public/ingest/spans`: span batches in a small JSON shape, for clients without
//! OpenTelemetry (documented in `public/openapi.json`). Each span is checked here so errors name
//! the field (`spans[3].trace_id: …`), then rewritten as an OTLP/JSON request and sent through
//! the same decoder, mapping, pricing and write queue as `/v1/traces`. A batch with any invalid
//! span is refused whole (400) and nothing is written.

use crate::{
    http::{
        api_error::{api_error, key_refusal, retry_after},
        api_key,
        otlp::now_unix_nano,
    },
    ingest::Refusal,
    startup::AppState,
};
use axum::{
    body::Bytes,
    extract::State,
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use otlp::MapOptions;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use services::ServiceError;
use std::collections::BTreeMap;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpanBatch {
    pub spans: Vec<SpanInput>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpanInput {
    pub trace_id: String,
    pub span_id: String,
    #[serde(default)]
    pub parent_span_id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub kind: Option<String>,
    /// RFC 3339 text or Unix nanoseconds.
    pub start_time: Value,
    pub end_time: Value,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub provider: Option<String>,
    /// Text, or any JSON (e.g. chat messages) kept as JSON text.
    #[serde(default)]
    pub input: Option<Value>,
    #[serde(default)]
    pub output: Option<Value>,
    #[serde(default)]
    pub usage: Option<Usage>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub session_id: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub environment: Option<String>,
    #[serde(default)]
    pub service_name: Option<String>,
    #[serde(default)]
    pub metadata: Map<String, Value>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub status_message: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Usage {
    #[serde(default)]
    pub input_tokens: Option<u64>,
    #[serde(default)]
    pub output_tokens: Option<u64>,
    #[serde(default)]
    pub total_tokens: Option<u64>,
}

const ROUTE: &str = "JSON ingest API";

fn bad_request(message: String) -> Response {
    api_error(StatusCode::BAD_REQUEST, "invalid", message)
}

/// Refusals a client retries later carry Retry-After: a full queue or an unavailable store
/// soon, a used-up monthly quota (429, as for OTLP) in an hour.
fn service_error(e: ServiceError) -> Response {
    match e {
        ServiceError::QuotaExceeded { .. } => retry_after(api_error(StatusCode::TOO_MANY_REQUESTS, e.code(), e.to_string()), 3600),
        ServiceError::Unavailable => retry_after(crate::http::api_error::service_error(ROUTE, e), 2),
        e => crate::http::api_error::service_error(ROUTE, e),
    }
}

fn refusal(r: Refusal) -> Response {
    match r {
        Refusal::Busy { retry_after_secs } => retry_after(
            api_error(StatusCode::SERVICE_UNAVAILABLE, "busy", "the ingestion queue is full; retry after the Retry-After delay"),
            retry_after_secs,
        ),
        Refusal::Service(e) => service_error(e),
    }
}

pub async fn ingest_spans(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let principal = match api_key::authenticate(&state, &headers, &["ingest"]).await {
        Ok(p) => p,
        Err(r) => return key_refusal(ROUTE, r),
    };
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/json") {
        return api_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "send application/json");
    }
    let batch: SpanBatch = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return bad_request(format!("invalid JSON body: {e}")),
    };
    let limits = state.ingest.limits().clone();
    if batch.spans.len() > limits.max_spans {
        let message = format!("{} spans in one request, more than the limit of {}; split the batch", batch.spans.len(), limits.max_spans);
        return api_error(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message);
    }
    let otlp_json = match to_otlp_json(&batch) {
        Ok(v) => v.to_string(),
        Err(e) => return bad_request(e),
    };
    let prices = match state.ingest.prices(&state.services.prices).await {
        Ok(p) => p,
        Err(e) => return service_error(e),
    };
    let options = MapOptions { limits: &limits, prices: &prices, now_unix_nano: now_unix_nano() };
    let decoded = match otlp::decode_and_map(otlp_json.as_bytes(), "application/json", None, &options) {
        Ok(d) => d,
        Err(e) => return bad_request(e.to_string()),
    };
    if decoded.rejected_spans > 0 {
        return bad_request(decoded.error_message.unwrap_or_else(|| "a span was rejected".into()));
    }
    let accepted = decoded.rows.len();
    if let Err(r) = state.ingest.accept(&principal, decoded.rows).await {
        return refusal(r);
    }
    (StatusCode::OK, Json(json!({ "accepted": accepted }))).into_response()
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// RFC 3339 text or integer Unix nanoseconds.
fn parse_time(v: &Value) -> Result<u64, String> {
    match v {
        Value::Number(n) => n.as_u64().ok_or_else(|| "must be a non-negative integer of Unix nanoseconds".to_owned()),
        Value::String(s) => {
            let t = OffsetDateTime::parse(s, &Rfc3339).map_err(|e| format!("{s:?} is not an RFC 3339 time ({e})"))?;
            u64::try_from(t.unix_timestamp_nanos()).map_err(|_| format!("{s:?} is before 1970"))
        }
        _ => Err("must be RFC 3339 text or Unix nanoseconds".to_owned()),
    }
}

fn text(key: &str, value: &str) -> Value {
    json!({ "key": key, "value": { "stringValue": value } })
}

fn int(key: &str, value: u64) -> Value {
    json!({ "key": key, "value": { "intValue": value.to_string() } })
}

/// A metadata value as an OTLP AnyValue (objects and arrays as JSON text).
fn any_value(v: &Value) -> Value {
    match v {
        Value::Bool(b) => json!({ "boolValue": b }),
        Value::Number(n) if n.is_i64() => json!({ "intValue": n.to_string() }),
        Value::Number(n) => json!({ "doubleValue": n.as_f64() }),
        Value::String(s) => json!({ "stringValue": s }),
        other => json!({ "stringValue": other.to_string() }),
    }
}

fn payload_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The batch as an OTLP/JSON `ExportTraceServiceRequest`, one resource per (service, environment).
fn to_otlp_json(batch: &SpanBatch) -> Result<Value, String> {
    let mut resources: BTreeMap<(String, Option<String>), Vec<Value>> = BTreeMap::new();
    for (i, s) in batch.spans.iter().enumerate() {
        let at = |field: &str, why: String| format!("spans[{i}].{field}: {why}");
        if !is_hex(&s.trace_id, 32) || s.trace_id.bytes().all(|b| b == b'0') {
            return Err(at("trace_id", format!("{:?} is not 32 hex characters (and not all zero)", s.trace_id)));
        }
        if !is_hex(&s.span_id, 16) || s.span_id.bytes().all(|b| b == b'0') {
            return Err(at("span_id", format!("{:?} is not 16 hex characters (and not all zero)", s.span_id)));
        }
        if let Some(p) = &s.parent_span_id {
            if !is_hex(p, 16) {
                return Err(at("parent_span_id", format!("{p:?} is not 16 hex characters")));
            }
        }
        if s.name.trim().is_empty() {
            return Err(at("name", "must not be empty".into()));
        }
        let start = parse_time(&s.start_time).map_err(|e| at("start_time", e))?;
        let end = parse_time(&s.end_time).map_err(|e| at("end_time", e))?;
        if end < start {
            return Err(at("end_time", "is before start_time".into()));
        }
        let kind = match s.kind.as_deref().unwrap_or("internal") {
            "internal" => 1,
            "server" => 2,
            "client" => 3,
            "producer" => 4,
            "consumer" => 5,
            other => return Err(at("kind", format!("{other:?} is not one of internal, server, client, producer, consumer"))),
        };
        let status = match s.status.as_deref().unwrap_or("unset") {
            "unset" => 0,
            "ok" => 1,
            "error" => 2,
            other => return Err(at("status", format!("{other:?} is not one of unset, ok, error"))),
        };
        let mut attrs = Vec::new();
        if let Some(m) = &s.model {
            attrs.push(text("gen_ai.request.model", m));
        }
        if let Some(p) = &s.provider {
            attrs.push(text("gen_ai.provider.name", p));
        }
        if let Some(u) = &s.usage {
            u.input_tokens.into_iter().for_each(|n| attrs.push(int("gen_ai.usage.input_tokens", n)));
            u.output_tokens.into_iter().for_each(|n| attrs.push(int("gen_ai.usage.output_tokens", n)));
            u.total_tokens.into_iter().for_each(|n| attrs.push(int("gen_ai.usage.total_tokens", n)));
        }
        if let Some(v) = &s.input {
            attrs.push(text("input.value", &payload_text(v)));
        }
        if let Some(v) = &s.output {
            attrs.push(text("output.value", &payload_text(v)));
        }
        if let Some(u) = &s.user_id {
            attrs.push(text("user.id", u));
        }
        if let Some(x) = &s.session_id {
            attrs.push(text("session.id", x));
        }
        if !s.tags.is_empty() {
            let values: Vec<Value> = s.tags.iter().map(|t| json!({ "stringValue": t })).collect();
            attrs.push(json!({ "key": "tag.tags", "value": { "arrayValue": { "values": values } } }));
        }
        for (k, v) in &s.metadata {
            attrs.push(json!({ "key": format!("metadata.{k}"), "value": any_value(v) }));
        }
        let mut span = json!({
            "traceId": s.trace_id.to_ascii_lowercase(),
            "spanId": s.span_id.to_ascii_lowercase(),
            "name": s.name,
            "kind": kind,
            "startTimeUnixNano": start.to_string(),
            "endTimeUnixNano": end.to_string(),
            "attributes": attrs,
            "status": { "code": status, "message": s.status_message.clone().unwrap_or_default() },
        });
        if let Some(p) = &s.parent_span_id {
            span["parentSpanId"] = json!(p.to_ascii_lowercase());
        }
        let service = s.service_name.clone().unwrap_or_else(|| "unknown_service".into());
        resources.entry((service, s.environment.clone())).or_default().push(span);
    }
    let resource_spans: Vec<Value> = resources
        .into_iter()
        .map(|((service, env), spans)| {
            let mut attrs = vec![text("service.name", &service)];
            if let Some(e) = env {
                attrs.push(text("deployment.environment.name", &e));
            }
            json!({ "resource": { "attributes": attrs }, "scopeSpans": [{ "scope": { "name": "elasticdash.ingest-api" }, "spans": spans }] })
        })
        .collect();
    Ok(json!({ "resourceSpans": resource_spans }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_from_rfc3339_and_nanos() {
        assert_eq!(parse_time(&json!("1970-01-01T00:00:01Z")).unwrap(), 1_000_000_000);
        assert_eq!(parse_time(&json!(42)).unwrap(), 42);
        assert!(parse_time(&json!("yesterday")).is_err());
        assert!(parse_time(&json!(-1)).is_err());
        assert!(parse_time(&json!("1960-01-01T00:00:00Z")).unwrap_err().contains("before 1970"));
    }

    #[test]
    fn errors_name_the_span_and_field() {
        let batch: SpanBatch = serde_json::from_value(json!({ "spans": [
            { "trace_id": "0af7651916cd43dd8448eb211c80319c", "span_id": "b7ad6b7169203331", "name": "a", "start_time": 1, "end_time": 2 },
            { "trace_id": "xyz", "span_id": "b7ad6b7169203331", "name": "b", "start_time": 1, "end_time": 2 }
        ]}))
        .unwrap();
        assert!(to_otlp_json(&batch).unwrap_err().starts_with("spans[1].trace_id:"));
    }
}
