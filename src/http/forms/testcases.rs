//! Test cases, runs and suites (issue 7), as HTML form posts from the test pages (editors and
//! owners; the services check). Each handler calls one use case and redirects with a message.
//!
//! The case and suite forms are decoded by `case_form` (pure, unit-tested).

use super::{
    case_form::{case_input, suite_input, Fields},
    finish, Ctx,
};
use crate::startup::AppState;
use axum::{
    extract::{Path, State},
    response::Response,
    Extension, Form,
};
use domain::testcases::{CaseStatus, TestCase};
use serde::Deserialize;
use services::{suites, test_generation, test_runs, testcases, ServiceError};
use tower_sessions::Session;

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

pub async fn create(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let r = match case_input(&Fields(pairs)) {
        Ok(input) => testcases::create(&state.services.stores, &state.services.cipher, &ctx, &slug, &input).await,
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
    let r = match testcases::authorize_edit(&state.services.stores, &ctx, &slug).await {
        Err(e) => Err(e),
        Ok(_) => match (f.num::<u32>("version", "the version"), case_input(&f)) {
            (Ok(Some(version)), Ok(input)) => {
                testcases::update(&state.services.stores, &state.services.cipher, &ctx, &slug, &id, version, &input).await
            }
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
    let r = testcases::duplicate(&state.services.stores, &state.services.cipher, &ctx, &slug, &id).await;
    let to = r.as_ref().map(|c| case_page(&slug, &c.id)).unwrap_or_default();
    finish(&session, r, |c: TestCase| format!("Copied as “{}”.", c.name), &to, &case_page(&slug, &id)).await
}

pub async fn delete(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    let r = testcases::delete(&state.services.stores, &ctx, &slug, &id).await;
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
    let r = match (testcases::authorize_edit(&state.services.stores, &ctx, &slug).await, CaseStatus::parse(&f.to)) {
        (Err(e), _) => Err(e),
        (Ok(_), Some(to)) => testcases::set_status(&state.services.stores, &ctx, &slug, &id, to, Some(&f.comment)).await,
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
    let r = testcases::add_comment(&state.services.stores, &ctx, &slug, &id, &f.body).await;
    let page = case_page(&slug, &id);
    finish(&session, r, |_| "Comment added.".into(), &page, &page).await
}

pub async fn run_case(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    let r = test_runs::start_case_run(&state.services.stores, &ctx, &slug, &id).await;
    let to = r.as_ref().map(|run| run_page(&slug, &run.id)).unwrap_or_default();
    finish(&session, r, |_| "Run started.".into(), &to, &case_page(&slug, &id)).await
}

pub async fn cancel_run(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, run_id)): Path<(String, String)>,
) -> Response {
    let r = test_runs::cancel_run(&state.services.stores, &ctx, &slug, &run_id).await;
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
    let r = match (testcases::authorize_edit(&state.services.stores, &ctx, &slug).await, f.step.trim().parse::<u32>(), passed) {
        (Err(e), _, _) => Err(e),
        (Ok(_), Ok(step), Some(passed)) => {
            test_runs::override_step(&state.services.stores, &ctx, &slug, &run_id, step, passed, &f.comment).await
        }
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
    let r = test_runs::cancel_suite_run(&state.services.stores, &ctx, &slug, &id).await;
    let page = suite_run_page(&slug, &id);
    finish(&session, r, |_| "Suite run cancelled.".into(), &page, &page).await
}

/// `1 test case`, `3 test cases`.
fn cases(n: usize) -> String {
    format!("{n} test case{}", if n == 1 { "" } else { "s" })
}

pub async fn create_suite(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let r = suites::create(&state.services.stores, &ctx, &slug, &suite_input(pairs)).await;
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
    let r = suites::update(&state.services.stores, &ctx, &slug, &id, &suite_input(pairs)).await;
    let page = tests_page(&slug);
    finish(&session, r, |s| format!("Suite “{}” saved.", s.name), &page, &page).await
}

pub async fn delete_suite(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    let r = suites::delete(&state.services.stores, &ctx, &slug, &id).await;
    let page = tests_page(&slug);
    finish(&session, r, |s| format!("Suite “{}” deleted.", s.name), &page, &page).await
}

pub async fn run_suite(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    let r = test_runs::start_suite_run(&state.services.stores, test_runs::Starter::Person { ctx: &ctx, slug: &slug }, &id).await;
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
    let r = test_generation::from_trace(&state.services.stores, &state.services.cipher, &ctx, &slug, &trace_id).await;
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
    let r = test_generation::from_conversation(&state.services.stores, &state.services.cipher, &ctx, &slug, &id).await;
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

/// What the generation ended with, for the flash message.
fn generated_message(g: &test_generation::Generated) -> String {
    let mut message = match g.saved.len() {
        0 => "No draft was created.".to_owned(),
        n => format!(
            "Created {n} draft test case{}: {}.",
            if n == 1 { "" } else { "s" },
            g.saved.iter().map(|c| format!("“{}”", c.name)).collect::<Vec<_>>().join(", ")
        ),
    };
    if !g.refused.is_empty() {
        // A proposal without a name is refused as ": why".
        let refused: Vec<String> =
            g.refused.iter().map(|r| if r.starts_with(": ") { format!("(unnamed){r}") } else { r.clone() }).collect();
        message.push_str(&format!(" Refused {}: {}.", refused.len(), refused.join("; ")));
    }
    message
}

pub async fn generate(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path(slug): Path<String>,
    Form(f): Form<GenerateForm>,
) -> Response {
    let input = test_generation::GenerateInput {
        prompt: f.prompt,
        key_id: f.key_id,
        model: f.model,
        target_key_id: f.target_key_id,
        target_model: f.target_model,
        target_system_prompt: f.target_system_prompt,
    };
    let r = test_generation::generate(&state.services, &ctx, &slug, &input).await.map(|g| generated_message(&g));
    let drafts = safe(format!("/projects/{slug}/tests?status=draft&tag=ai-generated"));
    finish(&session, r, |m| m, &drafts, &safe(format!("/projects/{slug}/tests/generate"))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_stay_on_safe_paths() {
        assert_eq!(case_page("acme", "0191-ab"), "/projects/acme/tests/0191-ab");
        assert_eq!(case_page("acme", "x\r\nSet-Cookie: a"), "/projects");
        assert_eq!(safe("//evil.example".into()), "/projects");
    }
}
