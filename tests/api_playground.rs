//! The chat playground through HTTP, against the fake vendor (crates/fake-llm): streamed turns,
//! the span each call leaves in the project's traces, refusals, cancellation and saving.

mod common;

use common::{add_user, sign_in, spawn_app, TestApp, PASSWORD};
use domain::{
    personas::ChatTurn,
    playground::{event, ChatCall, SseEvent, SseParser, StreamDone, StreamError, StreamStart, TextDelta},
    traces::{SpanRow, StatusCode},
    GlobalRole, QuotaKind,
};
use fake_llm::FakeLlm;
use futures::StreamExt;
use reqwest::{Client, StatusCode as Http};
use serde_json::Value;
use std::time::{Duration, Instant};

struct Setup {
    app: TestApp,
    fake: FakeLlm,
    owner: Client,
    project_id: String,
    key_id: String,
}

async fn create_key(app: &TestApp, owner: &Client, name: &str, vendor: &str, base_url: &str, api_key: &str, model: &str) -> String {
    let form = [("name", name), ("vendor", vendor), ("base_url", base_url), ("api_key", api_key), ("default_model", model)];
    let res = owner.post(app.url("/projects/alpha/providers")).form(&form).send().await.unwrap();
    assert_eq!(res.status(), Http::SEE_OTHER);
    let project = app.stores.primary.project_by_slug(&domain::ProjectSlug::parse("alpha").unwrap()).await.unwrap().unwrap();
    let keys = app.stores.primary.list_provider_keys(Some(&test_support::pid(&project.id))).await.unwrap();
    keys.into_iter().find(|k| k.name == name).unwrap_or_else(|| panic!("provider key {name} saved")).id
}

async fn setup() -> Setup {
    let app = spawn_app().await;
    let fake = FakeLlm::start(([127, 0, 0, 1], 0).into()).await.unwrap();
    add_user(&app, "owner@example.com", GlobalRole::User).await;
    let owner = sign_in(&app, "owner@example.com", PASSWORD).await;
    let res = owner.post(app.url("/projects")).form(&[("name", "Alpha"), ("slug", "alpha")]).send().await.unwrap();
    assert_eq!(res.status(), Http::SEE_OTHER);
    let project = app.stores.primary.project_by_slug(&domain::ProjectSlug::parse("alpha").unwrap()).await.unwrap().unwrap();
    let key_id = create_key(&app, &owner, "Fake OpenAI", "openai", &fake.openai_base_url(), "sk-good-key-123", "gpt-4o-mini").await;
    Setup { app, fake, owner, project_id: project.id, key_id }
}

fn user(text: &str) -> ChatTurn {
    ChatTurn { role: "user".into(), content: text.into() }
}

fn call(key_id: &str, text: &str) -> ChatCall {
    ChatCall { key_id: key_id.into(), messages: vec![user(text)], session_id: Some("pg-session-1".into()), ..ChatCall::default() }
}

async fn post(s: &Setup, client: &Client, call: &ChatCall) -> reqwest::Response {
    client.post(s.app.url("/projects/alpha/playground/chat")).json(call).send().await.unwrap()
}

/// Every event of a streamed answer, with when it arrived.
async fn events(res: reqwest::Response) -> Vec<(SseEvent, Instant)> {
    assert_eq!(res.status(), Http::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let mut parser = SseParser::default();
    let mut out = Vec::new();
    let mut body = res.bytes_stream();
    while let Some(chunk) = body.next().await {
        let now = Instant::now();
        out.extend(parser.push(&chunk.unwrap()).into_iter().map(|e| (e, now)));
    }
    out
}

fn data<T: serde::de::DeserializeOwned>(e: &SseEvent) -> T {
    serde_json::from_str(&e.data).unwrap_or_else(|err| panic!("{} event {:?}: {err}", e.event, e.data))
}

async fn span_of(s: &Setup, trace_id: &str) -> SpanRow {
    for _ in 0..200 {
        let spans = s.app.stores.analytics.trace_spans(&test_support::pid(&s.project_id), trace_id).await.unwrap();
        if let Some(span) = spans.into_iter().next() {
            return span;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no span written for trace {trace_id}");
}

#[tokio::test]
async fn a_turn_streams_deltas_then_usage_and_leaves_a_priced_span() {
    let s = setup().await;
    let mut turn = call(&s.key_id, "Hello playground");
    turn.system_prompt = "Be brief.".into();
    turn.temperature = Some(0.3);
    let got = events(post(&s, &s.owner, &turn).await).await;

    let names: Vec<&str> = got.iter().map(|(e, _)| e.event.as_str()).collect();
    assert_eq!(names.first(), Some(&event::START));
    assert_eq!(names.last(), Some(&event::DONE));
    let deltas: Vec<(String, Instant)> =
        got.iter().filter(|(e, _)| e.event == event::DELTA).map(|(e, at)| (data::<TextDelta>(e).text, *at)).collect();
    assert_eq!(deltas.len(), 4, "one delta per word: {names:?}");
    assert_eq!(deltas.iter().map(|(t, _)| t.as_str()).collect::<String>(), "gpt-4o-mini heard: Hello playground");
    // Streamed as written (the fake pauses 40 ms between words), not buffered to the end.
    let spread = deltas.last().unwrap().1 - deltas[0].1;
    assert!(spread >= Duration::from_millis(80), "deltas arrived together ({spread:?})");

    let start: StreamStart = data(&got[0].0);
    let done: StreamDone = data(&got.last().unwrap().0);
    // Tokens are words for the fake: "Be brief. Hello playground" in, 4 words out.
    assert_eq!((done.input_tokens, done.output_tokens), (Some(4), Some(4)));
    let expected_cost = otlp::PriceTable::seeded().cost_micros("gpt-4o-mini", 4, 4);
    assert!(expected_cost.is_some());
    assert_eq!(done.cost_micros, expected_cost);
    assert_eq!(done.finish_reason, "stop");
    assert_eq!(done.trace_id, start.trace_id);
    assert!(done.latency_ms >= 80);

    let span = span_of(&s, &start.trace_id).await;
    assert_eq!(span.name, "chat gpt-4o-mini");
    assert_eq!((span.model.as_deref(), span.provider.as_deref()), (Some("gpt-4o-mini"), Some("openai")));
    assert_eq!((span.input_tokens, span.output_tokens, span.cost_micros), (Some(4), Some(4), expected_cost));
    assert_eq!(span.status_code, StatusCode::Ok);
    assert_eq!(span.session_id.as_deref(), Some("pg-session-1"));
    assert_eq!(span.tags, vec!["playground".to_owned()]);
    assert!(span.input.as_deref().unwrap().contains("Be brief."));
    assert_eq!(span.output.as_deref(), Some(r#"{"role":"assistant","content":"gpt-4o-mini heard: Hello playground"}"#));
    let attrs: Value = serde_json::from_str(&span.attributes).unwrap();
    assert_eq!(attrs["elasticdash.origin"], "playground");
    assert_eq!(attrs["gen_ai.system"], "openai");
    assert_eq!(attrs["gen_ai.usage.output_tokens"], 4);
    assert_eq!(attrs["gen_ai.request.temperature"], serde_json::json!(0.3));
    assert_eq!(attrs["elasticdash.provider_key_id"], s.key_id.as_str());

    // Counted once for the plan quota, as a trace.
    let usage = s.app.stores.analytics.usage_by_day(&test_support::pid(&s.project_id), 0, i64::MAX).await.unwrap();
    let traces: u64 = usage.iter().filter(|d| d.kind == QuotaKind::TracesPerMonth.as_str()).map(|d| d.quantity).sum();
    assert_eq!(traces, 1);
    // The vendor saw the system prompt, the model and the parameters.
    assert_eq!(s.fake.finished(), 1);
    s.app.shutdown().await;
}

#[tokio::test]
async fn anthropic_keys_stream_too_and_the_model_can_be_chosen() {
    let s = setup().await;
    let claude = create_key(&s.app, &s.owner, "Fake Claude", "anthropic", &s.fake.url, "sk-ant-good-123", "claude-fake").await;
    let got = events(post(&s, &s.owner, &call(&claude, "Bonjour")).await).await;
    let text: String = got.iter().filter(|(e, _)| e.event == event::DELTA).map(|(e, _)| data::<TextDelta>(e).text).collect();
    assert_eq!(text, "claude-fake heard: Bonjour");
    let mut other = call(&s.key_id, "Hi");
    other.model = "fake-large".into();
    let got = events(post(&s, &s.owner, &other).await).await;
    let done: StreamDone = data(&got.last().unwrap().0);
    assert_eq!(done.cost_micros, None, "a model without a price has no cost");
    assert_eq!(span_of(&s, &done.trace_id).await.model.as_deref(), Some("fake-large"));
    s.app.shutdown().await;
}

#[tokio::test]
async fn only_editors_of_the_project_may_chat_with_its_keys() {
    let s = setup().await;
    for (email, role) in [("analyst@example.com", "analyst"), ("editor@example.com", "editor")] {
        add_user(&s.app, email, GlobalRole::User).await;
        let res = s.owner.post(s.app.url("/projects/alpha/members")).form(&[("email", email), ("role", role)]).send().await.unwrap();
        assert_eq!(res.status(), Http::SEE_OTHER);
    }
    add_user(&s.app, "stranger@example.com", GlobalRole::User).await;
    let turn = call(&s.key_id, "Hi");

    let analyst = sign_in(&s.app, "analyst@example.com", PASSWORD).await;
    let res = post(&s, &analyst, &turn).await;
    assert_eq!(res.status(), Http::FORBIDDEN);
    assert_eq!(res.json::<StreamError>().await.unwrap().code, "forbidden");
    let stranger = sign_in(&s.app, "stranger@example.com", PASSWORD).await;
    assert_eq!(post(&s, &stranger, &turn).await.status(), Http::NOT_FOUND, "non-members do not learn the project exists");
    let anonymous = common::browser(&s.app);
    assert_eq!(post(&s, &anonymous, &turn).await.status(), Http::UNAUTHORIZED);
    let editor = sign_in(&s.app, "editor@example.com", PASSWORD).await;
    assert_eq!(post(&s, &editor, &turn).await.status(), Http::OK);

    let res = post(&s, &s.owner, &call("no-such-key", "Hi")).await;
    assert_eq!(res.status(), Http::NOT_FOUND);
    let message = res.json::<StreamError>().await.unwrap().message;
    assert_eq!(message, "Provider key not found");
    // Bad input: a 4xx naming the problem, and no vendor call.
    let before = s.fake.requests();
    let res = post(&s, &s.owner, &ChatCall { messages: vec![], ..call(&s.key_id, "") }).await;
    assert_eq!(res.status(), Http::UNPROCESSABLE_ENTITY);
    let res = post(&s, &s.owner, &ChatCall { temperature: Some(9.0), ..call(&s.key_id, "Hi") }).await;
    assert!(res.json::<StreamError>().await.unwrap().message.contains("temperature"));
    let res = s.owner.post(s.app.url("/projects/alpha/playground/chat")).body("not json").send().await.unwrap();
    assert_eq!(res.status(), Http::BAD_REQUEST);
    assert_eq!((before, s.fake.requests()), (1, 1), "only the editor's call reached the vendor");
    s.app.shutdown().await;
}

#[tokio::test]
async fn vendor_refusals_arrive_as_clear_error_events_and_error_spans() {
    let s = setup().await;
    let bad = create_key(&s.app, &s.owner, "Revoked key", "openai", &s.fake.openai_base_url(), "sk-bad-key-123", "gpt-4o-mini").await;
    let got = events(post(&s, &s.owner, &call(&bad, "Hi")).await).await;
    let (last, _) = got.last().unwrap();
    assert_eq!(last.event, event::ERROR);
    let error: StreamError = data(last);
    assert_eq!(error.code, "invalid_key");
    assert!(error.message.contains("Revoked key") && error.message.contains("Incorrect API key"), "{}", error.message);
    assert!(!error.message.contains("sk-bad-key-123"), "never the key itself");
    let start: StreamStart = data(&got[0].0);
    let span = span_of(&s, &start.trace_id).await;
    assert_eq!(span.status_code, StatusCode::Error);
    assert!(span.status_message.contains("Incorrect API key"), "{}", span.status_message);

    for (model, code) in
        [("missing-model", "model_not_found"), ("fake-tiny-context", "context_too_long"), ("fake-no-credit", "quota_exceeded")]
    {
        let got = events(post(&s, &s.owner, &ChatCall { model: model.into(), ..call(&s.key_id, "Hi") }).await).await;
        let error: StreamError = data(&got.last().unwrap().0);
        assert_eq!(error.code, code, "{model}: {}", error.message);
    }
    s.app.shutdown().await;
}

#[tokio::test]
async fn stopping_the_stream_abandons_the_vendor_request_and_is_traced() {
    let s = setup().await;
    let slow = ChatCall { model: "fake-slow".into(), ..call(&s.key_id, "Tell me everything") };
    let res = post(&s, &s.owner, &slow).await;
    assert_eq!(res.status(), Http::OK);
    let mut body = res.bytes_stream();
    let mut parser = SseParser::default();
    let mut seen = Vec::new();
    while !seen.iter().any(|e: &SseEvent| e.event == event::DELTA) {
        seen.extend(parser.push(&body.next().await.unwrap().unwrap()));
    }
    let start: StreamStart = data(&seen[0]);
    assert_eq!(s.fake.abandoned(), 0);
    // The browser's Stop: the connection goes away mid-stream.
    drop(body);
    assert!(s.fake.wait_abandoned(Duration::from_secs(5)).await, "the vendor request was not cancelled");
    assert_eq!(s.fake.finished(), 0);

    let span = span_of(&s, &start.trace_id).await;
    let attrs: Value = serde_json::from_str(&span.attributes).unwrap();
    assert_eq!(attrs["elasticdash.cancelled"], true);
    assert_eq!(span.status_code, StatusCode::Unset);
    assert!(span.output.as_deref().unwrap_or_default().contains("word1"), "what arrived before the stop: {:?}", span.output);
    s.app.shutdown().await;
}

fn server_fn_path(name: &str) -> String {
    leptos::server_fn::axum::server_fn_paths()
        .map(|(p, _)| p.to_owned())
        .find(|p| p.strip_prefix("/api/").map(|n| n.trim_end_matches(|c: char| c.is_ascii_digit())) == Some(name))
        .unwrap_or_else(|| panic!("server function {name}"))
}

#[tokio::test]
async fn conversations_are_saved_and_reopened() {
    let s = setup().await;
    let conversation = serde_json::json!({
        "title": "Greeting test",
        "provider_key_id": s.key_id,
        "model": "gpt-4o-mini",
        "system_prompt": "Be brief.",
        "persona_id": null,
        "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "gpt-4o-mini heard: Hi"}],
        "params": {"temperature": 0.5, "max_tokens": 100}
    });
    let save = server_fn_path("save_conversation");
    let res = s
        .owner
        .post(s.app.url(&save))
        .header("accept", "application/json")
        .form(&[("slug", "alpha"), ("conversation", &conversation.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), Http::OK);
    let id: String = res.json().await.unwrap();

    let load = server_fn_path("load_playground");
    let res = s
        .owner
        .post(s.app.url(&load))
        .header("accept", "application/json")
        .form(&[("slug", "alpha"), ("conversation", id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), Http::OK);
    let data: domain::playground::PlaygroundData = res.json().await.unwrap();
    assert_eq!(data.conversations.iter().map(|c| c.title.as_str()).collect::<Vec<_>>(), ["Greeting test"]);
    let open = data.open.expect("reopened");
    assert_eq!(
        (open.messages.len(), open.key_id.as_deref(), open.temperature, open.max_tokens),
        (2, Some(s.key_id.as_str()), Some(0.5), Some(100))
    );
    assert!(data.can_chat);
    assert_eq!(data.keys.iter().map(|k| k.name.as_str()).collect::<Vec<_>>(), ["Fake OpenAI"]);

    // Not JSON: a clear refusal, nothing saved.
    let res = s
        .owner
        .post(s.app.url(&save))
        .header("accept", "application/json")
        .form(&[("slug", "alpha"), ("conversation", "{")])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());

    // The page renders on the server with the chat island and the saved list.
    let html = s.owner.get(s.app.url("/projects/alpha/playground")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("data-testid=\"playground\""), "the chat island");
    assert!(html.contains("needs JavaScript"), "a note for browsers without JavaScript");
    assert!(html.contains("Greeting test"));
    s.app.shutdown().await;
}
