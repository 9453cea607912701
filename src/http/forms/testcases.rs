//! Test cases, runs and suites (issue 7), as HTML form posts from the test pages (editors and
//! owners; the services check). Each handler calls one use case and redirects with a message.
//!
//! Case forms are read as name/value pairs: a case has a variable number of steps, each a
//! group of fields `s{i}_input`, `s{i}_expected`, `s{i}_match`, … (see
//! crates/app/src/pages/tests/fields.rs), `steps` saying how many groups were sent.

use super::{finish, Ctx};
use crate::startup::AppState;
use axum::{
    extract::{Path, State},
    response::Response,
    Extension, Form,
};
use domain::{
    test_steps::{ExpectedToolCall, MatchType, StepExpectation},
    testcases::{CaseStatus, HttpTarget, ModelTarget, Target, TestCase},
};
use serde::Deserialize;
use services::{
    llm_calls::{self, CallContext, SpanObserver},
    provider_keys, suites,
    suites::SuiteInput,
    test_generation, test_runs,
    testcases::{self, CaseInput},
    ServiceError, ServiceResult,
};
use std::sync::Arc;
use tower_sessions::Session;

/// Most step groups a form may send (the service allows 50 steps; one more is the blank "add").
const MAX_STEP_GROUPS: usize = 51;
/// Longest generation prompt accepted.
const MAX_PROMPT_CHARS: usize = 100_000;

/// A path built from user-supplied segments, or the project list when a segment would make it
/// an unsafe redirect target.
fn safe(path: String) -> String {
    let ok = path.starts_with('/') && !path.starts_with("//") && path.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-_.?=&".contains(&b));
    if ok {
        path
    } else {
        "/projects".into()
    }
}

fn tests_page(slug: &str) -> String {
    safe(format!("/projects/{slug}/tests"))
}

fn case_page(slug: &str, id: &str) -> String {
    safe(format!("/projects/{slug}/tests/{id}"))
}

fn run_page(slug: &str, run_id: &str) -> String {
    safe(format!("/projects/{slug}/tests/runs/{run_id}"))
}

fn suite_run_page(slug: &str, id: &str) -> String {
    safe(format!("/projects/{slug}/tests/suite-runs/{id}"))
}

fn invalid(m: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(m.into())
}

/// A posted form as name/value pairs, in order (checkboxes may repeat a name).
struct Fields(Vec<(String, String)>);

impl Fields {
    fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }

    fn opt(&self, name: &str) -> Option<String> {
        Some(self.get(name).trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// An optional number; `what` names it in the error.
    fn num<T: std::str::FromStr>(&self, name: &str, what: &str) -> Result<Option<T>, String> {
        match self.opt(name) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| format!("{what} “{v}” is not a valid number")),
        }
    }
}

/// `Name: value` lines; blank lines are skipped.
fn header_lines(text: &str, what: &str) -> Result<Vec<(String, String)>, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| match l.split_once(':') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.trim().to_owned())),
            _ => Err(format!("each line of the {what} is “Name: value”; “{}” is not", l.chars().take(40).collect::<String>())),
        })
        .collect()
}

fn target_of(f: &Fields) -> Result<Target, String> {
    if f.get("target_kind") == "model" {
        return Ok(Target::Model(ModelTarget {
            provider_key_id: f.opt("provider_key_id"),
            model: f.get("model").trim().to_owned(),
            system_prompt: f.get("system_prompt").replace("\r\n", "\n"),
            temperature: f.num("temperature", "the temperature")?,
            max_tokens: f.num("max_tokens", "the max tokens")?,
        }));
    }
    Ok(Target::Http(HttpTarget {
        url: f.get("url").trim().to_owned(),
        method: f.opt("method").unwrap_or_else(|| "POST".into()),
        headers: header_lines(f.get("headers"), "headers")?,
        // Kept as they are unless new secret headers are sent (the service replaces them then).
        secret_header_names: f.get("secret_header_names").split(',').map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned).collect(),
        body: f.get("body").replace("\r\n", "\n"),
        timeout_ms: f.num("timeout_ms", "the timeout")?.unwrap_or(30_000),
    }))
}

fn step_of(f: &Fields, i: usize) -> Result<Option<StepExpectation>, String> {
    let n = |name: &str| format!("s{i}_{name}");
    let (input, expected) = (f.get(&n("input")).replace("\r\n", "\n"), f.get(&n("expected")).replace("\r\n", "\n"));
    if f.get(&n("remove")) == "1" || (input.trim().is_empty() && expected.trim().is_empty()) {
        return Ok(None);
    }
    let step = i + 1;
    let match_type = match f.get(&n("match")) {
        "exact" => MatchType::Exact,
        "" | "contains" => MatchType::Contains,
        "regex" => MatchType::Regex { pattern: f.get(&n("pattern")).trim().to_owned() },
        "json_schema" => {
            let text = f.get(&n("schema"));
            let schema = serde_json::from_str(text).map_err(|e| format!("step {step}: the JSON schema is not valid JSON ({e})"))?;
            MatchType::JsonSchema { schema }
        }
        "same_meaning" => MatchType::SameMeaning {
            validation_prompt: f.get(&n("prompt")).trim().replace("\r\n", "\n"),
            threshold: f.num(&n("threshold"), &format!("step {step}: the threshold"))?.unwrap_or(0.7),
        },
        other => return Err(format!("step {step}: “{other}” is not a match type")),
    };
    let tool_calls: Vec<ExpectedToolCall> = match f.opt(&n("tools")) {
        None => Vec::new(),
        Some(text) => serde_json::from_str(&text)
            .map_err(|e| format!("step {step}: the expected tool calls are not a JSON list of {{\"name\", \"arguments\"}} ({e})"))?,
    };
    Ok(Some(StepExpectation {
        model: f.opt(&n("model")),
        input,
        expected_output: expected,
        match_type,
        tool_calls,
        max_latency_ms: f.num(&n("max_latency_ms"), &format!("step {step}: the max latency"))?,
        max_tokens: f.num(&n("max_tokens"), &format!("step {step}: the max tokens"))?,
        max_cost_usd: f.num(&n("max_cost"), &format!("step {step}: the max cost"))?,
    }))
}

/// The case a create or edit form describes. Whether the values are acceptable is the
/// service's business; this only reads them.
fn case_input(f: &Fields) -> Result<CaseInput, String> {
    let groups: usize = f.num("steps", "the number of steps")?.unwrap_or(1);
    if groups > MAX_STEP_GROUPS {
        return Err(format!("a test case has at most {} steps", MAX_STEP_GROUPS - 1));
    }
    let mut steps = Vec::new();
    for i in 0..groups {
        if let Some(s) = step_of(f, i)? {
            steps.push(s);
        }
    }
    let target = target_of(f)?;
    let secrets = header_lines(f.get("secret_headers"), "secret headers")?;
    let secret_headers = if matches!(target, Target::Model(_)) {
        // A model target has no headers: drop any stored ones.
        Some(Vec::new())
    } else if !secrets.is_empty() {
        Some(secrets)
    } else if f.get("clear_secrets") == "1" {
        Some(Vec::new())
    } else {
        None
    };
    Ok(CaseInput {
        name: f.get("name").to_owned(),
        feature: f.get("feature").to_owned(),
        source_trace_id: None,
        target,
        steps,
        tags: f.get("tags").split(',').map(str::to_owned).collect(),
        secret_headers,
    })
}

pub async fn create(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let r = match case_input(&Fields(pairs)) {
        Ok(input) => testcases::create(&state.stores, &state.key_cipher, &ctx, &slug, &input).await,
        Err(e) => Err(invalid(e)),
    };
    let to = r.as_ref().map(|c| case_page(&slug, &c.id)).unwrap_or_default();
    finish(&session, r, |c: TestCase| format!("Test case “{}” created as a draft.", c.name), &to, &tests_page(&slug)).await
}

pub async fn update(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, id)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let f = Fields(pairs);
    let r = match testcases::authorize_edit(&state.stores, &ctx, &slug).await {
        Err(e) => Err(e),
        Ok(_) => match (f.num::<u32>("version", "the version"), case_input(&f)) {
            (Ok(Some(version)), Ok(input)) => testcases::update(&state.stores, &state.key_cipher, &ctx, &slug, &id, version, &input).await,
            (Ok(None), _) => Err(invalid("the form has no version; reload the page")),
            (Err(e), _) | (_, Err(e)) => Err(invalid(e)),
        },
    };
    let page = case_page(&slug, &id);
    finish(&session, r, |c: TestCase| format!("Test case saved (version {}).", c.version), &page, &page).await
}

pub async fn duplicate(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    let r = testcases::duplicate(&state.stores, &state.key_cipher, &ctx, &slug, &id).await;
    let to = r.as_ref().map(|c| case_page(&slug, &c.id)).unwrap_or_default();
    finish(&session, r, |c: TestCase| format!("Copied as “{}”.", c.name), &to, &case_page(&slug, &id)).await
}

pub async fn delete(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    let r = testcases::delete(&state.stores, &ctx, &slug, &id).await;
    let back = if r.as_ref().is_err_and(|e| e.status() == 404) { tests_page(&slug) } else { case_page(&slug, &id) };
    finish(&session, r, |_| "Test case deleted.".into(), &tests_page(&slug), &back).await
}

#[derive(Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    to: String,
    #[serde(default)]
    comment: String,
}

pub async fn set_status(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, id)): Path<(String, String)>,
    Form(f): Form<ReviewForm>,
) -> Response {
    let r = match (testcases::authorize_edit(&state.stores, &ctx, &slug).await, CaseStatus::parse(&f.to)) {
        (Err(e), _) => Err(e),
        (Ok(_), Some(to)) => testcases::set_status(&state.stores, &ctx, &slug, &id, to, Some(&f.comment)).await,
        (Ok(_), None) => Err(invalid(format!("“{}” is not a review status", f.to))),
    };
    let page = case_page(&slug, &id);
    finish(&session, r, |c: TestCase| format!("The case is now {}.", c.status.label().to_lowercase()), &page, &page).await
}

#[derive(Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    body: String,
}

pub async fn comment(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, id)): Path<(String, String)>,
    Form(f): Form<CommentForm>,
) -> Response {
    let r = testcases::add_comment(&state.stores, &ctx, &slug, &id, &f.body).await;
    let page = case_page(&slug, &id);
    finish(&session, r, |_| "Comment added.".into(), &page, &page).await
}

pub async fn run_case(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    let r = test_runs::start_case_run(&state.stores, &ctx, &slug, &id).await;
    let to = r.as_ref().map(|run| run_page(&slug, &run.id)).unwrap_or_default();
    finish(&session, r, |_| "Run started.".into(), &to, &case_page(&slug, &id)).await
}

pub async fn cancel_run(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, run_id)): Path<(String, String)>,
) -> Response {
    let r = test_runs::cancel_run(&state.stores, &ctx, &slug, &run_id).await;
    let page = run_page(&slug, &run_id);
    finish(&session, r, |_| "Run cancelled.".into(), &page, &page).await
}

#[derive(Deserialize)]
pub struct OverrideForm {
    #[serde(default)]
    step: String,
    #[serde(default)]
    passed: String,
    #[serde(default)]
    comment: String,
}

pub async fn override_step(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, run_id)): Path<(String, String)>,
    Form(f): Form<OverrideForm>,
) -> Response {
    let passed = match f.passed.as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    };
    let r = match (testcases::authorize_edit(&state.stores, &ctx, &slug).await, f.step.trim().parse::<u32>(), passed) {
        (Err(e), _, _) => Err(e),
        (Ok(_), Ok(step), Some(passed)) => test_runs::override_step(&state.stores, &ctx, &slug, &run_id, step, passed, &f.comment).await,
        _ => Err(invalid("choose pass or fail for a step of this run")),
    };
    let page = run_page(&slug, &run_id);
    let step = f.step.trim().parse::<u32>().unwrap_or(0) + 1;
    finish(&session, r, |run| format!("Step {step} overridden; the run is now {}.", run.status.label().to_lowercase()), &page, &page).await
}

pub async fn cancel_suite_run(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    let r = test_runs::cancel_suite_run(&state.stores, &ctx, &slug, &id).await;
    let page = suite_run_page(&slug, &id);
    finish(&session, r, |_| "Suite run cancelled.".into(), &page, &page).await
}

/// `1 test case`, `3 test cases`.
fn cases(n: usize) -> String {
    format!("{n} test case{}", if n == 1 { "" } else { "s" })
}

fn suite_input(pairs: Vec<(String, String)>) -> SuiteInput {
    let f = Fields(pairs);
    SuiteInput { name: f.get("name").to_owned(), description: f.get("description").to_owned(), case_ids: f.all("case_ids") }
}

pub async fn create_suite(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let r = suites::create(&state.stores, &ctx, &slug, &suite_input(pairs)).await;
    let page = tests_page(&slug);
    finish(&session, r, |s| format!("Suite “{}” created with {}.", s.name, cases(s.case_ids.len())), &page, &page).await
}

pub async fn update_suite(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, id)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let r = suites::update(&state.stores, &ctx, &slug, &id, &suite_input(pairs)).await;
    let page = tests_page(&slug);
    finish(&session, r, |s| format!("Suite “{}” saved.", s.name), &page, &page).await
}

pub async fn delete_suite(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    let r = suites::delete(&state.stores, &ctx, &slug, &id).await;
    let page = tests_page(&slug);
    finish(&session, r, |s| format!("Suite “{}” deleted.", s.name), &page, &page).await
}

pub async fn run_suite(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    let r = test_runs::start_suite_run(&state.stores, test_runs::Starter::Person { ctx: &ctx, slug: &slug }, &id).await;
    let to = r.as_ref().map(|(sr, _)| suite_run_page(&slug, &sr.id)).unwrap_or_default();
    finish(&session, r, |(_, runs)| format!("Suite run started: {} (approved ones only).", cases(runs.len())), &to, &tests_page(&slug))
        .await
}

pub async fn from_trace(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, trace_id)): Path<(String, String)>,
) -> Response {
    let r = test_generation::from_trace(&state.stores, &state.key_cipher, &ctx, &slug, &trace_id).await;
    let to = r.as_ref().map(|c| case_page(&slug, &c.id)).unwrap_or_default();
    let back = safe(format!("/projects/{slug}/traces/{trace_id}"));
    finish(&session, r, |c: TestCase| format!("Draft test case “{}” created from the trace.", c.name), &to, &back).await
}

pub async fn from_conversation(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    let r = test_generation::from_conversation(&state.stores, &state.key_cipher, &ctx, &slug, &id).await;
    let to = r.as_ref().map(|c| case_page(&slug, &c.id)).unwrap_or_default();
    // Back to the test cases: the playground page does not show messages.
    finish(&session, r, |c: TestCase| format!("Draft test case “{}” created from the conversation.", c.name), &to, &tests_page(&slug)).await
}

#[derive(Deserialize)]
pub struct GenerateForm {
    #[serde(default)]
    prompt: String,
    #[serde(default)]
    key_id: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    target_key_id: String,
    #[serde(default)]
    target_model: String,
    #[serde(default)]
    target_system_prompt: String,
}

/// Ask the model with the (edited) prompt and save its proposals as drafts.
async fn generate_drafts(state: &AppState, ctx: &services::RequestContext, slug: &str, f: &GenerateForm) -> ServiceResult<String> {
    testcases::authorize_edit(&state.stores, ctx, slug).await?;
    let prompt = f.prompt.trim();
    if prompt.is_empty() || prompt.chars().count() > MAX_PROMPT_CHARS {
        return Err(invalid(format!("the prompt has 1 to {MAX_PROMPT_CHARS} characters")));
    }
    let resolved = provider_keys::resolve(state.stores.primary.as_ref(), &state.key_cipher, ctx, slug, f.key_id.trim()).await?;
    let model = match f.model.trim() {
        "" => resolved.key.default_model.trim().to_owned(),
        m => m.to_owned(),
    };
    if model.is_empty() {
        return Err(invalid("choose a model: the provider key has no default model"));
    }
    let project_id = resolved.access.project.id.clone();
    llm_calls::check_quota(state.stores.primary.as_ref(), state.stores.analytics.as_ref(), &project_id).await?;
    let prices = state.ingest.prices(&state.prices).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "price table unavailable; the generation call is not costed");
        Arc::new(otlp::PriceTable::default())
    });
    let span = CallContext {
        user_id: ctx.actor.as_ref().map(|a| a.user_id.clone()),
        provider_key_id: Some(resolved.key.id.clone()),
        max_inline_bytes: state.ingest.limits().max_attribute_value_bytes,
        ..CallContext::new(&project_id, "test_generation")
    };
    let observer = Arc::new(SpanObserver::new(
        span,
        prices,
        Arc::new(crate::ingest::PlatformSink { ingest: state.ingest.clone(), key_id: "elasticdash-test-generation" }),
    ));
    let provider = llm::build_provider(&resolved.config, observer).map_err(|e| invalid(format!("the provider key cannot be used: {e}")))?;
    let request = llm::ChatRequest::new(model, vec![llm::Message::user(prompt.to_owned())]);
    let reply = provider.chat(&request).await.map_err(|e| invalid(format!("the model did not answer: {e}")))?;
    let target_model = match f.target_model.trim() {
        "" => request.model.clone(),
        m => m.to_owned(),
    };
    let target = Target::Model(ModelTarget {
        provider_key_id: Some(f.target_key_id.trim().to_owned()).filter(|k| !k.is_empty()),
        model: target_model,
        system_prompt: f.target_system_prompt.replace("\r\n", "\n"),
        temperature: None,
        max_tokens: None,
    });
    let (saved, refused) =
        test_generation::save_generated(&state.stores, &state.key_cipher, ctx, &resolved.access, &reply.content, &target).await?;
    let mut message = match saved.len() {
        0 => "No draft was created.".to_owned(),
        n => format!(
            "Created {n} draft test case{}: {}.",
            if n == 1 { "" } else { "s" },
            saved.iter().map(|c| format!("“{}”", c.name)).collect::<Vec<_>>().join(", ")
        ),
    };
    if !refused.is_empty() {
        // A proposal without a name is refused as ": why".
        let refused: Vec<String> = refused.iter().map(|r| if r.starts_with(": ") { format!("(unnamed){r}") } else { r.clone() }).collect();
        message.push_str(&format!(" Refused {}: {}.", refused.len(), refused.join("; ")));
    }
    Ok(message)
}

pub async fn generate(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path(slug): Path<String>,
    Form(f): Form<GenerateForm>,
) -> Response {
    let r = generate_drafts(&state, &ctx, &slug, &f).await;
    let drafts = safe(format!("/projects/{slug}/tests?status=draft&tag=ai-generated"));
    finish(&session, r, |m| m, &drafts, &safe(format!("/projects/{slug}/tests/generate"))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        Fields(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn a_create_form_becomes_a_case() {
        let f = fields(&[
            ("name", "Refunds"),
            ("tags", "smoke, billing"),
            ("target_kind", "http"),
            ("url", "http://127.0.0.1:4100/chat"),
            ("method", "POST"),
            ("headers", "content-type: application/json\r\n\r\n"),
            ("secret_headers", "authorization: Bearer s3cret"),
            ("timeout_ms", "5000"),
            ("steps", "2"),
            ("s0_input", "How long?"),
            ("s0_expected", "5 days"),
            ("s0_match", "same_meaning"),
            ("s0_prompt", "mention the window"),
            ("s0_threshold", "0.8"),
            ("s1_input", ""),
            ("s1_expected", ""),
        ]);
        let c = case_input(&f).unwrap();
        assert_eq!(c.steps.len(), 1, "the blank step group is skipped");
        assert_eq!(c.steps[0].match_type, MatchType::SameMeaning { validation_prompt: "mention the window".into(), threshold: 0.8 });
        let Target::Http(h) = &c.target else { panic!("http target") };
        assert_eq!((h.timeout_ms, h.headers.len()), (5000, 1));
        assert_eq!(c.secret_headers, Some(vec![("authorization".into(), "Bearer s3cret".into())]));
        assert_eq!(c.tags, ["smoke", " billing"]);
    }

    #[test]
    fn secrets_are_kept_unless_replaced_or_cleared() {
        let base = [("name", "x"), ("target_kind", "http"), ("url", "http://a/"), ("s0_input", "i"), ("s0_expected", "o")];
        assert_eq!(case_input(&fields(&base)).unwrap().secret_headers, None);
        let mut cleared = base.to_vec();
        cleared.push(("clear_secrets", "1"));
        assert_eq!(case_input(&fields(&cleared)).unwrap().secret_headers, Some(vec![]));
        let mut model = base.to_vec();
        model[1] = ("target_kind", "model");
        model.push(("model", "gpt-4o-mini"));
        model.push(("temperature", "0.3"));
        let c = case_input(&fields(&model)).unwrap();
        assert_eq!(c.secret_headers, Some(vec![]));
        assert!(matches!(c.target, Target::Model(ModelTarget { temperature: Some(t), .. }) if t == 0.3));
    }

    #[test]
    fn bad_values_are_refused_with_the_step_number() {
        let f = fields(&[
            ("s0_input", "i"),
            ("s0_expected", "o"),
            ("s1_input", "i"),
            ("s1_match", "json_schema"),
            ("s1_schema", "{"),
            ("steps", "2"),
        ]);
        assert!(case_input(&f).unwrap_err().starts_with("step 2: the JSON schema"));
        let f = fields(&[("s0_input", "i"), ("s0_match", "fuzzy")]);
        assert!(case_input(&f).unwrap_err().contains("“fuzzy” is not a match type"));
        let f = fields(&[("s0_input", "i"), ("s0_max_tokens", "lots")]);
        assert!(case_input(&f).unwrap_err().contains("“lots” is not a valid number"));
        let f = fields(&[("headers", "no colon here"), ("s0_input", "i")]);
        assert!(case_input(&f).unwrap_err().contains("Name: value"));
        let f = fields(&[("steps", "9999")]);
        assert!(case_input(&f).is_err());
        let f =
            fields(&[("steps", "2"), ("s0_input", "i"), ("s0_remove", "1"), ("s1_input", "j"), ("s1_tools", "[{\"name\":\"lookup\"}]")]);
        let c = case_input(&f).unwrap();
        assert_eq!((c.steps.len(), c.steps[0].input.as_str(), c.steps[0].tool_calls[0].name.as_str()), (1, "j", "lookup"));
    }

    #[test]
    fn redirects_stay_on_safe_paths() {
        assert_eq!(case_page("acme", "0191-ab"), "/projects/acme/tests/0191-ab");
        assert_eq!(case_page("acme", "x\r\nSet-Cookie: a"), "/projects");
        assert_eq!(safe("//evil.example".into()), "/projects");
    }
}
