//! The simple JSON ingestion API (`POST /api/public/ingest/spans`) through a real server.

mod common;

use common::{add_user, spawn_app, TestApp};
use domain::{traces::StatusCode as SpanStatus, GlobalRole};
use reqwest::StatusCode;
use serde_json::{json, Value};
use services::{Actor, RequestContext};

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const ROOT: &str = "00f067aa0ba902b7";
const CHILD: &str = "b7ad6b7169203331";

/// (project id, `Bearer public:secret`).
async fn project_key(app: &TestApp, slug: &str) -> (String, String) {
    let user = add_user(app, &format!("{slug}@example.com"), GlobalRole::User).await;
    let ctx = RequestContext {
        actor: Some(Actor { user_id: user.id.clone(), email: user.email.to_string(), role: user.role }),
        ..Default::default()
    };
    let store = app.stores.primary.as_ref();
    let input = services::projects::ProjectInput { name: slug.into(), slug: slug.into(), description: String::new() };
    let project = services::projects::create(store, &ctx, input).await.unwrap();
    let key = services::api_keys::create(store, &ctx, slug, "sdk", &["ingest".into()]).await.unwrap();
    (project.id, format!("Bearer {}:{}", key.record.public_id, key.secret))
}

async fn send(app: &TestApp, auth: &str, body: &Value) -> (StatusCode, Value) {
    let res = app.client.post(app.url("/api/public/ingest/spans")).header("authorization", auth).json(body).send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn now_ns() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
}

fn batch() -> Value {
    let start = now_ns() - 2_000_000_000;
    json!({ "spans": [
        {
            "trace_id": TRACE, "span_id": ROOT, "name": "support-agent",
            "start_time": start, "end_time": start + 900_000_000,
            "user_id": "user-42", "session_id": "sess-7", "tags": ["beta", "support"], "environment": "staging",
            "service_name": "helpdesk", "input": "Where is my order?", "output": "It ships tomorrow.",
            "metadata": { "tenant": "acme", "retries": 2, "vip": true }, "status": "ok"
        },
        {
            "trace_id": TRACE, "span_id": CHILD, "parent_span_id": ROOT, "name": "chat", "kind": "client",
            "start_time": "2026-11-22T10:00:00.000000001Z", "end_time": "2026-11-22T10:00:00.5Z",
            "model": "gpt-4o", "provider": "openai",
            "input": [{ "role": "user", "content": "Where is my order?" }],
            "output": { "role": "assistant", "content": "It ships tomorrow." },
            "usage": { "input_tokens": 1200, "output_tokens": 300 },
            "status": "error", "status_message": "rate limited once"
        }
    ]})
}

#[tokio::test]
async fn a_json_batch_roundtrips_into_span_rows() {
    let app = spawn_app().await;
    let (project_id, auth) = project_key(&app, "json-api").await;
    let (status, body) = send(&app, &auth, &batch()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({ "accepted": 2 }));

    let rows = app.stores.analytics.trace_spans(&test_support::pid(&project_id), TRACE).await.unwrap();
    assert_eq!(rows.len(), 2);
    let root = rows.iter().find(|r| r.span_id == ROOT).unwrap();
    assert_eq!(root.parent_span_id, None);
    assert_eq!((root.user_id.as_deref(), root.session_id.as_deref()), (Some("user-42"), Some("sess-7")));
    assert_eq!(root.tags, vec!["beta".to_owned(), "support".to_owned()]);
    assert_eq!((root.environment.as_deref(), root.service_name.as_str()), (Some("staging"), "helpdesk"));
    assert_eq!((root.input.as_deref(), root.output.as_deref()), (Some("Where is my order?"), Some("It ships tomorrow.")));
    assert_eq!(root.duration_ns, 900_000_000);
    assert_eq!(root.status_code, SpanStatus::Ok);
    let attrs: Value = serde_json::from_str(&root.attributes).unwrap();
    assert_eq!((attrs["metadata.tenant"].as_str(), attrs["metadata.retries"].as_i64()), (Some("acme"), Some(2)), "{attrs}");

    let chat = rows.iter().find(|r| r.span_id == CHILD).unwrap();
    assert_eq!(chat.parent_span_id.as_deref(), Some(ROOT));
    assert_eq!(chat.start_time_unix_nano, 1_795_341_600_000_000_001);
    assert_eq!(chat.duration_ns, 499_999_999);
    assert_eq!((chat.model.as_deref(), chat.provider.as_deref()), (Some("gpt-4o"), Some("openai")));
    assert_eq!((chat.input_tokens, chat.output_tokens), (Some(1200), Some(300)));
    assert!(chat.cost_micros.is_some_and(|c| c > 0), "priced: {:?}", chat.cost_micros);
    assert_eq!((chat.status_code, chat.status_message.as_str()), (SpanStatus::Error, "rate limited once"));
    let input: Value = serde_json::from_str(chat.input.as_deref().unwrap()).unwrap();
    assert_eq!(input[0]["role"], "user");

    // Sending the same batch again keeps one copy of each span.
    assert_eq!(send(&app, &auth, &batch()).await.0, StatusCode::OK);
    assert_eq!(app.stores.analytics.trace_spans(&test_support::pid(&project_id), TRACE).await.unwrap().len(), 2);
    app.shutdown().await;
}

#[tokio::test]
async fn invalid_batches_are_refused_whole_with_the_field_named() {
    let app = spawn_app().await;
    let (project_id, auth) = project_key(&app, "json-bad").await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({ "spans": [{ "span_id": ROOT }] }), "missing field"),
        (json!({ "spanz": [] }), "unknown field"),
        (
            {
                let mut b = batch();
                b["spans"][1]["trace_id"] = json!("nothex");
                b
            },
            "spans[1].trace_id",
        ),
        (
            {
                let mut b = batch();
                b["spans"][0]["span_id"] = json!("0000000000000000");
                b
            },
            "spans[0].span_id",
        ),
        (
            {
                let mut b = batch();
                b["spans"][1]["start_time"] = json!("last tuesday");
                b
            },
            "spans[1].start_time",
        ),
        (
            {
                let mut b = batch();
                b["spans"][0]["end_time"] = json!(1);
                b
            },
            "spans[0].end_time",
        ),
        (
            {
                let mut b = batch();
                b["spans"][1]["kind"] = json!("sideways");
                b
            },
            "spans[1].kind",
        ),
        (
            {
                let mut b = batch();
                b["spans"][1]["status"] = json!("meh");
                b
            },
            "spans[1].status",
        ),
        (
            {
                let mut b = batch();
                b["spans"][0]["name"] = json!(" ");
                b
            },
            "spans[0].name",
        ),
        (
            {
                let mut b = batch();
                b["spans"][1]["usage"]["input_tokens"] = json!(-5);
                b
            },
            "invalid",
        ),
    ];
    for (body, needle) in cases {
        let (status, answer) = send(&app, &auth, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(needle), "{message:?} should contain {needle:?}");
    }
    // Far-future times are refused by the shared validation (named by the decoder).
    let mut future = batch();
    future["spans"][0]["start_time"] = json!("2200-01-01T00:00:00Z");
    future["spans"][0]["end_time"] = json!("2200-01-01T00:00:01Z");
    assert_eq!(send(&app, &auth, &future).await.0, StatusCode::BAD_REQUEST);
    // Not JSON / wrong media type / no key.
    let res = app
        .client
        .post(app.url("/api/public/ingest/spans"))
        .header("authorization", &auth)
        .body("{")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = app
        .client
        .post(app.url("/api/public/ingest/spans"))
        .header("authorization", &auth)
        .body("spans")
        .header("content-type", "text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        app.client.post(app.url("/api/public/ingest/spans")).json(&batch()).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );

    assert!(app.stores.analytics.trace_spans(&test_support::pid(&project_id), TRACE).await.unwrap().is_empty(), "nothing written");
    app.shutdown().await;
}
