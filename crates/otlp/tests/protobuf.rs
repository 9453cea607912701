//! OTLP/HTTP protobuf bodies end to end: realistic batches, the Python SDK's own bytes, gzip,
//! every malformed case, and the request-level limits.

mod common;

use common::*;
use opentelemetry_proto::tonic::common::v1::{any_value::Value, AnyValue, KeyValue, KeyValueList};
use opentelemetry_proto::tonic::trace::v1::Span;
use otlp::{decode_and_map, DecodeError, Limits, PayloadFormat, PriceTable, SpanKind, StatusCode};
use prost::Message;
use serde_json::json;

fn run(body: &[u8], limits: &Limits) -> Result<otlp::Decoded, DecodeError> {
    decode_and_map(body, PROTOBUF, None, &options(limits, &PriceTable::seeded()))
}

fn json_of(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap()
}

#[test]
fn realistic_genai_batch() {
    let body = genai_request(400).encode_to_vec();
    let decoded = run(&body, &Limits::default()).unwrap();
    assert_eq!((decoded.rows.len(), decoded.rejected_spans, decoded.error_message.as_deref()), (400, 0, None));
    assert_eq!(decoded.format, PayloadFormat::Protobuf);

    let root = &decoded.rows[0];
    assert_eq!(
        (root.parent_span_id.as_deref(), root.session_id.as_deref(), root.user_id.as_deref()),
        (None, Some("sess-1"), Some("user-9"))
    );
    assert_eq!(
        (root.service_name.as_str(), root.environment.as_deref(), root.scope_name.as_str()),
        ("bench-app", Some("prod"), "genai-instrumentation")
    );
    assert_eq!(root.tags, ["prod", "billing"]);

    let chat = &decoded.rows[1];
    assert_eq!(chat.parent_span_id.as_deref(), Some(root.span_id.as_str()));
    assert_eq!(chat.trace_id, root.trace_id);
    assert_eq!((chat.model.as_deref(), chat.provider.as_deref()), (Some("gpt-4o-2024-08-06"), Some("openai")));
    assert_eq!((chat.input_tokens, chat.output_tokens, chat.total_tokens), (Some(812), Some(164), Some(976)));
    // 812 × 2.50 + 164 × 10.00 µ$ = 2030 + 1640.
    assert_eq!(chat.cost_micros, Some(3_670));
    assert_eq!(json_of(chat.input.as_deref().unwrap())[1]["role"], "user");
    assert_eq!(json_of(chat.output.as_deref().unwrap())[0]["finish_reason"], "stop");
    assert_eq!(
        json_of(&chat.attributes),
        json!({"gen_ai.request.model": "gpt-4o", "gen_ai.request.temperature": 0.2, "gen_ai.request.max_tokens": 1024, "http.response.status_code": 200})
    );

    let llm = &decoded.rows[2];
    assert_eq!(
        (llm.operation.as_deref(), llm.model.as_deref(), llm.total_tokens),
        (Some("llm"), Some("claude-sonnet-4-20250514"), Some(760))
    );
    // 640 × 3 + 120 × 15 µ$.
    assert_eq!(llm.cost_micros, Some(3_720));

    let tool = &decoded.rows[3];
    assert_eq!(
        (tool.operation.as_deref(), tool.input.as_deref(), tool.status_code),
        (Some("tool"), Some(r#"{"invoice":"INV-2291"}"#), StatusCode::Ok)
    );
    assert_eq!(json_of(&tool.events)[0]["name"], "cache.miss");
    assert_eq!(tool.duration_ns, 1_000_000_000);
}

#[test]
fn python_sdk_fixture() {
    let body = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/python_sdk_genai.pb")).unwrap();
    let (limits, prices) = (Limits::default(), PriceTable::seeded());
    let opts = otlp::MapOptions { now_unix_nano: PYTHON_FIXTURE_T0 + 3_600_000_000_000, ..options(&limits, &prices) };
    let decoded = decode_and_map(&body, PROTOBUF, None, &opts).unwrap();
    assert_eq!((decoded.rows.len(), decoded.rejected_spans), (4, 0));
    let by_name = |n: &str| decoded.rows.iter().find(|r| r.name == n).unwrap();

    let root = by_name("agent.run");
    assert_eq!(
        (root.session_id.as_deref(), root.user_id.as_deref(), root.tags.clone()),
        (Some("sess-42"), Some("user-7"), vec!["beta".to_owned(), "support".to_owned()])
    );
    assert_eq!((root.service_name.as_str(), root.environment.as_deref()), ("support-bot", Some("staging")));
    assert_eq!((root.scope_name.as_str(), root.scope_version.as_str()), ("support-bot.agent", "1.2.3"));
    assert!(json_of(&root.resource_attributes)["telemetry.sdk.language"] == "python");

    let chat = by_name("chat gpt-4o-mini");
    assert_eq!(chat.parent_span_id.as_deref(), Some(root.span_id.as_str()));
    assert_eq!(
        (chat.kind, chat.model.as_deref(), chat.input_tokens, chat.output_tokens),
        (SpanKind::Client, Some("gpt-4o-mini-2024-07-18"), Some(1200), Some(300))
    );
    assert_eq!(chat.cost_micros, Some(360)); // 1200 × 0.15 + 300 × 0.60
    assert_eq!(
        json_of(chat.input.as_deref().unwrap()),
        json!([{"role": "system", "content": "You are a helpful support agent."}, {"role": "user", "content": "Where is my order #123?"}])
    );
    assert_eq!(json_of(chat.output.as_deref().unwrap())[0]["content"], "It ships tomorrow.");
    assert_eq!(chat.duration_ns, 800_000_000);
    assert_eq!(json_of(&chat.attributes)["gen_ai.response.finish_reasons"], json!(["stop"]));

    let llm = by_name("ChatAnthropic");
    assert_eq!((llm.status_code, llm.status_message.as_str()), (StatusCode::Error, "rate limited, retried"));
    assert_eq!(llm.cost_micros, Some(1_440)); // 800 × 0.80 + 200 × 4.00
    assert_eq!(json_of(&llm.events)[0]["name"], "exception");

    assert_eq!(by_name("tool lookup_order").output.as_deref(), Some("shipped"));
}

#[test]
fn gzip_bodies_and_bombs() {
    let body = genai_request(40).encode_to_vec();
    let (limits, prices) = (Limits::default(), PriceTable::seeded());
    let plain = decode_and_map(&body, PROTOBUF, None, &options(&limits, &prices)).unwrap();
    let zipped = decode_and_map(&gzip(&body), PROTOBUF, Some("gzip"), &options(&limits, &prices)).unwrap();
    assert_eq!(plain, zipped);

    let small = Limits { max_body_bytes: body.len() - 1, ..Limits::default() };
    let err = decode_and_map(&gzip(&body), PROTOBUF, Some("gzip"), &options(&small, &prices)).unwrap_err();
    assert_eq!((err.status(), err.clone()), (413, DecodeError::TooLarge { limit: body.len() - 1 }));
    assert_eq!(decode_and_map(&gzip(&vec![0; 80 << 20]), PROTOBUF, Some("gzip"), &options(&limits, &prices)).unwrap_err().status(), 413);
    assert_eq!(decode_and_map(&body, PROTOBUF, Some("gzip"), &options(&limits, &prices)).unwrap_err().status(), 400, "not actually gzip");
    assert_eq!(decode_and_map(&body, PROTOBUF, Some("zstd"), &options(&limits, &prices)).unwrap_err().status(), 415);
}

#[test]
fn wrong_content_type_is_415() {
    let body = genai_request(4).encode_to_vec();
    for ct in ["text/plain", "application/grpc", "", "application/xml"] {
        let err = decode_and_map(&body, ct, None, &options(&Limits::default(), &PriceTable::seeded())).unwrap_err();
        assert_eq!(err.status(), 415, "{ct}");
        assert!(err.to_string().contains("application/x-protobuf"));
    }
}

#[test]
fn truncated_protobuf_is_400_at_every_cut() {
    let body = genai_request(4).encode_to_vec();
    let mut refused = 0;
    for cut in 1..body.len() {
        match run(&body[..cut], &Limits::default()) {
            Err(e) => {
                assert_eq!(e.status(), 400);
                assert!(e.to_string().starts_with("malformed request: invalid protobuf"), "{e}");
                refused += 1;
            }
            // A cut exactly at a field boundary is a valid (shorter) message: fine, never a panic.
            Ok(d) => assert!(d.rows.len() + d.rejected_spans as usize <= 4),
        }
    }
    assert!(refused > body.len() / 2, "most cuts must be refused, {refused} of {}", body.len());
}

#[test]
fn invalid_ids_and_timestamps_are_partial_success() {
    let good = |n| plain_span(n, "ok", vec![]);
    let mut bad: Vec<(Span, &str)> = Vec::new();
    let mut s = good(1);
    s.trace_id = vec![0; 16];
    bad.push((s, "trace_id: all zeros"));
    let mut s = good(2);
    s.span_id = vec![1; 7];
    bad.push((s, "span_id: 7 bytes"));
    let mut s = good(3);
    s.parent_span_id = vec![1; 4];
    bad.push((s, "parent_span_id: 4 bytes"));
    let mut s = good(4);
    s.start_time_unix_nano = 0;
    bad.push((s, "start_time_unix_nano is missing"));
    let mut s = good(5);
    s.end_time_unix_nano = s.start_time_unix_nano - 1;
    bad.push((s, "before start_time"));
    let mut s = good(6);
    s.start_time_unix_nano /= 1_000_000; // milliseconds sent as nanoseconds
    bad.push((s, "before 2000-01-01"));
    let mut s = good(7);
    s.end_time_unix_nano = NOW + 2 * 86_400_000_000_000;
    bad.push((s, "more than a day in the future"));

    for (span, reason) in &bad {
        let decoded = run(&request(vec![good(0), span.clone(), good(9)]).encode_to_vec(), &Limits::default()).unwrap();
        assert_eq!((decoded.rows.len(), decoded.rejected_spans), (2, 1), "{reason}");
        let msg = decoded.error_message.unwrap();
        assert!(msg.contains(reason), "{msg} should mention {reason}");
    }
    let all = run(&request(bad.iter().map(|(s, _)| s.clone()).collect()).encode_to_vec(), &Limits::default()).unwrap();
    assert_eq!((all.rows.len(), all.rejected_spans), (0, 7));
    assert!(all.error_message.as_deref().unwrap().contains("all zeros"), "the first error is reported");
    let response = all_response(&all);
    assert_eq!(response.rejected_spans, 7);
}

fn all_response(decoded: &otlp::Decoded) -> opentelemetry_proto::tonic::collector::trace::v1::ExportTracePartialSuccess {
    let bytes = decoded.encode_response();
    opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse::decode(&bytes[..]).unwrap().partial_success.unwrap()
}

fn nested(depth: usize) -> AnyValue {
    let mut v = AnyValue { value: Some(Value::StringValue("leaf".into())) };
    for _ in 0..depth {
        v = AnyValue {
            value: Some(Value::KvlistValue(KeyValueList {
                values: vec![KeyValue { key: "k".into(), value: Some(v), ..Default::default() }],
            })),
        };
    }
    v
}

#[test]
fn deep_nesting_is_cut_or_refused() {
    let deep = |depth| {
        request(vec![plain_span(0, "deep", vec![KeyValue { key: "deep".into(), value: Some(nested(depth)), ..Default::default() }])])
            .encode_to_vec()
    };
    // Within prost's recursion limit: accepted, the value is cut at `max_value_depth`.
    // Each level costs prost three recursion steps (AnyValue, KeyValueList, KeyValue).
    let decoded = run(&deep(25), &Limits::default()).unwrap();
    let row = &decoded.rows[0];
    assert!(row.truncated);
    assert!(row.attributes.contains("[nested too deep]"));
    assert_eq!(row.attributes.matches("\"k\"").count(), Limits::default().max_value_depth);
    // Beyond it: the protobuf decoder refuses the request.
    let err = run(&deep(200), &Limits::default()).unwrap_err();
    assert_eq!(err.status(), 400);
    assert!(err.to_string().contains("recursion limit"), "{err}");
    assert!(err.to_string().len() < 400, "the message sent back is clipped: {err}");
}

#[test]
fn huge_attributes_are_truncated_and_large_io_flagged() {
    let limits = Limits::default();
    let big = "é".repeat(limits.max_attribute_value_bytes); // 2 bytes each: twice the limit
    let span = plain_span(0, "big", vec![kv("blob", s(&big)), kv("input.value", s(&big)), kv("output.value", s("small"))]);
    let row = run(&request(vec![span]).encode_to_vec(), &limits).unwrap().rows.remove(0);
    let attrs = json_of(&row.attributes);
    let kept = attrs["blob"].as_str().unwrap();
    assert!(kept.ends_with("…[truncated]") && kept.len() <= limits.max_attribute_value_bytes + 20);
    assert!(row.truncated);
    assert_eq!(row.input.as_deref(), Some(big.as_str()), "input is never truncated");
    assert!(row.input_oversize && !row.output_oversize);
}

#[test]
fn too_many_attributes_keeps_the_first() {
    let limits = Limits { max_attributes_per_span: 10, ..Limits::default() };
    let attrs = (0..50).map(|i| kv(&format!("a{i}"), Value::IntValue(i))).collect();
    let row = run(&request(vec![plain_span(0, "many", attrs)]).encode_to_vec(), &limits).unwrap().rows.remove(0);
    let kept = json_of(&row.attributes);
    assert_eq!(kept.as_object().unwrap().len(), 10);
    assert_eq!(kept["a9"], 9);
    assert!(row.truncated);
}

#[test]
fn hundred_thousand_spans_deterministically() {
    let body = request((0..100_000).map(|n| plain_span(n, "s", vec![])).collect()).encode_to_vec();
    // Default limit: refused whole, before any mapping, with a clear 413.
    let err = run(&body, &Limits::default()).unwrap_err();
    assert_eq!(err, DecodeError::TooManySpans { count: 100_000, limit: 20_000 });
    assert_eq!(err.status(), 413);
    // Raised limit: all accepted.
    let decoded = run(&body, &Limits { max_spans: 100_000, ..Limits::default() }).unwrap();
    assert_eq!((decoded.rows.len(), decoded.rejected_spans), (100_000, 0));
}

#[test]
fn empty_body_is_an_empty_success() {
    let decoded = run(&[], &Limits::default()).unwrap();
    assert!(decoded.rows.is_empty());
    assert!(decoded.encode_response().is_empty());
}

#[test]
fn a_cost_beyond_what_stores_hold_rejects_only_that_span() {
    let int = |v: i64| Value::IntValue(v);
    let mut huge = plain_span(1, "too expensive", vec![kv("gen_ai.request.model", s("o1-pro"))]);
    huge.attributes.push(kv("gen_ai.usage.input_tokens", int(i64::MAX)));
    huge.attributes.push(kv("gen_ai.usage.output_tokens", int(i64::MAX)));
    let fine = plain_span(2, "fine", vec![]);
    let decoded = run(&request(vec![huge, fine]).encode_to_vec(), &Limits::default()).unwrap();
    assert_eq!(decoded.rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["fine"]);
    assert_eq!(decoded.rejected_spans, 1);
    assert!(decoded.error_message.unwrap().contains("is too large"), "the reason says what is wrong");
}
