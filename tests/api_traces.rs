//! The trace explorer through HTTP: the server functions' endpoints and the pages, with spans
//! seeded straight into the analytics store.

mod common;

use app::api::traces::{SessionData, TraceDetailData, TraceListData};
use common::{add_user, flash_after, sign_in, spawn_app, TestApp, PASSWORD};
use domain::{
    traces::{SpanRow, StatusCode},
    BlobKey, GlobalRole,
};
use futures::StreamExt;
use reqwest::{Client, StatusCode as Http};
use std::time::Instant;

const MS: u64 = 1_000_000;

fn now_ns() -> u64 {
    services::clock::now_ms() as u64 * MS
}

fn trace_id(n: u64) -> String {
    format!("{n:032x}")
}

fn span(trace: u64, id: u64, parent: Option<u64>, start: u64, dur_ms: u64) -> SpanRow {
    SpanRow {
        status_code: StatusCode::Ok,
        service_name: "chatbot".into(),
        environment: Some("production".into()),
        attributes: r#"{"app.step":"x"}"#.into(),
        ..SpanRow::new(
            &trace_id(trace),
            &format!("{id:016x}"),
            parent.map(|p| format!("{p:016x}")).as_deref(),
            &format!("step {id}"),
            start,
            dur_ms * MS,
        )
    }
}

/// A root "chat" span with an LLM child, as an SDK would send.
fn chat_trace(n: u64, start: u64, question: &str, model: &str, error: bool) -> Vec<SpanRow> {
    let mut root = span(n, n * 10 + 1, None, start, 900);
    root.name = "chat".into();
    root.user_id = Some(format!("user-{}", n % 2));
    root.session_id = Some("sess-1".into());
    root.input = Some(format!(r#"[{{"role":"user","content":"{question}"}}]"#));
    root.output = Some(format!(r#"{{"role":"assistant","content":"answer {n}"}}"#));
    let mut llm = span(n, n * 10 + 2, Some(n * 10 + 1), start + 100 * MS, 700);
    llm.name = "openai.chat".into();
    llm.model = Some(model.into());
    llm.input_tokens = Some(100);
    llm.output_tokens = Some(20);
    llm.cost_micros = Some(1_500);
    if error {
        llm.status_code = StatusCode::Error;
        llm.status_message = "rate limited".into();
    }
    vec![root, llm]
}

struct Setup {
    app: TestApp,
    owner: Client,
    project_id: String,
}

async fn setup() -> Setup {
    let app = spawn_app().await;
    add_user(&app, "owner@example.com", GlobalRole::User).await;
    let owner = sign_in(&app, "owner@example.com", PASSWORD).await;
    let res = owner.post(app.url("/projects")).form(&[("name", "Alpha"), ("slug", "alpha")]).send().await.unwrap();
    assert_eq!(res.status(), Http::SEE_OTHER);
    let project = app.stores.primary.project_by_slug(&domain::ProjectSlug::parse("alpha").unwrap()).await.unwrap().unwrap();
    Setup { app, owner, project_id: project.id }
}

fn server_fn_path(name: &str) -> String {
    leptos::server_fn::axum::server_fn_paths()
        .map(|(p, _)| p.to_owned())
        .find(|p| p.strip_prefix("/api/").map(|n| n.trim_end_matches(|c: char| c.is_ascii_digit())) == Some(name))
        .unwrap_or_else(|| panic!("server function {name}"))
}

async fn call(app: &TestApp, client: &Client, name: &str, args: &[(&str, &str)]) -> reqwest::Response {
    client.post(app.url(&server_fn_path(name))).header("accept", "application/json").form(args).send().await.unwrap()
}

async fn list(s: &Setup, args: &[(&str, &str)]) -> TraceListData {
    let mut all = vec![("slug", "alpha")];
    all.extend_from_slice(args);
    let res = call(&s.app, &s.owner, "load_traces", &all).await;
    assert_eq!(res.status(), Http::OK, "{args:?}");
    res.json().await.unwrap()
}

fn names(d: &TraceListData) -> Vec<String> {
    d.traces.iter().map(|t| t.trace_id.clone()).collect()
}

#[tokio::test]
async fn the_list_filters_searches_and_pages() {
    let s = setup().await;
    let now = now_ns();
    let mut rows = Vec::new();
    rows.extend(chat_trace(1, now - 3_600_000 * MS, "東京の天気は?", "gpt-4o", false));
    rows.extend(chat_trace(2, now - 60_000 * MS, "ما هو الطقس", "claude-3-5-haiku", true));
    // Three days old: only in the 7-day range.
    rows.extend(chat_trace(3, now - 3 * 86_400_000 * MS, "old question", "gpt-4o", false));
    s.app.stores.analytics.insert_spans(&test_support::pid(&s.project_id), &rows).await.unwrap();

    assert_eq!(names(&list(&s, &[]).await), [trace_id(2), trace_id(1)], "newest first, 24h by default");
    assert_eq!(list(&s, &[("params[range]", "7d")]).await.traces.len(), 3);
    assert_eq!(names(&list(&s, &[("params[model]", "gpt-4o")]).await), [trace_id(1)]);
    assert_eq!(names(&list(&s, &[("params[status]", "error")]).await), [trace_id(2)]);
    assert_eq!(names(&list(&s, &[("params[status]", "ok")]).await), [trace_id(1)]);
    assert_eq!(names(&list(&s, &[("params[user]", "user-1")]).await), [trace_id(1)]);
    assert_eq!(names(&list(&s, &[("params[q]", "東京")]).await), [trace_id(1)], "CJK search");
    assert_eq!(names(&list(&s, &[("params[q]", "الطقس")]).await), [trace_id(2)], "Arabic search");
    assert_eq!(names(&list(&s, &[("params[name]", "openai.chat"), ("params[range]", "30d")]).await).len(), 3);
    assert!(list(&s, &[("params[min_latency_ms]", "5000")]).await.traces.is_empty());
    assert_eq!(list(&s, &[("params[min_cost]", "0.0015")]).await.traces.len(), 2);
    assert!(list(&s, &[("params[min_cost]", "0.0016")]).await.traces.is_empty());
    let t = &list(&s, &[("params[q]", "東京")]).await.traces[0];
    assert_eq!((t.input_tokens, t.output_tokens, t.cost_micros, t.span_count), (100, 20, 1_500, 2));

    // Bad input: a clear 422, not a 500.
    for bad in [("params[range]", "2y"), ("params[min_cost]", "lots"), ("params[after]", "nonsense")] {
        let res = call(&s.app, &s.owner, "load_traces", &[("slug", "alpha"), bad]).await;
        assert_eq!(res.status(), Http::UNPROCESSABLE_ENTITY, "{bad:?}");
    }

    // Keyset pagination over 60 more traces.
    let many: Vec<SpanRow> = (100..160).flat_map(|n| chat_trace(n, now - (200 - n) * 1_000 * MS, "q", "gpt-4o", false)).collect();
    s.app.stores.analytics.insert_spans(&test_support::pid(&s.project_id), &many).await.unwrap();
    let first = list(&s, &[]).await;
    assert_eq!(first.traces.len(), 50);
    let cursor = first.next.clone().expect("a next page");
    let second = list(&s, &[("params[after]", &cursor)]).await;
    assert_eq!(second.traces.len(), 12);
    assert_eq!(second.next, None);
    let mut seen: Vec<String> = names(&first).into_iter().chain(names(&second)).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 62, "pages neither overlap nor skip");

    // The page: filters come from the URL, rows link to traces, "Older →" carries the filters.
    let html = s.owner.get(s.app.url("/projects/alpha/traces?model=gpt-4o&q=q")).send().await.unwrap().text().await.unwrap();
    assert_eq!(html.matches("data-testid=\"trace-row\"").count(), 50);
    assert!(html.contains("after="), "a link to the older page");
    assert!(html.contains("model=gpt-4o&amp;q=q&amp;after=") || html.contains("model=gpt-4o&q=q&after="), "filters kept in the link");
    s.app.shutdown().await;
}

#[tokio::test]
async fn a_5000_span_trace_renders_flat_and_fast() {
    let s = setup().await;
    let start = now_ns() - 600_000 * MS;
    // A root, 50 children, each with 99 children, less the last: 5,000 spans; one error deep down.
    let mut rows = vec![span(7, 1, None, start, 60_000)];
    for c in 0..50u64 {
        let child = 1_000 + c;
        rows.push(span(7, child, Some(1), start + c * 1_000 * MS, 1_000));
        for g in 0..99u64 {
            rows.push(span(7, 100_000 + c * 100 + g, Some(child), start + c * 1_000 * MS + g * MS, 1));
        }
    }
    rows.truncate(5_000);
    rows[4_000].status_code = StatusCode::Error;
    rows[4_000].status_message = "boom".into();
    assert_eq!(rows.len(), 5_000);
    for chunk in rows.chunks(1_000) {
        s.app.stores.analytics.insert_spans(&test_support::pid(&s.project_id), chunk).await.unwrap();
    }

    let t0 = Instant::now();
    let res = s.owner.get(s.app.url(&format!("/projects/alpha/traces/{}", trace_id(7)))).send().await.unwrap();
    assert_eq!(res.status(), Http::OK);
    let html = res.text().await.unwrap();
    let took = t0.elapsed();
    eprintln!("5,000-span trace page: {took:?}, {} KiB of HTML", html.len() / 1024);
    assert_eq!(html.matches("data-testid=\"span-row\"").count(), 5_000);
    assert!(html.contains("span-error"), "the error span is marked");
    // The error span opens by default, with its message.
    assert!(html.contains("data-span-detail=\"") && html.contains("boom"));
    // Rows are siblings (flat), never nested in each other.
    assert!(!html.contains("span-row\"><div class=\"span-row"));

    let detail: TraceDetailData =
        call(&s.app, &s.owner, "load_trace", &[("slug", "alpha"), ("trace_id", &trace_id(7))]).await.json().await.unwrap();
    assert_eq!(detail.lines.len(), 5_000);
    assert_eq!((detail.lines[0].depth, detail.lines[0].children), (0, 50));
    assert_eq!((detail.lines[1].depth, detail.lines[1].children), (1, 99));
    assert_eq!(detail.lines[2].depth, 2);
    assert_eq!(detail.errors, 1);

    // The lazily loaded span page holds one span's details.
    let span_page = s.owner.get(s.app.url(&format!("/projects/alpha/traces/{}/spans/{:016x}", trace_id(7), 1_000))).send().await.unwrap();
    assert_eq!(span_page.status(), Http::OK);
    let html = span_page.text().await.unwrap();
    assert!(html.contains("data-span-detail=\"00000000000003e8\"") && html.contains("app.step"));
    s.app.shutdown().await;
}

#[tokio::test]
async fn another_projects_member_sees_nothing() {
    let s = setup().await;
    s.app
        .stores
        .analytics
        .insert_spans(&test_support::pid(&s.project_id), &chat_trace(1, now_ns() - 60_000 * MS, "secret", "gpt-4o", false))
        .await
        .unwrap();
    add_user(&s.app, "other@example.com", GlobalRole::User).await;
    let other = sign_in(&s.app, "other@example.com", PASSWORD).await;
    other.post(s.app.url("/projects")).form(&[("name", "Beta"), ("slug", "beta")]).send().await.unwrap();
    let tid = trace_id(1);
    for path in [
        "/projects/alpha/traces".to_owned(),
        format!("/projects/alpha/traces/{tid}"),
        format!("/projects/alpha/traces/{tid}/spans/{:016x}", 11),
        "/projects/alpha/sessions".into(),
        "/projects/alpha/sessions/sess-1".into(),
        "/projects/alpha/analytics".into(),
        // Their own project does not hold alpha's trace.
        format!("/projects/beta/traces/{tid}"),
    ] {
        let res = other.get(s.app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), Http::NOT_FOUND, "{path}");
        assert!(!res.text().await.unwrap().contains("secret"), "{path}");
    }
    for (name, args) in [
        ("load_traces", vec![("slug", "alpha")]),
        ("load_trace", vec![("slug", "alpha"), ("trace_id", tid.as_str())]),
        ("load_trace", vec![("slug", "beta"), ("trace_id", tid.as_str())]),
        ("load_span", vec![("slug", "alpha"), ("trace_id", tid.as_str()), ("span_id", "000000000000000b")]),
        ("load_sessions", vec![("slug", "alpha")]),
        ("load_session", vec![("slug", "alpha"), ("session_id", "sess-1")]),
        ("load_analytics", vec![("slug", "alpha")]),
    ] {
        let res = call(&s.app, &other, name, &args).await;
        assert_eq!(res.status(), Http::NOT_FOUND, "{name} {args:?}");
    }
    // Beta's own list is empty, not alpha's.
    let res = call(&s.app, &other, "load_traces", &[("slug", "beta")]).await;
    assert!(res.json::<TraceListData>().await.unwrap().traces.is_empty());
    // Signed out: 401 from the function, a redirect to sign-in from the page.
    let anon = common::browser(&s.app);
    assert_eq!(call(&s.app, &anon, "load_traces", &[("slug", "alpha")]).await.status(), Http::UNAUTHORIZED);
    s.app.shutdown().await;
}

#[tokio::test]
async fn sessions_and_analytics_read_the_same_spans() {
    let s = setup().await;
    let now = now_ns();
    let mut rows = chat_trace(1, now - 120_000 * MS, "first question", "gpt-4o", false);
    rows.extend(chat_trace(2, now - 60_000 * MS, "second question", "claude-3-5-haiku", true));
    s.app.stores.analytics.insert_spans(&test_support::pid(&s.project_id), &rows).await.unwrap();
    let session: SessionData =
        call(&s.app, &s.owner, "load_session", &[("slug", "alpha"), ("session_id", "sess-1")]).await.json().await.unwrap();
    assert_eq!(session.traces.iter().map(|t| t.trace_id.clone()).collect::<Vec<_>>(), [trace_id(1), trace_id(2)], "oldest first");
    let html = s.owner.get(s.app.url("/projects/alpha/sessions/sess-1")).send().await.unwrap().text().await.unwrap();
    let first = html.find("first question").expect("first turn");
    let second = html.find("second question").expect("second turn");
    assert!(first < second && html.contains("answer 2") && html.contains("bubble-user"));
    let sessions = s.owner.get(s.app.url("/projects/alpha/sessions")).send().await.unwrap().text().await.unwrap();
    assert_eq!(sessions.matches("data-testid=\"session-row\"").count(), 1);

    let res = s.owner.get(s.app.url("/projects/alpha/analytics?range=1h")).send().await.unwrap();
    assert_eq!(res.status(), Http::OK);
    let html = res.text().await.unwrap();
    assert_eq!(html.matches("data-testid=\"chart\"").count(), 4);
    assert!(html.contains("50.0%"), "one of two LLM calls failed");
    assert!(html.contains("claude-3-5-haiku") && html.contains("gpt-4o"), "by model");
    assert!(html.contains("$0.0030"), "total cost");
    let all = s.owner.get(s.app.url("/projects/alpha/analytics?range=1h&scope=all")).send().await.unwrap().text().await.unwrap();
    assert!(all.contains("25.0%"), "one error among four spans");
    s.app.shutdown().await;
}

#[tokio::test]
async fn deleting_a_trace_is_for_owners_audited_and_removes_blobs() {
    let s = setup().await;
    let key = BlobKey::parse(&format!("spans/{}/big-input", s.project_id)).unwrap();
    let body = "x".repeat(50_000) + " the end";
    let stream = futures::stream::once({
        let body = body.clone();
        async move { Ok(bytes::Bytes::from(body)) }
    })
    .boxed();
    s.app.stores.blob.put(&key, stream, Some("text/plain")).await.unwrap();
    let mut rows = chat_trace(1, now_ns() - 60_000 * MS, "q", "gpt-4o", false);
    rows[0].input = Some("x".repeat(2_000));
    rows[0].input_blob = Some(key.to_string());
    s.app.stores.analytics.insert_spans(&test_support::pid(&s.project_id), &rows).await.unwrap();
    let tid = trace_id(1);

    // The whole offloaded input, through the span page.
    let full = s.owner.get(s.app.url(&format!("/projects/alpha/traces/{tid}/spans/{:016x}?full=input", 11))).send().await.unwrap();
    assert!(full.text().await.unwrap().contains("the end"));

    // An analyst may read but not delete.
    add_user(&s.app, "analyst@example.com", GlobalRole::User).await;
    s.owner.post(s.app.url("/projects/alpha/members")).form(&[("email", "analyst@example.com"), ("role", "analyst")]).send().await.unwrap();
    let analyst = sign_in(&s.app, "analyst@example.com", PASSWORD).await;
    let delete = format!("/projects/alpha/traces/{tid}/delete");
    let res = analyst.post(s.app.url(&delete)).send().await.unwrap();
    assert!(flash_after(&s.app, &analyst, res).await.contains("permission"));
    assert_eq!(s.app.stores.analytics.trace_spans(&test_support::pid(&s.project_id), &tid).await.unwrap().len(), 2);

    let res = s.owner.post(s.app.url(&delete)).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/projects/alpha/traces");
    assert_eq!(flash_after(&s.app, &s.owner, res).await, "ok: Trace deleted (2 spans).");
    assert!(s.app.stores.analytics.trace_spans(&test_support::pid(&s.project_id), &tid).await.unwrap().is_empty());
    assert!(s.app.stores.blob.head(&key).await.is_err(), "the payload blob is gone");
    let audit = s.app.stores.primary.audit_chain(0, 1_000).await.unwrap();
    let entry = audit.iter().find(|e| e.record.action == "trace.delete").expect("audited");
    assert_eq!((entry.record.entity_id.as_str(), entry.record.project_id.as_deref()), (tid.as_str(), Some(s.project_id.as_str())));
    assert_eq!(entry.record.actor_label, "owner@example.com");

    // Deleting again: not found, said plainly.
    let res = s.owner.post(s.app.url(&delete)).send().await.unwrap();
    assert_eq!(flash_after(&s.app, &s.owner, res).await, "error: Trace not found");
    s.app.shutdown().await;
}
