//! OTLP/JSON bodies as the specification writes them: the spec's own example, GenAI spans in
//! both conventions, gzip, and the malformed cases.

mod common;

use common::*;
use otlp::{decode_and_map, DecodeError, Decoded, Limits, PayloadFormat, PriceTable, SpanKind};
use serde_json::{json, Value};

fn run(body: &str) -> Result<Decoded, DecodeError> {
    run_with(body, &Limits::default())
}

fn run_with(body: &str, limits: &Limits) -> Result<Decoded, DecodeError> {
    decode_and_map(body.as_bytes(), JSON, None, &options(limits, &PriceTable::seeded()))
}

/// `opentelemetry-proto/examples/trace.json`, verbatim apart from recent timestamps (the spec's
/// 2018 times are valid too; `now` is fixed).
const SPEC_EXAMPLE: &str = r#"{
  "resourceSpans": [
    {
      "resource": {
        "attributes": [
          { "key": "service.name", "value": { "stringValue": "my.service" } }
        ]
      },
      "scopeSpans": [
        {
          "scope": {
            "name": "my.library",
            "version": "1.0.0",
            "attributes": [
              { "key": "my.scope.attribute", "value": { "stringValue": "some scope attribute" } }
            ]
          },
          "spans": [
            {
              "traceId": "5B8EFFF798038103D269B633813FC60C",
              "spanId": "EEE19B7EC3C1B174",
              "parentSpanId": "EEE19B7EC3C1B173",
              "name": "I'm a server span",
              "startTimeUnixNano": "1544712660000000000",
              "endTimeUnixNano": "1544712661000000000",
              "kind": 2,
              "attributes": [
                { "key": "my.span.attr", "value": { "stringValue": "some value" } }
              ]
            }
          ]
        }
      ]
    }
  ]
}"#;

/// Wraps spans (JSON values) in one resource.
fn body(spans: Value) -> String {
    json!({"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "svc"}}]},
        "scopeSpans": [{"scope": {"name": "s"}, "spans": spans}]}]})
    .to_string()
}

fn span(trace: &str, span: &str, attributes: Value) -> Value {
    json!({"traceId": trace, "spanId": span, "name": "n", "kind": 3,
        "startTimeUnixNano": (NOW - 2_000_000_000).to_string(), "endTimeUnixNano": NOW - 1_000_000_000, "attributes": attributes})
}

const TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const SPAN: &str = "b7ad6b7169203331";

#[test]
fn spec_example() {
    let decoded = run(SPEC_EXAMPLE).unwrap();
    assert_eq!((decoded.format, decoded.rows.len(), decoded.rejected_spans), (PayloadFormat::Json, 1, 0));
    let row = &decoded.rows[0];
    assert_eq!(row.trace_id, "5b8efff798038103d269b633813fc60c");
    assert_eq!((row.span_id.as_str(), row.parent_span_id.as_deref()), ("eee19b7ec3c1b174", Some("eee19b7ec3c1b173")));
    assert_eq!((row.kind, row.start_time_unix_nano, row.duration_ns), (SpanKind::Server, 1_544_712_660_000_000_000, 1_000_000_000));
    assert_eq!((row.service_name.as_str(), row.scope_name.as_str(), row.scope_version.as_str()), ("my.service", "my.library", "1.0.0"));
    assert_eq!(row.attributes, r#"{"my.span.attr":"some value"}"#);
    assert_eq!(decoded.encode_response(), b"{}");
}

#[test]
fn genai_span_with_every_value_shape() {
    let attrs = json!([
        {"key": "gen_ai.system", "value": {"stringValue": "openai"}},
        {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4.1-mini"}},
        {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "10000"}},
        {"key": "gen_ai.usage.output_tokens", "value": {"intValue": 2000}},
        {"key": "gen_ai.request.temperature", "value": {"doubleValue": 0.5}},
        {"key": "gen_ai.request.stream", "value": {"boolValue": false}},
        {"key": "gen_ai.request.stop_sequences", "value": {"arrayValue": {"values": [{"stringValue": "\n\n"}]}}},
        {"key": "gen_ai.input.messages", "value": {"stringValue": "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"مرحبا 你好\"}]}]"}},
        {"key": "gen_ai.output.messages", "value": {"arrayValue": {"values": [{"kvlistValue": {"values": [
            {"key": "role", "value": {"stringValue": "assistant"}}, {"key": "content", "value": {"stringValue": "hi"}}]}}]}}},
        {"key": "raw", "value": {"bytesValue": "3q2+7w=="}},
        {"key": "gen_ai.conversation.id", "value": {"stringValue": "conv-1"}},
        {"key": "empty"},
        {"key": "unknown.future", "value": {"someNewVariant": 1}}
    ]);
    let mut s = span(TRACE, SPAN, attrs);
    s["status"] = json!({"code": 2, "message": "upstream 500"});
    s["events"] = json!([{"timeUnixNano": "1", "name": "exception", "attributes": [{"key": "exception.type", "value": {"stringValue": "HTTPError"}}]}]);
    s["links"] = json!([{"traceId": TRACE, "spanId": "00f067aa0ba902b7"}]);
    let decoded = run(&body(json!([s]))).unwrap();
    assert_eq!(decoded.rejected_spans, 0, "{:?}", decoded.error_message);
    let row = &decoded.rows[0];
    assert_eq!((row.model.as_deref(), row.input_tokens, row.output_tokens), (Some("gpt-4.1-mini"), Some(10_000), Some(2_000)));
    assert_eq!(row.cost_micros, Some(7_200)); // 10k × 0.40 + 2k × 1.60
    assert_eq!(row.session_id.as_deref(), Some("conv-1"));
    assert!(row.input.as_deref().unwrap().contains("مرحبا 你好"));
    assert_eq!(serde_json::from_str::<Value>(row.output.as_deref().unwrap()).unwrap(), json!([{"role": "assistant", "content": "hi"}]));
    assert_eq!(row.status_message, "upstream 500");
    let attrs: Value = serde_json::from_str(&row.attributes).unwrap();
    assert_eq!(attrs["gen_ai.request.stop_sequences"], json!(["\n\n"]));
    assert_eq!((attrs["raw"].clone(), attrs["gen_ai.request.stream"].clone()), (json!("deadbeef"), json!(false)));
    assert!(attrs["empty"].is_null() || attrs.get("empty").is_none());
    assert!(attrs["unknown.future"].is_null(), "an unknown AnyValue variant is an empty value, not an error");
    assert_eq!(serde_json::from_str::<Value>(&row.links).unwrap()[0]["span_id"], "00f067aa0ba902b7");
}

#[test]
fn openinference_span_in_json() {
    let attrs = json!([
        {"key": "openinference.span.kind", "value": {"stringValue": "LLM"}},
        {"key": "llm.model_name", "value": {"stringValue": "gemini-2.5-flash"}},
        {"key": "llm.token_count.prompt", "value": {"intValue": "1000"}},
        {"key": "llm.token_count.completion", "value": {"intValue": "100"}},
        {"key": "input.value", "value": {"stringValue": "What is OTLP?"}},
        {"key": "output.value", "value": {"stringValue": "A protocol."}},
        {"key": "langfuse.user.id", "value": {"stringValue": "u-1"}}
    ]);
    let row = run(&body(json!([span(TRACE, SPAN, attrs)]))).unwrap().rows.remove(0);
    assert_eq!(
        (row.input.as_deref(), row.output.as_deref(), row.user_id.as_deref()),
        (Some("What is OTLP?"), Some("A protocol."), Some("u-1"))
    );
    assert_eq!((row.total_tokens, row.cost_micros), (Some(1_100), Some(550))); // 1000 × 0.30 + 100 × 2.50
}

#[test]
fn gzip_json() {
    let decoded = decode_and_map(
        &gzip(SPEC_EXAMPLE.as_bytes()),
        "application/json; charset=utf-8",
        Some("gzip"),
        &options(&Limits::default(), &PriceTable::seeded()),
    );
    assert_eq!(decoded.unwrap(), run(SPEC_EXAMPLE).unwrap());
}

#[test]
fn invalid_json_is_400() {
    for bad in [
        "",
        "{",
        "not json",
        "[]",
        "null",
        r#"{"resourceSpans": 5}"#,
        r#"{"resourceSpans": [{"scopeSpans": [{"spans": {}}]}]}"#,
        &SPEC_EXAMPLE[..200],
    ] {
        let err = run(bad).unwrap_err();
        assert_eq!(err.status(), 400, "{bad:?} → {err}");
    }
    let err = run(r#"{"resourceSpans": [{"resource": {"attributes": [{"key": "a", "value": {"intValue": "x"}}]}}]}"#).unwrap_err();
    assert_eq!(err.to_string(), r#"malformed request: resourceSpans[0]: attribute "a": intValue "x" is not an integer"#);
}

#[test]
fn bad_spans_are_rejected_alone() {
    let with = |key: &str, value: Value| {
        let mut s = span(TRACE, SPAN, json!([]));
        s[key] = value;
        s
    };
    let spans = vec![
        span(TRACE, SPAN, json!([])),
        span("W47/95gDgQPSabYzgT/GDA==", SPAN, json!([])), // base64, as protobuf JSON would write it
        span(TRACE, "b7ad6b71692033", json!([])),          // 7 bytes
        span("00000000000000000000000000000000", SPAN, json!([])),
        with("startTimeUnixNano", json!("yesterday")),
        with("endTimeUnixNano", json!("1")),
        span(TRACE, SPAN, json!([{"key": "x", "value": {"boolValue": "yes"}}])),
        span(TRACE, SPAN, json!([])),
    ];
    let decoded = run(&body(Value::Array(spans))).unwrap();
    assert_eq!((decoded.rows.len(), decoded.rejected_spans), (2, 6));
    assert!(
        decoded.error_message.as_deref().unwrap().contains("invalid traceId \"W47/95gDgQPSabYzgT/GDA==\": not a hex string"),
        "{:?}",
        decoded.error_message
    );
    let response: Value = serde_json::from_slice(&decoded.encode_response()).unwrap();
    assert_eq!(response["partialSuccess"]["rejectedSpans"], "6");
}

#[test]
fn deep_nesting() {
    fn nested(depth: usize) -> Value {
        (0..depth).fold(json!({"stringValue": "leaf"}), |v, _| json!({"kvlistValue": {"values": [{"key": "k", "value": v}]}}))
    }
    // Moderate nesting parses and is cut when mapped.
    let row = run(&body(json!([span(TRACE, SPAN, json!([{"key": "deep", "value": nested(25)}]))]))).unwrap().rows.remove(0);
    assert!(row.truncated && row.attributes.contains("[nested too deep]"));
    // Deeper than serde_json's recursion limit: refused, not a stack overflow.
    let err = run(&body(json!([span(TRACE, SPAN, json!([{"key": "deep", "value": nested(40)}]))]))).unwrap_err();
    assert_eq!(err.status(), 400);
    assert!(err.to_string().contains("recursion limit"), "{err}");
    let brackets = "[".repeat(1_000_000);
    assert_eq!(run(&brackets).unwrap_err().status(), 400);
}

#[test]
fn span_limit_counts_rejected_spans_too() {
    let spans: Vec<Value> = (0..10).map(|i| span(TRACE, if i % 2 == 0 { SPAN } else { "zz" }, json!([]))).collect();
    let err = run_with(&body(Value::Array(spans)), &Limits { max_spans: 5, ..Limits::default() }).unwrap_err();
    assert_eq!(err, DecodeError::TooManySpans { count: 10, limit: 5 });
}

#[test]
fn huge_string_attribute_is_truncated() {
    let limits = Limits { max_attribute_value_bytes: 1_000, ..Limits::default() };
    let big = "x".repeat(100_000);
    let row = run_with(&body(json!([span(TRACE, SPAN, json!([{"key": "big", "value": {"stringValue": big}}]))])), &limits)
        .unwrap()
        .rows
        .remove(0);
    assert!(row.attributes.len() < 1_100 && row.truncated);
}

#[test]
fn genai_fixture() {
    let decoded = run(include_str!("fixtures/genai.json")).unwrap();
    assert_eq!((decoded.rows.len(), decoded.rejected_spans), (3, 0));
    let [root, chat, retriever] = &decoded.rows[..] else { panic!() };
    assert_eq!(
        (root.session_id.as_deref(), root.user_id.as_deref(), root.environment.as_deref()),
        (Some("chat-2001"), Some("alice@example.com"), Some("production"))
    );
    assert_eq!(root.tags, ["travel", "beta"]);
    assert_eq!(
        (chat.model.as_deref(), chat.provider.as_deref(), chat.operation.as_deref()),
        (Some("claude-sonnet-4-5-20250929"), Some("anthropic"), Some("chat"))
    );
    assert_eq!(chat.cost_micros, Some(15_030)); // 2450 × 3 + 512 × 15
    let input: Value = serde_json::from_str(chat.input.as_deref().unwrap()).unwrap();
    assert_eq!(input[1], json!({"role": "user", "content": "Plan 3 days in Kyoto — 京都 — in April, vegetarian food."}));
    let output: Value = serde_json::from_str(chat.output.as_deref().unwrap()).unwrap();
    assert_eq!((output[0]["role"].as_str(), output[0]["finish_reason"].as_str()), (Some("assistant"), Some("end_turn")));
    assert_eq!(chat.events, "[]");
    assert_eq!(chat.session_id, None, "session is a span fact here, set on the root only");
    assert_eq!((retriever.operation.as_deref(), retriever.input.as_deref()), (Some("retriever"), Some("kyoto vegetarian april")));
    let attrs: Value = serde_json::from_str(&retriever.attributes).unwrap();
    assert_eq!(attrs["retrieval.documents.0.document.score"], 0.82);
}
