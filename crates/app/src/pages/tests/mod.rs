//! Test cases, runs and suites (issue 7). Pages render on the server and work without
//! JavaScript: every change is a plain form posting to src/http/forms/testcases.rs, which
//! redirects back with a one-time message; running pages refresh themselves with a meta tag.

mod case;
mod cases;
mod compare;
mod fields;
mod generate;
mod run;
mod suite_run;

pub use case::TestCasePage;
pub use cases::TestsPage;
pub use compare::ComparePage;
pub use generate::GeneratePage;
pub use run::TestRunPage;
pub use suite_run::SuiteRunPage;

use crate::api::testcases::TestsHead;
use domain::testcases::{CaseStatus, RunStatus, TestRun};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

fn param(name: &str) -> String {
    use_params_map().with_untracked(|p| p.get(name)).unwrap_or_default()
}

fn query(name: &str) -> String {
    use_query_map().with_untracked(|m| m.get(name)).unwrap_or_default()
}

/// The project's name above the title, and the tests' own tabs.
fn tests_header(head: &TestsHead, title: String, lead: Option<String>, current: &'static str) -> AnyView {
    let base = head.base();
    let tabs = [("cases", "Test cases", base.clone()), ("generate", "Generate with AI", format!("{base}/generate"))];
    let tabs = tabs
        .into_iter()
        .filter(|(key, ..)| *key != "generate" || head.can_edit)
        .map(|(key, label, href)| {
            view! { <a class="tab" href=href aria-current=(key == current).then_some("page") data-testid=format!("tests-tab-{key}")>{label}</a> }
        })
        .collect_view();
    view! {
        <header class="page-header explorer-header">
            <span class="card-kicker"><a href=format!("/projects/{}", head.slug)>{head.name.clone()}</a></span>
            <h1>{title}</h1>
            {lead.map(|l| view! { <p class="lead">{l}</p> })}
            <nav class="tabs explorer-tabs" aria-label="Tests">{tabs}</nav>
        </header>
    }
    .into_any()
}

fn case_status_badge(s: CaseStatus) -> impl IntoView {
    let class = match s {
        CaseStatus::Draft => "pill pill-muted",
        CaseStatus::Review => "pill pill-info",
        CaseStatus::Approved => "pill pill-ok",
        CaseStatus::Rejected => "pill pill-bad",
    };
    view! { <span class=class data-testid="case-status" data-status=s.as_str()>{s.label()}</span> }
}

fn run_status_badge(s: RunStatus) -> impl IntoView {
    let class = match s {
        RunStatus::Pending | RunStatus::Running => "pill pill-info",
        RunStatus::Success => "pill pill-ok",
        RunStatus::Failed => "pill pill-bad",
        RunStatus::Cancelled => "pill pill-muted",
    };
    view! { <span class=class data-testid="run-status" data-status=s.as_str()>{s.label()}</span> }
}

/// `3/4` steps passing (overrides included).
fn passed_steps(run: &TestRun) -> String {
    let passed = run.steps.iter().filter(|s| s.effective_pass()).count();
    format!("{passed}/{}", run.steps.len())
}

/// A fingerprint short enough for a table.
fn short(s: &str) -> String {
    s.chars().take(10).collect()
}

fn when(ms: i64) -> String {
    crate::components::trace_view::time_of(ms.max(0) as u64 * 1_000_000)
}

/// A score for people: `0.82`.
fn score(s: Option<f64>) -> String {
    s.map_or_else(|| "—".to_owned(), |s| format!("{s:.2}"))
}

/// Refresh the page every two seconds while something runs (no JavaScript needed).
fn refresh_while(running: bool) -> impl IntoView {
    running.then(|| view! { <leptos_meta::Meta http_equiv="refresh" content="2" /> })
}
