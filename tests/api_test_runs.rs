//! Test runs through a real server (embedded SQLite), a real fake LLM vendor and a fake AI
//! application that continues the runner's trace and exports OTLP: model and HTTP targets,
//! broken targets, judge garbage, a worker killed mid-suite, the CI endpoints, overrides and
//! comparisons.

mod common;

use common::{add_user, TestApp};
use domain::{
    test_steps::{MatchType, StepExpectation},
    testcases::{CaseStatus, HttpTarget, ModelTarget, RunStatus, Suite, Target, TestCase, TestRun},
    GlobalRole,
};
use elasticdash::{
    settings::Settings,
    worker::{test_runs::ExecuteRun, JobHandler},
    Server,
};
use fake_target::{Export, FakeTarget};
use reqwest::StatusCode;
use serde_json::{json, Value};
use services::{
    provider_keys::{KeyCipher, ProviderKeyInput},
    test_runs::{self, RunnerConfig, Starter},
    testcases::{self, CaseInput},
    Actor, RequestContext,
};
use std::{sync::Arc, time::Duration};

fn runner_config() -> RunnerConfig {
    // Short waits so the "spans never arrive" cases end quickly.
    RunnerConfig { span_wait: Duration::from_millis(1500), span_settle: Duration::from_millis(300), ..RunnerConfig::default() }
}

/// A server on `dir` whose runner waits briefly for spans.
async fn server_on(dir: &std::path::Path) -> (TestApp, Arc<KeyCipher>) {
    let settings: Settings = common::embedded_settings(dir);
    let server = Server::build(settings.clone()).await.expect("server starts");
    let cipher = server.services.cipher.clone();
    let handler: Arc<dyn JobHandler> = Arc::new(ExecuteRun::new(&server.services, runner_config()));
    let server = server.register_job(test_runs::EXECUTE_JOB, handler);
    (common::start(server, tempfile::tempdir().unwrap()), cipher)
}

struct Setup {
    app: TestApp,
    cipher: Arc<KeyCipher>,
    ctx: RequestContext,
    project_id: String,
    slug: String,
    public_key: String,
    secret_key: String,
    _dir: tempfile::TempDir,
}

impl Setup {
    fn bearer(&self) -> String {
        format!("Bearer {}:{}", self.public_key, self.secret_key)
    }
}

async fn project(app: &TestApp, slug: &str) -> (RequestContext, String, services::api_keys::CreatedKey) {
    let user = add_user(app, &format!("{slug}@example.com"), GlobalRole::User).await;
    let ctx = RequestContext {
        actor: Some(Actor { user_id: user.id.clone(), email: user.email.to_string(), role: user.role }),
        ..Default::default()
    };
    let store = app.stores.primary.as_ref();
    let input = services::projects::ProjectInput { name: slug.into(), slug: slug.into(), description: String::new() };
    let project = services::projects::create(store, &ctx, input).await.unwrap();
    let key = services::api_keys::create(store, &ctx, slug, "ci", &["ingest".into()]).await.unwrap();
    (ctx, project.id, key)
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let (app, cipher) = server_on(dir.path()).await;
    let (ctx, project_id, key) = project(&app, "alpha").await;
    Setup { app, cipher, ctx, project_id, slug: "alpha".into(), public_key: key.record.public_id, secret_key: key.secret, _dir: dir }
}

async fn provider_key(s: &Setup, name: &str, vendor: &str, base_url: &str, model: &str) -> String {
    let input = ProviderKeyInput {
        name: name.into(),
        vendor: vendor.into(),
        base_url: base_url.into(),
        api_key: "sk-test-12345678".into(),
        default_model: model.into(),
        remove_key: false,
    };
    services::provider_keys::create(s.app.stores.primary.as_ref(), &s.cipher, &s.ctx, &s.slug, &input).await.unwrap().id
}

async fn fake_target(s: &Setup) -> FakeTarget {
    let config = fake_target::Config {
        ingest_url: s.app.base.clone(),
        public_key: s.public_key.clone(),
        secret_key: s.secret_key.clone(),
        ..fake_target::Config::default()
    };
    fake_target::spawn("127.0.0.1:0".parse().unwrap(), config).await.unwrap()
}

fn step(model: Option<&str>, input: &str, expected: &str, match_type: MatchType) -> StepExpectation {
    StepExpectation {
        model: model.map(str::to_owned),
        input: input.into(),
        expected_output: expected.into(),
        match_type,
        tool_calls: vec![],
        max_latency_ms: None,
        max_tokens: None,
        max_cost_usd: None,
    }
}

fn http_target(url: &str, timeout_ms: u64) -> Target {
    Target::Http(HttpTarget {
        url: url.into(),
        method: "POST".into(),
        headers: vec![("content-type".into(), "application/json".into())],
        secret_header_names: vec![],
        body: json!({"message": "How long do refunds take?"}).to_string(),
        timeout_ms,
    })
}

fn model_target(key_id: &str, model: &str, system_prompt: &str) -> Target {
    Target::Model(ModelTarget {
        provider_key_id: Some(key_id.into()),
        model: model.into(),
        system_prompt: system_prompt.into(),
        temperature: Some(0.0),
        max_tokens: Some(100),
    })
}

async fn case(s: &Setup, name: &str, target: Target, steps: Vec<StepExpectation>) -> TestCase {
    let input =
        CaseInput { name: name.into(), feature: String::new(), source_trace_id: None, target, steps, tags: vec![], secret_headers: None };
    testcases::create(&s.app.stores, &s.cipher, &s.ctx, &s.slug, &input).await.unwrap()
}

async fn approve(s: &Setup, case: &TestCase) {
    testcases::set_status(&s.app.stores, &s.ctx, &s.slug, &case.id, CaseStatus::Review, None).await.unwrap();
    testcases::set_status(&s.app.stores, &s.ctx, &s.slug, &case.id, CaseStatus::Approved, None).await.unwrap();
}

async fn suite(s: &Setup, name: &str, cases: &[&TestCase]) -> Suite {
    let suite = Suite {
        id: uuid::Uuid::now_v7().to_string(),
        project_id: s.project_id.clone(),
        name: name.into(),
        description: String::new(),
        case_ids: cases.iter().map(|c| c.id.clone()).collect(),
        created_at_ms: 1,
        updated_at_ms: 1,
    };
    s.app.stores.primary.insert_suite(&suite).await.unwrap();
    suite
}

async fn wait_final(app: &TestApp, project_id: &str, run_id: &str) -> TestRun {
    for _ in 0..300 {
        let run = app.stores.primary.run(&test_support::pid(project_id), run_id).await.unwrap().unwrap();
        if run.status.is_final() {
            return run;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("run {run_id} did not finish");
}

async fn run_case(s: &Setup, case: &TestCase) -> TestRun {
    let run = test_runs::start_case_run(&s.app.stores, &s.ctx, &s.slug, &case.id).await.unwrap();
    assert_eq!(run.status, RunStatus::Pending);
    wait_final(&s.app, &s.project_id, &run.id).await
}

fn reasons(run: &TestRun) -> Vec<String> {
    run.steps.iter().flat_map(|st| st.verdict.reasons.clone()).collect()
}

#[tokio::test]
async fn a_model_target_passes_then_fails_when_the_model_answer_changes_and_compare_shows_it() {
    let s = setup().await;
    let llm = fake_llm::FakeLlm::start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let scripted = fake_target::spawn("127.0.0.1:0".parse().unwrap(), fake_target::Config::default()).await.unwrap();
    scripted.set_llm_reply("Paris");

    // Against the real fake vendor: its answer is "<model> heard: <input>".
    let vendor_key = provider_key(&s, "Fake vendor", "openai", &llm.openai_base_url(), "fake-small").await;
    let echo = case(
        &s,
        "Echo",
        model_target(&vendor_key, "fake-small", "Be brief."),
        vec![
            step(None, "hello", "fake-small heard: hello", MatchType::Exact),
            step(Some("fake-large"), "bye", "heard: bye", MatchType::Contains),
        ],
    )
    .await;
    let run = run_case(&s, &echo).await;
    assert_eq!(run.status, RunStatus::Success, "{:?} {:?}", run.error, reasons(&run));
    assert_eq!(run.steps.len(), 2);
    assert_eq!(run.steps[1].observed.as_ref().unwrap().model.as_deref(), Some("fake-large"), "the step's model wins");
    assert_eq!(llm.requests(), 2);
    // The runner's own calls are spans of the run's trace.
    let mut spans = Vec::new();
    for _ in 0..50 {
        spans = s.app.stores.analytics.trace_spans(&test_support::pid(&s.project_id), &run.trace_id).await.unwrap();
        if spans.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(spans.len(), 2, "one span per model call");
    assert!(spans.iter().all(|sp| sp.model.is_some()));

    // A scripted model whose answer changes between two runs.
    let scripted_key = provider_key(&s, "Scripted", "openai_compatible", &format!("{}/v1", scripted.url), "m").await;
    let capital = case(
        &s,
        "Capital",
        model_target(&scripted_key, "capital-model", "Answer with a city."),
        vec![step(None, "Capital of France?", "Paris", MatchType::Exact)],
    )
    .await;
    let first = run_case(&s, &capital).await;
    assert_eq!(first.status, RunStatus::Success, "{:?}", reasons(&first));
    scripted.set_llm_reply("Lyon");
    let second = run_case(&s, &capital).await;
    assert_eq!(second.status, RunStatus::Failed);
    assert!(reasons(&second)[0].contains("Lyon"), "{:?}", reasons(&second));
    let (_, cmp) = test_runs::compare_runs(&s.app.stores, &s.ctx, &s.slug, &first.id, &second.id).await.unwrap();
    assert!(cmp.steps[0].output_changed && cmp.steps[0].pass_changed);
    assert_eq!((cmp.steps[0].output_a.as_deref(), cmp.steps[0].output_b.as_deref()), (Some("Paris"), Some("Lyon")));
    assert!(!cmp.fingerprint_changed, "same prompt and parameters");

    // Changing the system prompt changes the fingerprint (and outdates older runs).
    let input = CaseInput {
        name: "Capital".into(),
        feature: String::new(),
        source_trace_id: None,
        target: model_target(&scripted_key, "capital-model", "Answer with a city, in capitals."),
        steps: capital.steps.clone(),
        tags: vec![],
        secret_headers: None,
    };
    let edited = testcases::update(&s.app.stores, &s.cipher, &s.ctx, &s.slug, &capital.id, capital.version, &input).await.unwrap();
    let third = run_case(&s, &edited).await;
    let (_, cmp) = test_runs::compare_runs(&s.app.stores, &s.ctx, &s.slug, &second.id, &third.id).await.unwrap();
    assert!(cmp.fingerprint_changed);
    assert!(!cmp.steps[0].output_changed);
    assert!(second.is_outdated(edited.version) && !third.is_outdated(edited.version));
}

#[tokio::test]
async fn an_http_target_continues_the_trace_its_spans_are_matched_and_an_override_is_audited() {
    let s = setup().await;
    let app = fake_target(&s).await;
    let steps = vec![
        step(Some("gpt-4o-mini"), "classify", "intent", MatchType::Contains),
        step(None, "answer", "Refunds take 5 business days.", MatchType::Exact),
    ];
    let c = case(&s, "Refund answer", http_target(&format!("{}/chat", app.url), 5_000), steps).await;
    let run = run_case(&s, &c).await;
    assert_eq!(run.status, RunStatus::Success, "{:?} {:?}", run.error, reasons(&run));
    assert_eq!(app.requests(), 1);
    let observed: Vec<&str> = run.steps.iter().map(|st| st.observed.as_ref().unwrap().output.as_str()).collect();
    assert_eq!(observed, ["intent: refund", "Refunds take 5 business days."]);
    assert_eq!(run.steps[1].observed.as_ref().unwrap().input, "How long do refunds take? (call 2)");
    assert!(run.prompt_fingerprint.is_some());
    // The application's spans carry the run's trace id; its root is a child of the runner's span.
    let spans = s.app.stores.analytics.trace_spans(&test_support::pid(&s.project_id), &run.trace_id).await.unwrap();
    assert_eq!(spans.len(), 3);
    let root = spans.iter().find(|sp| sp.name == "POST /chat").unwrap();
    assert!(root.parent_span_id.as_deref().is_some_and(|p| p.len() == 16));

    app.set_answer("We never refund.");
    let failed = run_case(&s, &c).await;
    assert_eq!(failed.status, RunStatus::Failed);
    assert!(failed.steps[0].verdict.passed && !failed.steps[1].verdict.passed);
    assert!(test_runs::failures_of(&failed)[0].starts_with("step 2: "), "{:?}", test_runs::failures_of(&failed));
    assert_ne!(failed.trace_id, run.trace_id, "each run has its own trace");

    // A person overrides the failing step: the run passes, and the audit trail says who and why.
    let empty = test_runs::override_step(&s.app.stores, &s.ctx, &s.slug, &failed.id, 1, true, "  ").await;
    assert!(matches!(empty, Err(services::ServiceError::Invalid(_))));
    let overridden = test_runs::override_step(&s.app.stores, &s.ctx, &s.slug, &failed.id, 1, true, "policy changed").await.unwrap();
    assert_eq!(overridden.status, RunStatus::Success);
    let stored = s.app.stores.primary.run(&test_support::pid(&s.project_id), &failed.id).await.unwrap().unwrap();
    let o = stored.steps[1].override_.clone().unwrap();
    assert_eq!((o.passed, o.comment.as_str(), o.by.as_deref()), (true, "policy changed", s.ctx.actor.as_ref().map(|a| a.user_id.as_str())));
    let filter = services::ports::AuditFilter { action: Some("test_run.override_step".into()), ..Default::default() };
    let audit = s.app.stores.primary.list_audit(&filter, None, 10).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].record.entity_id, failed.id);
    assert_eq!(audit[0].record.new_value.as_ref().unwrap()["comment"], "policy changed");
    let missing = test_runs::override_step(&s.app.stores, &s.ctx, &s.slug, &failed.id, 7, false, "x").await;
    assert!(matches!(missing, Err(services::ServiceError::NotFound(_))));
}

#[tokio::test]
async fn broken_targets_fail_every_step_with_a_reason_and_the_run_ends() {
    let s = setup().await;
    let app = fake_target(&s).await;
    let steps = || vec![step(None, "q", "Refunds take 5 business days.", MatchType::Exact)];
    let only_reason = |run: &TestRun| {
        assert_eq!(run.status, RunStatus::Failed);
        assert_eq!(run.steps.len(), 1);
        assert!(!run.steps[0].verdict.passed);
        run.steps[0].verdict.reasons.join(" / ")
    };

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let down = run_case(&s, &case(&s, "Down", http_target(&format!("http://{closed}/chat"), 2_000), steps()).await).await;
    assert!(only_reason(&down).starts_with("the target could not be reached"), "{}", only_reason(&down));
    assert_eq!(down.error.as_deref().map(|e| e.starts_with("the target could not be reached")), Some(true));

    app.set_delay(Duration::from_millis(1500));
    let slow = run_case(&s, &case(&s, "Slow", http_target(&format!("{}/chat", app.url), 500), steps()).await).await;
    assert_eq!(only_reason(&slow), "the target did not answer within 0.5 s");
    app.set_delay(Duration::ZERO);

    app.set_status(500);
    let error = run_case(&s, &case(&s, "Error", http_target(&format!("{}/chat", app.url), 2_000), steps()).await).await;
    assert!(only_reason(&error).starts_with("the target answered HTTP 500: {\"answer\""), "{}", only_reason(&error));
    app.set_status(200);

    app.set_export(Export::Never);
    let silent = run_case(&s, &case(&s, "Silent", http_target(&format!("{}/chat", app.url), 2_000), steps()).await).await;
    assert_eq!(only_reason(&silent), "no AI call was observed for this step");
    assert!(silent.error.as_deref().unwrap().contains("no AI call of this run's trace arrived within 1.5 s"), "{:?}", silent.error);
    let took = silent.finished_at_ms.unwrap() - silent.started_at_ms.unwrap();
    assert!((1_400..10_000).contains(&took), "waited {took} ms for spans");

    // A model target whose vendor refuses the key: each step says so.
    let llm = fake_llm::FakeLlm::start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let bad = ProviderKeyInput {
        name: "Bad".into(),
        vendor: "openai".into(),
        base_url: llm.openai_base_url(),
        api_key: "sk-bad-12345678".into(),
        default_model: "fake-small".into(),
        remove_key: false,
    };
    let bad_key = services::provider_keys::create(s.app.stores.primary.as_ref(), &s.cipher, &s.ctx, &s.slug, &bad).await.unwrap().id;
    let refused = run_case(&s, &case(&s, "Refused", model_target(&bad_key, "fake-small", ""), steps()).await).await;
    assert!(only_reason(&refused).starts_with("the model call failed"), "{}", only_reason(&refused));
}

#[tokio::test]
async fn a_judge_answering_garbage_fails_the_step_and_a_sound_judge_passes_it() {
    let s = setup().await;
    let same_meaning = || {
        vec![step(
            None,
            "How long do refunds take?",
            "Five business days.",
            MatchType::SameMeaning { validation_prompt: "Must give the duration.".into(), threshold: 0.7 },
        )]
    };
    // No provider key at all: the judge cannot be asked.
    let app = fake_target(&s).await;
    let c = case(&s, "Judged", http_target(&format!("{}/chat", app.url), 5_000), same_meaning()).await;
    let run = run_case(&s, &c).await;
    assert_eq!(run.status, RunStatus::Failed);
    assert!(reasons(&run)[0].starts_with("the judge could not be asked: the project has no provider key"), "{:?}", reasons(&run));

    // The fake vendor echoes the prompt: no JSON score in it.
    let llm = fake_llm::FakeLlm::start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    provider_key(&s, "Echo judge", "openai", &llm.openai_base_url(), "fake-small").await;
    let run = run_case(&s, &c).await;
    assert_eq!(run.status, RunStatus::Failed);
    assert!(reasons(&run)[0].contains("could not be read"), "{:?}", reasons(&run));
    assert!(llm.requests() >= 1);

    // A judge that answers properly (a model target's own provider is its judge).
    let scripted = fake_target::spawn("127.0.0.1:0".parse().unwrap(), fake_target::Config::default()).await.unwrap();
    scripted.set_llm_reply(r#"{"score": 0.9, "explanation": "Same duration."}"#);
    let key = provider_key(&s, "Scripted judge", "openai_compatible", &format!("{}/v1", scripted.url), "m").await;
    let judged = run_case(&s, &case(&s, "Model judged", model_target(&key, "m", ""), same_meaning()).await).await;
    assert_eq!(judged.status, RunStatus::Success, "{:?}", reasons(&judged));
    assert_eq!(judged.steps[0].verdict.judge_explanation.as_deref(), Some("Same duration."));
    assert_eq!(judged.steps[0].verdict.score, 0.9);
}

#[tokio::test]
async fn the_ci_endpoints_start_a_suite_and_report_json_and_junit() {
    let s = setup().await;
    let app = fake_target(&s).await;
    let url = format!("{}/chat", app.url);
    let good = case(&s, "Refunds <fast> & \"clear\"", http_target(&url, 5_000), vec![step(None, "q", "intent", MatchType::Contains)]).await;
    let bad = case(&s, "Wrong answer", http_target(&url, 5_000), vec![step(None, "q", "We pay in 1 day", MatchType::Exact)]).await;
    let draft = case(&s, "Draft", http_target(&url, 5_000), vec![step(None, "q", "x", MatchType::Contains)]).await;
    approve(&s, &good).await;
    approve(&s, &bad).await;
    let suite_id = suite(&s, "Nightly", &[&good, &bad, &draft]).await.id;
    let unapproved = suite(&s, "Drafts", &[&draft]).await.id;
    let client = reqwest::Client::new();
    let start = |id: &str, auth: Option<String>| {
        let mut req = client.post(s.app.url(&format!("/api/public/suites/{id}/runs")));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        req.send()
    };

    let res = start(&suite_id, None).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.text().await.unwrap().contains("missing Authorization header"));
    assert_eq!(start(&suite_id, Some("Bearer nope:nope".into())).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let res = start(&unapproved, Some(s.bearer())).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.json::<Value>().await.unwrap()["error"]["message"].as_str().unwrap().contains("no approved test case"));

    // Another project's key does not see this project's suite.
    let (_, _, other) = project(&s.app, "beta").await;
    let other_auth = format!("Bearer {}:{}", other.record.public_id, other.secret);
    assert_eq!(start(&suite_id, Some(other_auth.clone())).await.unwrap().status(), StatusCode::NOT_FOUND);

    let res = start(&suite_id, Some(s.bearer())).await.unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let started: Value = res.json().await.unwrap();
    assert_eq!(started["total"], 2, "the draft is skipped");
    let id = started["suite_run_id"].as_str().unwrap().to_owned();

    let get = |path: String, auth: Option<String>| {
        let mut req = client.get(s.app.url(&path));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        req.send()
    };
    assert_eq!(get(format!("/api/public/suite-runs/{id}"), None).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(get(format!("/api/public/suite-runs/{id}"), Some(other_auth)).await.unwrap().status(), StatusCode::NOT_FOUND);
    let res = get(format!("/api/public/suite-runs/{id}?wait=30"), Some(s.bearer())).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let summary: Value = res.json().await.unwrap();
    assert_eq!(summary["done"], true, "{summary}");
    assert_eq!((summary["total"].as_u64(), summary["passed"].as_u64(), summary["failed"].as_u64()), (Some(2), Some(1), Some(1)));
    assert_eq!((summary["pending"].as_u64(), summary["cancelled"].as_u64()), (Some(0), Some(0)));
    assert_eq!(summary["status"], "failed");
    let runs = summary["runs"].as_array().unwrap();
    assert_eq!(runs[0]["case_name"], "Wrong answer", "failures first");
    assert!(runs[0]["failures"][0].as_str().unwrap().starts_with("step 1: "));
    assert_eq!(runs[1]["failures"], json!([]));

    let res = get(format!("/api/public/suite-runs/{id}/junit.xml"), Some(s.bearer())).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/xml"));
    let xml = res.text().await.unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert!(xml.contains("<testsuite name=\"Nightly\""));
    assert!(xml.contains("tests=\"2\" failures=\"1\""));
    assert_eq!(xml.matches("<testcase ").count(), 2);
    assert_eq!(xml.matches("<failure message=").count(), 1);
    assert!(xml.contains("name=\"Refunds &lt;fast&gt; &amp; &quot;clear&quot;\""), "{xml}");

    // The people's report agrees, and the trend has one point.
    let report = test_runs::suite_report(&s.app.stores, &s.ctx, &s.slug, &id).await.unwrap();
    assert_eq!(report.pass_rate(), Some(0.5));
    let trend = test_runs::suite_trend(&s.app.stores, &s.ctx, &s.slug, &suite_id, 10).await.unwrap();
    assert_eq!(trend.len(), 1);
    assert_eq!(trend[0].pass_rate, Some(0.5));
    let audit = s
        .app
        .stores
        .primary
        .list_audit(&services::ports::AuditFilter { action: Some("suite_run.start".into()), ..Default::default() }, None, 10)
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].record.new_value.as_ref().unwrap()["trigger"], "api");
}

#[tokio::test]
async fn a_pending_suite_run_can_be_cancelled() {
    let s = setup().await;
    let app = fake_target(&s).await;
    app.set_delay(Duration::from_millis(800));
    let url = format!("{}/chat", app.url);
    let mut cases = Vec::new();
    for i in 0..4 {
        let c = case(&s, &format!("Case {i}"), http_target(&url, 5_000), vec![step(None, "q", "intent", MatchType::Contains)]).await;
        approve(&s, &c).await;
        cases.push(c);
    }
    let suite = suite(&s, "Cancel me", &cases.iter().collect::<Vec<_>>()).await;
    let (suite_run, _) =
        test_runs::start_suite_run(&s.app.stores, Starter::Person { ctx: &s.ctx, slug: &s.slug }, &suite.id).await.unwrap();
    // Cancel while the first run is at the target (it answers after 800 ms).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while app.requests() == 0 {
        assert!(std::time::Instant::now() < deadline, "no run reached the target");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let counts = test_runs::cancel_suite_run(&s.app.stores, &s.ctx, &s.slug, &suite_run.id).await.unwrap();
    assert_eq!(counts.total(), 4);
    assert!(counts.cancelled >= 3, "{counts:?}");
    // The run that was at the target ends (its job leaves the queue): its result must not count.
    while s.app.stores.primary.queue_depth().await.unwrap() > 0 {
        assert!(std::time::Instant::now() < deadline, "the in-flight run never ended");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let after = s.app.stores.primary.suite_run_counts(&test_support::pid(&s.project_id), &suite_run.id).await.unwrap();
    assert_eq!(after, counts, "a cancelled run's late result is dropped");
    let stored = s.app.stores.primary.suite_run(&test_support::pid(&s.project_id), &suite_run.id).await.unwrap().unwrap();
    assert_eq!(stored.status, RunStatus::Cancelled);
    assert!(app.requests() <= 1, "cancelled runs never call the target");
}

#[tokio::test]
async fn a_worker_killed_mid_suite_loses_and_doubles_nothing() {
    // Two servers, one after the other, on the same data folder.
    let dir = tempfile::tempdir().unwrap();
    let (first, cipher) = server_on(dir.path()).await;
    let (ctx, project_id, key) = project(&first, "alpha").await;
    let s = Setup {
        app: first,
        cipher,
        ctx,
        project_id,
        slug: "alpha".into(),
        public_key: key.record.public_id,
        secret_key: key.secret,
        _dir: tempfile::tempdir().unwrap(),
    };
    let app = fake_target(&s).await;
    app.set_delay(Duration::from_millis(400));
    let url = format!("{}/chat", app.url);
    let mut cases = Vec::new();
    for i in 0..6 {
        let steps = vec![step(None, "q", "intent", MatchType::Contains), step(None, "a", "5 business days", MatchType::Contains)];
        let c = case(&s, &format!("Case {i}"), http_target(&url, 5_000), steps).await;
        approve(&s, &c).await;
        cases.push(c);
    }
    let suite = suite(&s, "Restart", &cases.iter().collect::<Vec<_>>()).await;
    let (suite_run, _) = test_runs::start_suite_run(
        &s.app.stores,
        Starter::Key(&services::api_keys::KeyPrincipal {
            key_id: "k".into(),
            project_id: test_support::pid(&s.project_id),
            scopes: vec!["ingest".into()],
        }),
        &suite.id,
    )
    .await
    .unwrap();
    // Stop the first server while a run is executing (its job is leased).
    for _ in 0..100 {
        let c = s.app.stores.primary.suite_run_counts(&test_support::pid(&s.project_id), &suite_run.id).await.unwrap();
        if c.running > 0 && c.passed >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let Setup { app: first, project_id, .. } = s;
    first.shutdown().await;
    let between = elasticdash::open_stores(&common::embedded_settings(dir.path()).stores).await.unwrap();
    let mid = between.primary.suite_run_counts(&test_support::pid(&project_id), &suite_run.id).await.unwrap();
    assert!(mid.pending + mid.running > 0, "the suite was interrupted: {mid:?}");
    assert_eq!(mid.running, 1, "a leased run was interrupted: {mid:?}");

    let (second, _) = server_on(dir.path()).await;
    // The application now exports to the new server.
    app.set_ingest_url(&second.base);
    let mut counts = Default::default();
    let mut stored = None;
    // The last run's result is written before its job settles the suite run: wait for both.
    for _ in 0..300 {
        counts = second.stores.primary.suite_run_counts(&test_support::pid(&project_id), &suite_run.id).await.unwrap();
        stored = second.stores.primary.suite_run(&test_support::pid(&project_id), &suite_run.id).await.unwrap();
        if counts.is_done() && stored.as_ref().is_some_and(|r| r.status != RunStatus::Running) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(counts.is_done(), "{counts:?}");
    assert_eq!((counts.total(), counts.passed, counts.failed), (6, 6, 0), "{counts:?}");
    let runs = second.stores.primary.runs_of_suite_run(&test_support::pid(&project_id), &suite_run.id).await.unwrap();
    assert_eq!(runs.len(), 6);
    assert!(runs.iter().all(|r| r.steps.len() == 2 && r.status == RunStatus::Success), "each run's steps written once");
    assert_eq!(stored.unwrap().status, RunStatus::Success);
    second.shutdown().await;
}
