//! A real client: the stock OpenTelemetry Python SDK with its OTLP/HTTP (protobuf, gzip) exporter
//! sends nested GenAI spans to a running server; the spans are read back through the analytics
//! port and checked (names, hierarchy, tokens, cost, attributes, events).
//!
//! Needs `ED_TEST_OTEL_PYTHON`: the python of a venv with `opentelemetry-sdk` and
//! `opentelemetry-exporter-otlp-proto-http` (scripts/install-tools.sh --for test makes it;
//! scripts/test.sh exports the variable). Without it the test fails, it never skips.

mod common;

use common::{add_user, spawn_app};
use domain::{traces::StatusCode as SpanStatus, GlobalRole};
use serde_json::Value;
use services::{Actor, RequestContext};

#[tokio::test]
async fn the_python_sdk_exports_nested_genai_spans() {
    let python = std::env::var("ED_TEST_OTEL_PYTHON").unwrap_or_else(|_| {
        panic!(
            "ED_TEST_OTEL_PYTHON is not set: run `scripts/install-tools.sh --for test` and set it to \
             $HOME/.cache/elasticdash/tools/otel-venv/bin/python (scripts/test.sh does both)"
        )
    });
    let app = spawn_app().await;
    let user = add_user(&app, "sdk@example.com", GlobalRole::User).await;
    let ctx = RequestContext {
        actor: Some(Actor { user_id: user.id.clone(), email: user.email.to_string(), role: user.role }),
        ..Default::default()
    };
    let store = app.stores.primary.as_ref();
    let input = services::projects::ProjectInput { name: "SDK".into(), slug: "sdk".into(), description: String::new() };
    let project = services::projects::create(store, &ctx, input).await.unwrap();
    let key = services::api_keys::create(store, &ctx, "sdk", "python", &["ingest".into()]).await.unwrap();

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/export_genai_spans.py");
    let out = tokio::process::Command::new(&python)
        .arg(script)
        .env("ED_OTLP_ENDPOINT", app.url("/v1/traces"))
        .env("ED_PUBLIC_KEY", &key.record.public_id)
        .env("ED_SECRET_KEY", &key.secret)
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the exporter failed ({}):\nstdout: {stdout}\nstderr: {stderr}", out.status);
    let sent: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("the script prints its ids");
    let trace_id = sent["trace_id"].as_str().unwrap();
    let id = |name: &str| sent["spans"][name].as_str().unwrap().to_owned();

    let rows = app.stores.analytics.trace_spans(&test_support::pid(&project.id), trace_id).await.unwrap();
    let mut names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["chat claude", "chat gpt-4o-mini", "retrieve-docs", "support-pipeline"]);
    let row = |name: &str| rows.iter().find(|r| r.name == name).unwrap();

    // Hierarchy, exactly as the SDK built it.
    let root = row("support-pipeline");
    assert_eq!((root.span_id.clone(), root.parent_span_id.clone()), (id("support-pipeline"), None));
    assert_eq!(row("retrieve-docs").parent_span_id, Some(id("support-pipeline")));
    assert_eq!(row("chat gpt-4o-mini").parent_span_id, Some(id("support-pipeline")));
    assert_eq!(row("chat claude").parent_span_id, Some(id("chat gpt-4o-mini")));
    assert!(rows
        .iter()
        .all(|r| r.start_time_unix_nano <= r.end_time_unix_nano && r.duration_ns == r.end_time_unix_nano - r.start_time_unix_nano));

    // Resource and cross-convention facts.
    assert!(rows.iter().all(|r| r.service_name == "py-genai-app" && r.environment.as_deref() == Some("sdk-test")));
    assert_eq!((root.session_id.as_deref(), root.user_id.as_deref()), (Some("py-session-1"), Some("py-user-1")));
    assert_eq!(root.scope_name, "elasticdash.sdk-test");
    let attrs: Value = serde_json::from_str(&root.attributes).unwrap();
    assert_eq!(attrs["app.tenant"], "acme", "unknown attributes are kept: {attrs}");

    // GenAI: model, tokens, prompt/completion, and cost from the app's price table.
    let prices = services::prices::load_table(store).await.unwrap();
    let chat = row("chat gpt-4o-mini");
    assert_eq!(
        (chat.provider.as_deref(), chat.model.as_deref(), chat.operation.as_deref()),
        (Some("openai"), Some("gpt-4o-mini"), Some("chat"))
    );
    assert_eq!((chat.input_tokens, chat.output_tokens), (Some(1200), Some(340)));
    assert_eq!(chat.cost_micros, prices.cost_micros("gpt-4o-mini", 1200, 340));
    assert!(chat.cost_micros.is_some_and(|c| c > 0), "gpt-4o-mini has a seeded price");
    assert_eq!((chat.input.as_deref(), chat.output.as_deref()), (Some("Where is order 1234?"), Some("Order 1234 ships tomorrow.")));
    let chat_attrs: Value = serde_json::from_str(&chat.attributes).unwrap();
    assert_eq!(chat_attrs["gen_ai.request.temperature"], 0.2);

    let judge = row("chat claude");
    assert_eq!((judge.provider.as_deref(), judge.model.as_deref()), (Some("anthropic"), Some("claude-3-5-sonnet-20241022")));
    assert_eq!((judge.input_tokens, judge.output_tokens), (Some(800), Some(120)));
    assert_eq!(judge.cost_micros, prices.cost_micros("claude-3-5-sonnet-20241022", 800, 120));
    assert!(judge.input.as_deref().is_some_and(|i| i.contains("Rate the answer")), "message events become the input: {:?}", judge.input);
    assert!(judge.output.as_deref().is_some_and(|o| o.contains('4')), "{:?}", judge.output);
    assert_eq!((judge.status_code, judge.status_message.as_str()), (SpanStatus::Error, "judge disagreed"));
    assert_eq!(row("retrieve-docs").model, None);

    // The export counted one trace for the plan.
    let usage = app.stores.analytics.usage_by_day(&test_support::pid(&project.id), 0, i64::MAX).await.unwrap();
    assert_eq!(usage.iter().filter(|d| d.kind == "traces_per_month").map(|d| d.quantity).sum::<u64>(), 1);
    app.shutdown().await;
}
