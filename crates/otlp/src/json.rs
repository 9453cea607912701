//! OTLP/JSON as the specification defines it (protobuf JSON mapping with OTLP's deviations):
//! lowerCamelCase keys (snake_case accepted too, as proto3 JSON parsers do), trace and span ids
//! as hex strings (not base64), enums as integers (names accepted), 64-bit integers as numbers
//! or decimal strings, `bytesValue` as base64, unknown fields ignored.
//!
//! Structural errors above span level refuse the request (400); a bad field inside a span
//! rejects only that span. serde_json's own recursion limit (128) bounds parse-time nesting.

use base64::Engine;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span, ResourceSpans, ScopeSpans, Span, Status};
use serde_json::{Map, Value};

use crate::decode::DecodeError;
use crate::validate::Rejections;

type Obj = Map<String, Value>;

pub(crate) fn parse(bytes: &[u8], rejections: &mut Rejections) -> Result<ExportTraceServiceRequest, DecodeError> {
    let root: Value = serde_json::from_slice(bytes).map_err(|e| DecodeError::Malformed(format!("invalid JSON: {e}")))?;
    let root = object(&root, "request").map_err(DecodeError::Malformed)?;
    let mut resource_spans = Vec::new();
    for (i, rs) in
        array(field(root, "resourceSpans", "resource_spans"), "resourceSpans").map_err(DecodeError::Malformed)?.iter().enumerate()
    {
        let rs = resource_spans_of(rs, rejections).map_err(|e| DecodeError::Malformed(format!("resourceSpans[{i}]: {e}")))?;
        resource_spans.push(rs);
    }
    Ok(ExportTraceServiceRequest { resource_spans })
}

fn resource_spans_of(value: &Value, rejections: &mut Rejections) -> Result<ResourceSpans, String> {
    let obj = object(value, "resourceSpans item")?;
    let resource = match field(obj, "resource", "resource") {
        Some(r) => {
            Some(Resource { attributes: key_values(field(object(r, "resource")?, "attributes", "attributes"))?, ..Default::default() })
        }
        None => None,
    };
    let mut scope_spans = Vec::new();
    for (i, ss) in array(field(obj, "scopeSpans", "scope_spans"), "scopeSpans")?.iter().enumerate() {
        scope_spans.push(scope_spans_of(ss, rejections).map_err(|e| format!("scopeSpans[{i}]: {e}"))?);
    }
    Ok(ResourceSpans { resource, scope_spans, schema_url: string(field(obj, "schemaUrl", "schema_url"))? })
}

fn scope_spans_of(value: &Value, rejections: &mut Rejections) -> Result<ScopeSpans, String> {
    let obj = object(value, "scopeSpans item")?;
    let scope = match field(obj, "scope", "scope") {
        Some(s) => {
            let s = object(s, "scope")?;
            Some(InstrumentationScope {
                name: string(field(s, "name", "name"))?,
                version: string(field(s, "version", "version"))?,
                attributes: key_values(field(s, "attributes", "attributes"))?,
                dropped_attributes_count: 0,
            })
        }
        None => None,
    };
    let mut spans = Vec::new();
    for (i, s) in array(field(obj, "spans", "spans"), "spans")?.iter().enumerate() {
        match span_of(s) {
            Ok(span) => spans.push(span),
            Err(e) => rejections.add(|| format!("span #{i}: {e}")),
        }
    }
    Ok(ScopeSpans { scope, spans, schema_url: string(field(obj, "schemaUrl", "schema_url"))? })
}

fn span_of(value: &Value) -> Result<Span, String> {
    let obj = object(value, "span")?;
    let status = match field(obj, "status", "status") {
        Some(s) => {
            let s = object(s, "status")?;
            Some(Status { message: string(field(s, "message", "message"))?, code: enum_value(field(s, "code", "code"), status_code)? })
        }
        None => None,
    };
    let mut events = Vec::new();
    for e in array(field(obj, "events", "events"), "events")? {
        let e = object(e, "event")?;
        events.push(span::Event {
            time_unix_nano: uint(field(e, "timeUnixNano", "time_unix_nano"), "timeUnixNano")?,
            name: string(field(e, "name", "name"))?,
            attributes: key_values(field(e, "attributes", "attributes"))?,
            dropped_attributes_count: 0,
        });
    }
    let mut links = Vec::new();
    for l in array(field(obj, "links", "links"), "links")? {
        let l = object(l, "link")?;
        links.push(span::Link {
            trace_id: hex_id(field(l, "traceId", "trace_id"), "link traceId")?,
            span_id: hex_id(field(l, "spanId", "span_id"), "link spanId")?,
            trace_state: string(field(l, "traceState", "trace_state"))?,
            attributes: key_values(field(l, "attributes", "attributes"))?,
            ..Default::default()
        });
    }
    Ok(Span {
        trace_id: hex_id(field(obj, "traceId", "trace_id"), "traceId")?,
        span_id: hex_id(field(obj, "spanId", "span_id"), "spanId")?,
        parent_span_id: hex_id(field(obj, "parentSpanId", "parent_span_id"), "parentSpanId")?,
        trace_state: string(field(obj, "traceState", "trace_state"))?,
        flags: uint(field(obj, "flags", "flags"), "flags")?.min(u32::MAX as u64) as u32,
        name: string(field(obj, "name", "name"))?,
        kind: enum_value(field(obj, "kind", "kind"), span_kind)?,
        start_time_unix_nano: uint(field(obj, "startTimeUnixNano", "start_time_unix_nano"), "startTimeUnixNano")?,
        end_time_unix_nano: uint(field(obj, "endTimeUnixNano", "end_time_unix_nano"), "endTimeUnixNano")?,
        attributes: key_values(field(obj, "attributes", "attributes"))?,
        events,
        links,
        status,
        ..Default::default()
    })
}

fn key_values(value: Option<&Value>) -> Result<Vec<KeyValue>, String> {
    array(value, "attributes")?
        .iter()
        .map(|kv| {
            let kv = object(kv, "attribute")?;
            let key = string(field(kv, "key", "key"))?;
            let value = match field(kv, "value", "value") {
                Some(v) => Some(any_value(v).map_err(|e| format!("attribute {key:?}: {e}"))?),
                None => None,
            };
            Ok(KeyValue { key, value, ..Default::default() })
        })
        .collect()
}

fn any_value(value: &Value) -> Result<AnyValue, String> {
    let obj = object(value, "AnyValue")?;
    // An AnyValue with no known variant is "empty", which the spec allows.
    let mut out = None;
    for (key, v) in obj {
        if v.is_null() {
            continue;
        }
        out = Some(match key.as_str() {
            "stringValue" | "string_value" => any_value::Value::StringValue(string(Some(v))?),
            "boolValue" | "bool_value" => any_value::Value::BoolValue(v.as_bool().ok_or("boolValue is not a boolean")?),
            "intValue" | "int_value" => any_value::Value::IntValue(int(v)?),
            "doubleValue" | "double_value" => any_value::Value::DoubleValue(double(v)?),
            "bytesValue" | "bytes_value" => any_value::Value::BytesValue(
                base64::engine::general_purpose::STANDARD
                    .decode(v.as_str().ok_or("bytesValue is not a string")?)
                    .map_err(|e| format!("bytesValue: {e}"))?,
            ),
            "arrayValue" | "array_value" => {
                let values = array(field(object(v, "arrayValue")?, "values", "values"), "arrayValue.values")?;
                any_value::Value::ArrayValue(ArrayValue { values: values.iter().map(any_value).collect::<Result<_, _>>()? })
            }
            "kvlistValue" | "kvlist_value" => {
                any_value::Value::KvlistValue(KeyValueList { values: key_values(field(object(v, "kvlistValue")?, "values", "values"))? })
            }
            _ => continue,
        });
    }
    Ok(AnyValue { value: out })
}

/// Looks a field up by its lowerCamelCase name, then its proto name; `null` counts as absent.
fn field<'a>(obj: &'a Obj, camel: &str, snake: &str) -> Option<&'a Value> {
    obj.get(camel).or_else(|| obj.get(snake)).filter(|v| !v.is_null())
}

fn object<'a>(value: &'a Value, what: &str) -> Result<&'a Obj, String> {
    value.as_object().ok_or_else(|| format!("{what} is not a JSON object"))
}

fn array<'a>(value: Option<&'a Value>, what: &str) -> Result<&'a [Value], String> {
    match value {
        None => Ok(&[]),
        Some(v) => v.as_array().map(Vec::as_slice).ok_or_else(|| format!("{what} is not a JSON array")),
    }
}

fn string(value: Option<&Value>) -> Result<String, String> {
    match value {
        None => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(format!("expected a string, found {}", kind(other))),
    }
}

/// Trace/span ids are hex in OTLP/JSON; an empty string means "not set".
fn hex_id(value: Option<&Value>, what: &str) -> Result<Vec<u8>, String> {
    let s = string(value).map_err(|e| format!("{what}: {e}"))?;
    hex::decode(&s).map_err(|_| format!("invalid {what} {:?}: not a hex string", s.chars().take(40).collect::<String>()))
}

/// fixed64/uint64: a JSON number or a decimal string.
fn uint(value: Option<&Value>, what: &str) -> Result<u64, String> {
    match value {
        None => Ok(0),
        Some(Value::Number(n)) => n.as_u64().ok_or_else(|| format!("{what} {n} is not an unsigned integer")),
        Some(Value::String(s)) => s.trim().parse().map_err(|_| format!("{what} {s:?} is not an unsigned integer")),
        Some(other) => Err(format!("{what}: expected an integer, found {}", kind(other))),
    }
}

fn int(value: &Value) -> Result<i64, String> {
    match value {
        Value::Number(n) => n.as_i64().ok_or_else(|| format!("intValue {n} is not a 64-bit integer")),
        Value::String(s) => s.trim().parse().map_err(|_| format!("intValue {s:?} is not an integer")),
        other => Err(format!("intValue: expected an integer, found {}", kind(other))),
    }
}

/// Proto3 JSON writes non-finite doubles as strings.
fn double(value: &Value) -> Result<f64, String> {
    match value {
        Value::Number(n) => n.as_f64().ok_or_else(|| "doubleValue out of range".to_owned()),
        Value::String(s) => match s.as_str() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            _ => s.trim().parse().map_err(|_| format!("doubleValue {s:?} is not a number")),
        },
        other => Err(format!("doubleValue: expected a number, found {}", kind(other))),
    }
}

/// OTLP/JSON enums are integers; names are accepted as the proto3 JSON mapping allows.
fn enum_value(value: Option<&Value>, by_name: fn(&str) -> Option<i32>) -> Result<i32, String> {
    match value {
        None => Ok(0),
        Some(Value::Number(n)) => n.as_i64().and_then(|i| i32::try_from(i).ok()).ok_or_else(|| format!("enum value {n} out of range")),
        Some(Value::String(s)) => by_name(s).ok_or_else(|| format!("unknown enum value {s:?}")),
        Some(other) => Err(format!("enum: expected an integer, found {}", kind(other))),
    }
}

fn span_kind(name: &str) -> Option<i32> {
    span::SpanKind::from_str_name(name).map(|k| k as i32)
}

fn status_code(name: &str) -> Option<i32> {
    opentelemetry_proto::tonic::trace::v1::status::StatusCode::from_str_name(name).map(|c| c as i32)
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> (Result<ExportTraceServiceRequest, DecodeError>, Rejections) {
        let mut r = Rejections::default();
        (parse(s.as_bytes(), &mut r), r)
    }

    #[test]
    fn scalars_accept_numbers_and_strings() {
        assert_eq!(uint(Some(&serde_json::json!("1544712660300000000")), "t").unwrap(), 1_544_712_660_300_000_000);
        assert_eq!(uint(Some(&serde_json::json!(12)), "t").unwrap(), 12);
        assert!(uint(Some(&serde_json::json!(-1)), "t").is_err());
        assert_eq!(int(&serde_json::json!("-5")).unwrap(), -5);
        assert!(double(&serde_json::json!("NaN")).unwrap().is_nan());
        assert_eq!(enum_value(Some(&serde_json::json!("SPAN_KIND_CLIENT")), span_kind).unwrap(), 3);
        assert_eq!(enum_value(Some(&serde_json::json!(2)), span_kind).unwrap(), 2);
    }

    #[test]
    fn any_value_variants() {
        let v = any_value(&serde_json::json!({"kvlistValue": {"values": [
            {"key": "a", "value": {"arrayValue": {"values": [{"intValue": "7"}, {"boolValue": true}, {"bytesValue": "AQI="}]}}}
        ]}}))
        .unwrap();
        let Some(any_value::Value::KvlistValue(list)) = v.value else { panic!("not a kvlist") };
        let Some(any_value::Value::ArrayValue(arr)) = &list.values[0].value.as_ref().unwrap().value else { panic!("not an array") };
        assert_eq!(arr.values[0].value, Some(any_value::Value::IntValue(7)));
        assert_eq!(arr.values[2].value, Some(any_value::Value::BytesValue(vec![1, 2])));
        assert_eq!(any_value(&serde_json::json!({})).unwrap().value, None);
    }

    #[test]
    fn structural_errors_refuse_span_errors_reject() {
        assert_eq!(parse_str("[]").0.unwrap_err().to_string(), "malformed request: request is not a JSON object");
        assert!(parse_str(r#"{"resourceSpans": {}}"#).0.is_err());
        let (req, rej) =
            parse_str(r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz","spanId":"0102030405060708"},{"name":"ok"}]}]}]}"#);
        assert_eq!(req.unwrap().resource_spans[0].scope_spans[0].spans.len(), 1);
        assert_eq!(rej.count, 1);
        assert!(rej.first.unwrap().contains("not a hex string"));
    }

    #[test]
    fn empty_and_snake_case_bodies() {
        assert!(parse_str("{}").0.unwrap().resource_spans.is_empty());
        let (req, _) = parse_str(r#"{"resource_spans":[{"scope_spans":[{"spans":[{"trace_id":"0102","start_time_unix_nano":"5"}]}]}]}"#);
        let span = &req.unwrap().resource_spans[0].scope_spans[0].spans[0];
        assert_eq!((span.trace_id.as_slice(), span.start_time_unix_nano), (&[1u8, 2][..], 5));
    }
}
