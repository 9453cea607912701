//! OTLP/HTTP trace ingestion through a real server: encodings, auth, isolation, malformed input,
//! partial success, blob offload, quota and back-pressure.

mod common;

use common::{add_user, spawn_app, spawn_with, TestApp};
use domain::{
    traces::{TraceFilter, TraceOrder, TraceQuery, PREVIEW_CHARS},
    GlobalRole, PlanLimits,
};
use flate2::{write::GzEncoder, Compression};
use opentelemetry_proto::tonic::{
    collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse},
    common::v1::{any_value, AnyValue, ArrayValue, KeyValue},
    resource::v1::Resource,
    trace::v1::{ResourceSpans, ScopeSpans, Span},
};
use prost::Message;
use reqwest::StatusCode;
use services::{Actor, RequestContext};
use std::io::Write;

struct Key {
    project_id: String,
    public_id: String,
    secret: String,
}

impl Key {
    fn basic(&self) -> String {
        use base64::Engine;
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", self.public_id, self.secret)))
    }
    fn bearer(&self) -> String {
        format!("Bearer {}:{}", self.public_id, self.secret)
    }
}

fn ctx_of(user: &services::ports::User) -> RequestContext {
    RequestContext { actor: Some(Actor { user_id: user.id.clone(), email: user.email.to_string(), role: user.role }), ..Default::default() }
}

/// A user owning project `slug` and a key of it with `scopes`.
async fn project_key(app: &TestApp, slug: &str, scopes: &[&str]) -> (services::ports::User, Key) {
    let user = add_user(app, &format!("{slug}@example.com"), GlobalRole::User).await;
    let ctx = ctx_of(&user);
    let store = app.stores.primary.as_ref();
    let input = services::projects::ProjectInput { name: slug.into(), slug: slug.into(), description: String::new() };
    let project = services::projects::create(store, &ctx, input).await.unwrap();
    let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
    let created = services::api_keys::create(store, &ctx, slug, "sdk", &scopes).await.unwrap();
    (user, Key { project_id: project.id, public_id: created.record.public_id, secret: created.secret })
}

fn now_ns() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
}

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue { key: key.into(), value: Some(AnyValue { value: Some(value) }), ..Default::default() }
}

fn s(v: &str) -> any_value::Value {
    any_value::Value::StringValue(v.into())
}

fn hex_bytes(h: &str) -> Vec<u8> {
    (0..h.len()).step_by(2).map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap()).collect()
}

fn trace_hex(n: u64) -> String {
    format!("{:032x}", 0xabc0_0000_0000_0000_0000u128 + n as u128)
}

fn span_hex(n: u64) -> String {
    format!("{:016x}", 0x5000_0000_0000_0000u64 + n)
}

fn span(trace: u64, id: u64, parent: Option<u64>, name: &str, attributes: Vec<KeyValue>) -> Span {
    let start = now_ns() - 5_000_000_000;
    Span {
        trace_id: hex_bytes(&trace_hex(trace)),
        span_id: hex_bytes(&span_hex(id)),
        parent_span_id: parent.map(|p| hex_bytes(&span_hex(p))).unwrap_or_default(),
        name: name.into(),
        kind: 1,
        start_time_unix_nano: start,
        end_time_unix_nano: start + 1_000_000,
        attributes,
        ..Default::default()
    }
}

fn request(spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource { attributes: vec![kv("service.name", s("otlp-test"))], ..Default::default() }),
            scope_spans: vec![ScopeSpans { spans, ..Default::default() }],
            ..Default::default()
        }],
    }
}

/// A small GenAI trace: root + one chat span.
fn genai_trace(trace: u64) -> Vec<Span> {
    vec![
        span(trace, 1, None, "agent", vec![kv("user.id", s("u-1")), kv("session.id", s("sess-1"))]),
        span(
            trace,
            2,
            Some(1),
            "chat gpt-4o",
            vec![
                kv("gen_ai.system", s("openai")),
                kv("gen_ai.request.model", s("gpt-4o")),
                kv("gen_ai.usage.input_tokens", any_value::Value::IntValue(1000)),
                kv("gen_ai.usage.output_tokens", any_value::Value::IntValue(500)),
                kv("x.custom", s("kept")),
            ],
        ),
    ]
}

async fn post(app: &TestApp, path: &str, auth: &str, content_type: &str, encoding: Option<&str>, body: Vec<u8>) -> reqwest::Response {
    let mut req = app.client.post(app.url(path)).header("authorization", auth).header("content-type", content_type).body(body);
    if let Some(e) = encoding {
        req = req.header("content-encoding", e);
    }
    req.send().await.unwrap()
}

async fn post_proto(app: &TestApp, key: &Key, req: &ExportTraceServiceRequest) -> reqwest::Response {
    post(app, "/v1/traces", &key.basic(), "application/x-protobuf", None, req.encode_to_vec()).await
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Every span stored in a project (all traces, all time).
async fn stored_spans(app: &TestApp, project_id: &str) -> u64 {
    let query = TraceQuery {
        filter: TraceFilter { from_ns: 0, to_ns: i64::MAX as u64, ..Default::default() },
        order: TraceOrder::Newest,
        after: None,
        limit: 500,
    };
    app.stores.analytics.list_traces(&test_support::pid(project_id), &query).await.unwrap().traces.iter().map(|t| t.span_count).sum()
}

#[tokio::test]
async fn protobuf_json_and_gzip_exports_are_stored_with_genai_fields() {
    let app = spawn_app().await;
    let (_, key) = project_key(&app, "alpha", &["ingest"]).await;

    // Protobuf, Basic auth.
    let res = post_proto(&app, &key, &request(genai_trace(1))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/x-protobuf");
    let body = ExportTraceServiceResponse::decode(res.bytes().await.unwrap()).unwrap();
    assert!(body.partial_success.is_none(), "{body:?}");
    let spans = app.stores.analytics.trace_spans(&test_support::pid(&key.project_id), &trace_hex(1)).await.unwrap();
    assert_eq!(spans.len(), 2);
    let chat = spans.iter().find(|r| r.name == "chat gpt-4o").unwrap();
    assert_eq!(chat.parent_span_id.as_deref(), Some(span_hex(1).as_str()));
    assert_eq!((chat.model.as_deref(), chat.input_tokens, chat.output_tokens), (Some("gpt-4o"), Some(1000), Some(500)));
    assert!(chat.cost_micros.is_some_and(|c| c > 0), "priced from the model table: {:?}", chat.cost_micros);
    assert!(chat.attributes.contains("x.custom"), "unknown attributes are kept: {}", chat.attributes);
    let root = spans.iter().find(|r| r.parent_span_id.is_none()).unwrap();
    assert_eq!(
        (root.user_id.as_deref(), root.session_id.as_deref(), root.service_name.as_str()),
        (Some("u-1"), Some("sess-1"), "otlp-test")
    );

    // Gzip-compressed protobuf on the /api/public alias, Bearer auth.
    let res = post(
        &app,
        "/api/public/otel/v1/traces",
        &key.bearer(),
        "application/x-protobuf",
        Some("gzip"),
        gzip(&request(genai_trace(2)).encode_to_vec()),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.stores.analytics.trace_spans(&test_support::pid(&key.project_id), &trace_hex(2)).await.unwrap().len(), 2);

    // OTLP/JSON (hex ids, string int64), answered in JSON.
    let start = now_ns() - 1_000_000_000;
    let json = serde_json::json!({ "resourceSpans": [{ "resource": { "attributes": [] }, "scopeSpans": [{ "spans": [{
        "traceId": trace_hex(3), "spanId": span_hex(1), "name": "json-root", "kind": 2,
        "startTimeUnixNano": start.to_string(), "endTimeUnixNano": (start + 10).to_string(),
        "attributes": [{ "key": "gen_ai.request.model", "value": { "stringValue": "claude-3-5-sonnet-20241022" } }]
    }]}]}]});
    let res = post(&app, "/v1/traces", &key.bearer(), "application/json", None, json.to_string().into_bytes()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/json");
    assert_eq!(res.json::<serde_json::Value>().await.unwrap(), serde_json::json!({}));
    let rows = app.stores.analytics.trace_spans(&test_support::pid(&key.project_id), &trace_hex(3)).await.unwrap();
    assert_eq!((rows.len(), rows[0].name.as_str(), rows[0].service_name.as_str()), (1, "json-root", "unknown_service"));

    // Gzip JSON too.
    let res = post(&app, "/v1/traces", &key.bearer(), "application/json", Some("gzip"), gzip(json.to_string().as_bytes())).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.stores.analytics.trace_spans(&test_support::pid(&key.project_id), &trace_hex(3)).await.unwrap().len(),
        1,
        "a resent span is kept once"
    );
    // Usage: one trace per root span written.
    let usage = app.stores.analytics.usage_by_day(&test_support::pid(&key.project_id), 0, i64::MAX).await.unwrap();
    let traces: u64 = usage.iter().filter(|d| d.kind == "traces_per_month").map(|d| d.quantity).sum();
    assert!(traces >= 3, "{usage:?}");
    app.shutdown().await;
}

#[tokio::test]
async fn bad_missing_revoked_or_unscoped_keys_are_refused_and_nothing_is_written() {
    let app = spawn_app().await;
    let (owner, key) = project_key(&app, "beta", &["ingest"]).await;
    let body = request(genai_trace(1)).encode_to_vec();
    let proto = "application/x-protobuf";

    let res = app.client.post(app.url("/v1/traces")).header("content-type", proto).body(body.clone()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers().contains_key("www-authenticate"));
    let wrong = Key { project_id: key.project_id.clone(), public_id: key.public_id.clone(), secret: "sk-ed-wrong".into() };
    assert_eq!(post(&app, "/v1/traces", &wrong.basic(), proto, None, body.clone()).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(post(&app, "/v1/traces", "Basic !!!not-base64", proto, None, body.clone()).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        post(&app, "/v1/traces", &format!("Bearer {}", key.secret), proto, None, body.clone()).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let res = post(&app, "/v1/traces", "Token abc", "application/json", None, b"{}".to_vec()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let status: serde_json::Value = res.json().await.unwrap();
    assert!(status["message"].as_str().unwrap().contains("Authorization"), "{status}");

    // A read-only key of the same project: authenticated but not allowed to ingest.
    let ctx = ctx_of(&owner);
    let read = services::api_keys::create(app.stores.primary.as_ref(), &ctx, "beta", "reader", &["read".into()]).await.unwrap();
    let reader = Key { project_id: key.project_id.clone(), public_id: read.record.public_id.clone(), secret: read.secret };
    assert_eq!(post(&app, "/v1/traces", &reader.basic(), proto, None, body.clone()).await.status(), StatusCode::FORBIDDEN);

    // A revoked key (revoked before this server cached it; revocations through the app's own
    // forms also clear its cache, others take effect within the cache TTL).
    let doomed = services::api_keys::create(app.stores.primary.as_ref(), &ctx, "beta", "doomed", &["ingest".into()]).await.unwrap();
    let cache = services::api_keys::KeyCache::new(std::time::Duration::from_secs(60));
    services::api_keys::revoke(app.stores.primary.as_ref(), &ctx, &cache, "beta", &doomed.record.id).await.unwrap();
    let revoked = Key { project_id: key.project_id.clone(), public_id: doomed.record.public_id.clone(), secret: doomed.secret };
    let res = post(&app, "/v1/traces", &revoked.basic(), proto, None, body.clone()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    assert_eq!(stored_spans(&app, &key.project_id).await, 0, "no refused request wrote anything");
    assert_eq!(post(&app, "/v1/traces", &key.basic(), proto, None, body).await.status(), StatusCode::OK);
    assert_eq!(stored_spans(&app, &key.project_id).await, 2);
    app.shutdown().await;
}

#[tokio::test]
async fn a_key_writes_only_into_its_own_project() {
    let app = spawn_app().await;
    let (_, a) = project_key(&app, "proj-a", &["ingest"]).await;
    let (_, b) = project_key(&app, "proj-b", &["ingest"]).await;
    assert_eq!(post_proto(&app, &a, &request(genai_trace(7))).await.status(), StatusCode::OK);
    assert_eq!(app.stores.analytics.trace_spans(&test_support::pid(&a.project_id), &trace_hex(7)).await.unwrap().len(), 2);
    assert!(app.stores.analytics.trace_spans(&test_support::pid(&b.project_id), &trace_hex(7)).await.unwrap().is_empty());
    assert_eq!(stored_spans(&app, &b.project_id).await, 0);
    // A's public id with B's secret is no key at all.
    let mixed = Key { project_id: b.project_id.clone(), public_id: a.public_id.clone(), secret: b.secret.clone() };
    assert_eq!(post_proto(&app, &mixed, &request(genai_trace(8))).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(stored_spans(&app, &b.project_id).await, 0);
    assert_eq!(stored_spans(&app, &a.project_id).await, 2);
    app.shutdown().await;
}

fn deep_value(depth: usize) -> AnyValue {
    let mut v = AnyValue { value: Some(s("leaf")) };
    for _ in 0..depth {
        v = AnyValue { value: Some(any_value::Value::ArrayValue(ArrayValue { values: vec![v] })) };
    }
    v
}

#[tokio::test]
async fn malformed_requests_get_a_clear_4xx_and_nothing_is_written() {
    let app = spawn_with(
        |mut s| {
            s.ingest.body_limit_bytes = 4 << 20;
            s
        },
        Vec::new(),
    )
    .await;
    let (_, key) = project_key(&app, "gamma", &["ingest"]).await;
    let proto = "application/x-protobuf";
    let valid = request(genai_trace(1)).encode_to_vec();

    let check = |status: StatusCode, expected: StatusCode, message: String, needle: &str| {
        assert_eq!(status, expected, "{message}");
        assert!(message.to_lowercase().contains(needle), "message {message:?} should mention {needle:?}");
    };
    async fn message(res: reqwest::Response) -> (StatusCode, String) {
        let status = res.status();
        let ct = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let bytes = res.bytes().await.unwrap();
        let text = if ct.starts_with("application/x-protobuf") {
            // google.rpc.Status: field 2 is the message.
            #[derive(Clone, PartialEq, prost::Message)]
            struct Status {
                #[prost(int32, tag = "1")]
                code: i32,
                #[prost(string, tag = "2")]
                message: String,
            }
            Status::decode(bytes).unwrap().message
        } else if ct.starts_with("application/json") {
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()["message"].as_str().unwrap_or_default().to_owned()
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
        };
        (status, text)
    }

    // Truncated protobuf.
    let (st, m) = message(post(&app, "/v1/traces", &key.basic(), proto, None, valid[..valid.len() - 7].to_vec()).await).await;
    check(st, StatusCode::BAD_REQUEST, m, "protobuf");
    // Wrong content type / encoding.
    let (st, m) = message(post(&app, "/v1/traces", &key.basic(), "text/plain", None, valid.clone()).await).await;
    check(st, StatusCode::UNSUPPORTED_MEDIA_TYPE, m, "content type");
    let (st, m) = message(post(&app, "/v1/traces", &key.basic(), proto, Some("br"), valid.clone()).await).await;
    check(st, StatusCode::UNSUPPORTED_MEDIA_TYPE, m, "encoding");
    // Not gzip at all.
    let (st, m) = message(post(&app, "/v1/traces", &key.basic(), proto, Some("gzip"), valid.clone()).await).await;
    check(st, StatusCode::BAD_REQUEST, m, "gzip");
    // Invalid JSON.
    let (st, m) = message(post(&app, "/v1/traces", &key.basic(), "application/json", None, b"{\"resourceSpans\": [".to_vec()).await).await;
    check(st, StatusCode::BAD_REQUEST, m, "malformed");
    // Invalid ids on every span: nothing valid, 400 naming the reason.
    let mut bad_ids = genai_trace(2);
    bad_ids.iter_mut().for_each(|sp| sp.trace_id = vec![1, 2, 3]);
    let (st, m) = message(post_proto(&app, &key, &request(bad_ids)).await).await;
    check(st, StatusCode::BAD_REQUEST, m, "trace");
    let mut zero = genai_trace(2);
    zero.iter_mut().for_each(|sp| sp.span_id = vec![0; 8]);
    let (st, _) = message(post_proto(&app, &key, &request(zero)).await).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    // Bad timestamps: end before start, and far in the future.
    let mut bad_times = genai_trace(3);
    bad_times[0].end_time_unix_nano = bad_times[0].start_time_unix_nano - 1;
    bad_times[1].start_time_unix_nano = u64::MAX - 10;
    bad_times[1].end_time_unix_nano = u64::MAX;
    let (st, m) = message(post_proto(&app, &key, &request(bad_times)).await).await;
    check(st, StatusCode::BAD_REQUEST, m, "time");
    // Deep nesting beyond the protobuf decoder's recursion limit.
    let deep =
        request(vec![span(4, 1, None, "deep", vec![KeyValue { key: "deep".into(), value: Some(deep_value(200)), ..Default::default() }])]);
    let (st, m) = message(post_proto(&app, &key, &deep).await).await;
    check(st, StatusCode::BAD_REQUEST, m, "protobuf");
    // 100k spans in one request: over the per-request span limit.
    let many: Vec<Span> = (0..100_000).map(|i| span(5, i + 1, None, "s", Vec::new())).collect();
    let (st, m) = message(post(&app, "/v1/traces", &key.basic(), proto, Some("gzip"), gzip(&request(many).encode_to_vec())).await).await;
    check(st, StatusCode::PAYLOAD_TOO_LARGE, m, "split the batch");
    // A body over the route's limit.
    let huge = vec![b'x'; 5 << 20];
    let res = post(&app, "/v1/traces", &key.basic(), proto, None, huge).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);

    assert_eq!(stored_spans(&app, &key.project_id).await, 0, "no malformed request wrote anything");
    // The server is still fine.
    assert_eq!(post_proto(&app, &key, &request(genai_trace(6))).await.status(), StatusCode::OK);
    assert_eq!(stored_spans(&app, &key.project_id).await, 2);
    app.shutdown().await;
}

#[tokio::test]
async fn rejected_spans_are_reported_as_partial_success_and_huge_attributes_are_cut() {
    let app = spawn_app().await;
    let (_, key) = project_key(&app, "delta", &["ingest"]).await;
    let mut spans = genai_trace(1);
    let mut bad = span(1, 3, Some(1), "bad-id", Vec::new());
    bad.span_id = vec![9; 3];
    spans.push(bad);
    spans[1].attributes.push(kv("huge", s(&"h".repeat(1 << 20))));
    let res = post_proto(&app, &key, &request(spans)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = ExportTraceServiceResponse::decode(res.bytes().await.unwrap()).unwrap();
    let partial = body.partial_success.expect("partial success");
    assert_eq!(partial.rejected_spans, 1);
    assert!(partial.error_message.contains("span"), "{}", partial.error_message);
    let rows = app.stores.analytics.trace_spans(&test_support::pid(&key.project_id), &trace_hex(1)).await.unwrap();
    assert_eq!(rows.len(), 2);
    let chat = rows.iter().find(|r| r.name == "chat gpt-4o").unwrap();
    assert!(chat.truncated && chat.attributes.len() < 100_000, "huge attribute cut: {} bytes", chat.attributes.len());

    // The same in OTLP/JSON: partialSuccess with rejectedSpans as a string.
    let start = now_ns() - 1_000;
    let json = serde_json::json!({ "resourceSpans": [{ "scopeSpans": [{ "spans": [
        { "traceId": trace_hex(2), "spanId": span_hex(1), "name": "ok", "startTimeUnixNano": start.to_string(), "endTimeUnixNano": start.to_string() },
        { "traceId": "not-hex", "spanId": span_hex(2), "name": "bad", "startTimeUnixNano": start.to_string(), "endTimeUnixNano": start.to_string() }
    ]}]}]});
    let res = post(&app, "/v1/traces", &key.bearer(), "application/json", None, json.to_string().into_bytes()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["partialSuccess"]["rejectedSpans"], "1", "{body}");
    assert_eq!(app.stores.analytics.trace_spans(&test_support::pid(&key.project_id), &trace_hex(2)).await.unwrap().len(), 1);
    app.shutdown().await;
}

#[tokio::test]
async fn oversize_input_goes_to_the_blob_store_with_a_preview_in_the_row() {
    let app = spawn_app().await;
    let (_, key) = project_key(&app, "epsilon", &["ingest"]).await;
    let prompt: String = "長い入力 long input. ".repeat(5_000);
    let sp = span(1, 1, None, "llm", vec![kv("input.value", s(&prompt)), kv("output.value", s("short answer"))]);
    assert_eq!(post_proto(&app, &key, &request(vec![sp])).await.status(), StatusCode::OK);
    let rows = app.stores.analytics.trace_spans(&test_support::pid(&key.project_id), &trace_hex(1)).await.unwrap();
    let row = &rows[0];
    let blob_key = row.input_blob.clone().expect("input offloaded");
    assert_eq!(blob_key, format!("projects/{}/spans/{}/{}/input", key.project_id, trace_hex(1), span_hex(1)));
    let preview = row.input.clone().unwrap();
    assert_eq!(preview.chars().count(), PREVIEW_CHARS);
    assert!(prompt.starts_with(&preview));
    assert_eq!((row.output.as_deref(), row.output_blob.as_deref()), (Some("short answer"), None));
    let body = app.stores.blob.get(&domain::BlobKey::parse(&blob_key).unwrap(), None).await.unwrap();
    use futures::TryStreamExt;
    let bytes: Vec<u8> = body.stream.map_ok(|b| b.to_vec()).try_concat().await.unwrap();
    assert_eq!(String::from_utf8(bytes).unwrap(), prompt, "the whole input is in the blob");
    app.shutdown().await;
}

#[tokio::test]
async fn an_exhausted_trace_quota_answers_429_with_a_clear_message() {
    let app = spawn_app().await;
    let (user, key) = project_key(&app, "zeta", &["ingest"]).await;
    let limits = PlanLimits { traces_per_month: Some(2), ..Default::default() };
    let plan = app.stores.primary.create_plan(services::ports::NewPlan { name: "tiny".into(), limits }, 0).await.unwrap();
    app.stores.primary.assign_plan(&user.id, Some(&plan.id)).await.unwrap();

    assert_eq!(post_proto(&app, &key, &request([genai_trace(1), genai_trace(2)].concat())).await.status(), StatusCode::OK);
    let res = post_proto(&app, &key, &request(genai_trace(3))).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    let res = post(&app, "/v1/traces", &key.bearer(), "application/json", None, b"{\"resourceSpans\":[]}".to_vec()).await;
    assert_eq!(res.status(), StatusCode::OK, "an empty export uses no quota");
    let json = serde_json::json!({ "resourceSpans": [{ "scopeSpans": [{ "spans": [
        { "traceId": trace_hex(4), "spanId": span_hex(1), "name": "r", "startTimeUnixNano": (now_ns() - 1000).to_string(), "endTimeUnixNano": (now_ns() - 1000).to_string() }
    ]}]}]});
    let res = post(&app, "/v1/traces", &key.bearer(), "application/json", None, json.to_string().into_bytes()).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let message = res.json::<serde_json::Value>().await.unwrap()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("traces per month") && message.contains("2 of 2"), "{message}");
    assert_eq!(stored_spans(&app, &key.project_id).await, 4);
    app.shutdown().await;
}

#[tokio::test]
async fn a_full_queue_answers_503_with_retry_after_and_loses_nothing_acknowledged() {
    let app = spawn_with(
        |mut s| {
            s.ingest.queue_capacity_spans = 2;
            s.ingest.max_wait_ms = 1_500;
            s
        },
        Vec::new(),
    )
    .await;
    let (_, key) = project_key(&app, "eta", &["ingest"]).await;
    // The first request fills the queue; the writer holds it while waiting for more.
    let first = {
        let client = app.client.clone();
        let url = app.url("/v1/traces");
        let (auth, body) = (key.basic(), request(genai_trace(1)).encode_to_vec());
        tokio::spawn(async move {
            client.post(url).header("authorization", auth).header("content-type", "application/x-protobuf").body(body).send().await
        })
    };
    // Until the first request's two spans are in the queue (the writer holds them for 1.5 s).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
        if metrics.lines().any(|l| l == "ingest_queued_spans 2") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the first request never reached the queue");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let res = post_proto(&app, &key, &request(genai_trace(2))).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["retry-after"], "1");
    assert_eq!(first.await.unwrap().unwrap().status(), StatusCode::OK);
    assert_eq!(app.stores.analytics.trace_spans(&test_support::pid(&key.project_id), &trace_hex(1)).await.unwrap().len(), 2);
    assert!(app.stores.analytics.trace_spans(&test_support::pid(&key.project_id), &trace_hex(2)).await.unwrap().is_empty());
    // Room again once the first batch is written.
    assert_eq!(post_proto(&app, &key, &request(genai_trace(2))).await.status(), StatusCode::OK);
    app.shutdown().await;
}

#[tokio::test]
async fn concurrent_requests_are_all_stored() {
    let app = spawn_app().await;
    let (_, key) = project_key(&app, "theta", &["ingest"]).await;
    let mut tasks = Vec::new();
    for t in 0..40u64 {
        let (client, url, auth) = (app.client.clone(), app.url("/v1/traces"), key.basic());
        let body = request(genai_trace(100 + t)).encode_to_vec();
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .header("authorization", auth)
                .header("content-type", "application/x-protobuf")
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(stored_spans(&app, &key.project_id).await, 80);
    app.shutdown().await;
}

#[tokio::test]
async fn the_openapi_document_is_served_and_describes_both_endpoints() {
    let app = spawn_app().await;
    let res = app.get("/api/public/openapi.json").await;
    assert_eq!(res.status(), StatusCode::OK);
    let doc: serde_json::Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in ["/v1/traces", "/api/public/otel/v1/traces", "/api/public/ingest/spans"] {
        assert!(doc["paths"][path]["post"].is_object(), "{path} documented");
    }
    assert_eq!(doc["components"]["securitySchemes"]["basicAuth"]["scheme"], "basic");
    assert_eq!(doc["components"]["securitySchemes"]["bearerAuth"]["scheme"], "bearer");
    // Every $ref resolves.
    fn refs(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => m.iter().for_each(|(k, v)| {
                if k == "$ref" {
                    out.push(v.as_str().unwrap().to_owned());
                } else {
                    refs(v, out);
                }
            }),
            serde_json::Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let pointer = r.strip_prefix('#').unwrap();
        assert!(doc.pointer(pointer).is_some(), "{r} resolves");
    }
    app.shutdown().await;
}
