//! `/projects/:slug/tests/:id`: one case — target, steps, review, comments, runs.

use super::{case_status_badge, fields, param, passed_steps, refresh_while, run_status_badge, short, tests_header, when};
use crate::api::testcases::{load_case, CaseView};
use crate::components::flash::{FlashBanner, LoadError};
use domain::{
    test_steps::{MatchType, StepExpectation},
    testcases::{CaseStatus, Target, TestRun},
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn TestCasePage() -> impl IntoView {
    let data = load_case(param("slug"), param("id"));
    view! {
        <Title text="Test case" />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <FlashBanner /> <LoadError message=e.to_string() /> }.into_any(),
                Ok(v) => page(v).into_any(),
            }
        })}
    }
}

/// The expectation of a step in words.
pub(super) fn match_summary(m: &MatchType) -> String {
    match m {
        MatchType::Exact => "Exact match".into(),
        MatchType::Contains => "Contains the expected output".into(),
        MatchType::Regex { pattern } => format!("Matches /{pattern}/"),
        MatchType::JsonSchema { .. } => "JSON valid against the schema".into(),
        MatchType::SameMeaning { threshold, .. } => format!("Same meaning (judge score ≥ {threshold:.2})"),
    }
}

fn target_summary(target: &Target) -> impl IntoView {
    match target {
        Target::Http(h) => {
            let headers: Vec<String> = h.headers.iter().map(|(k, _)| k.clone()).collect();
            view! {
                <dl class="facts-list" data-testid="target-summary">
                    <dt>"Calls"</dt><dd><code>{format!("{} {}", h.method, h.url)}</code></dd>
                    <dt>"Headers"</dt><dd>{if headers.is_empty() { "none".to_owned() } else { headers.join(", ") }}</dd>
                    <dt>"Secret headers"</dt><dd data-testid="secret-names">{if h.secret_header_names.is_empty() { "none".to_owned() } else { format!("{} (values hidden)", h.secret_header_names.join(", ")) }}</dd>
                    <dt>"Timeout"</dt><dd>{format!("{} ms", h.timeout_ms)}</dd>
                    {(!h.body.is_empty()).then(|| view! { <dt>"Body"</dt><dd><pre class="payload-text">{h.body.clone()}</pre></dd> })}
                </dl>
            }
            .into_any()
        }
        Target::Model(m) => view! {
            <dl class="facts-list" data-testid="target-summary">
                <dt>"Calls"</dt><dd>"The model " <code>{m.model.clone()}</code> {m.provider_key_id.is_none().then_some(" with the project's default key")}</dd>
                {m.temperature.map(|t| view! { <dt>"Temperature"</dt><dd>{t}</dd> })}
                {m.max_tokens.map(|t| view! { <dt>"Max tokens"</dt><dd>{t}</dd> })}
                {(!m.system_prompt.is_empty()).then(|| view! { <dt>"System prompt"</dt><dd><pre class="payload-text">{m.system_prompt.clone()}</pre></dd> })}
            </dl>
        }
        .into_any(),
    }
}

fn step_card(i: usize, s: &StepExpectation) -> impl IntoView {
    let mut limits = Vec::new();
    if let Some(ms) = s.max_latency_ms {
        limits.push(format!("latency ≤ {ms} ms"));
    }
    if let Some(t) = s.max_tokens {
        limits.push(format!("tokens ≤ {t}"));
    }
    if let Some(c) = s.max_cost_usd {
        limits.push(format!("cost ≤ ${c}"));
    }
    let extra = match &s.match_type {
        MatchType::JsonSchema { schema } => Some(serde_json::to_string_pretty(schema).unwrap_or_default()),
        MatchType::SameMeaning { validation_prompt, .. } if !validation_prompt.is_empty() => Some(validation_prompt.clone()),
        _ => None,
    };
    let tools: Vec<String> = s.tool_calls.iter().map(|t| t.name.clone()).collect();
    view! {
        <li class="step-card" data-testid="step">
            <div class="step-head">
                <strong>{format!("Step {}", i + 1)}</strong>
                <span class="pill pill-info">{match_summary(&s.match_type)}</span>
                {s.model.clone().map(|m| view! { <span class="chip">{m}</span> })}
            </div>
            <div class="side-by-side">
                <div><span class="muted small">"Input"</span><pre class="payload-text">{s.input.clone()}</pre></div>
                <div><span class="muted small">"Expected output"</span><pre class="payload-text">{s.expected_output.clone()}</pre></div>
            </div>
            {extra.map(|e| view! { <pre class="payload-text small">{e}</pre> })}
            {(!tools.is_empty()).then(|| view! { <p class="small">"Tool calls: " {tools.join(", ")}</p> })}
            {(!limits.is_empty()).then(|| view! { <p class="small muted">{limits.join(" · ")}</p> })}
        </li>
    }
}

fn review(v: &CaseView) -> impl IntoView {
    let action = format!("{}/{}/status", v.head.base(), v.case.id);
    let buttons = v
        .next_statuses
        .iter()
        .map(|s| {
            let (label, class) = match s {
                CaseStatus::Review => ("Send to review", "btn btn-primary btn-sm"),
                CaseStatus::Approved => ("Approve", "btn btn-primary btn-sm"),
                CaseStatus::Rejected => ("Reject", "btn btn-danger btn-sm"),
                CaseStatus::Draft => ("Back to draft", "btn btn-ghost btn-sm"),
            };
            view! { <button class=class type="submit" name="to" value=s.as_str() data-testid=format!("review-{}", s.as_str())>{label}</button> }
        })
        .collect_view();
    view! {
        <form method="post" action=action class="form" data-testid="review-form">
            <label>"Comment (optional)" <textarea name="comment" rows="2" maxlength="4000" placeholder="Why"></textarea></label>
            <div class="form-actions">{buttons}</div>
        </form>
    }
}

fn comments(v: &CaseView) -> impl IntoView {
    let list = v
        .comments
        .iter()
        .map(|c| {
            view! {
                <li class="comment" data-testid="comment">
                    <div class="muted small">{c.author_email.clone().unwrap_or_else(|| "(removed account)".into())} " · " {when(c.created_at_ms)}</div>
                    <p class="pre-line">{c.body.clone()}</p>
                </li>
            }
        })
        .collect_view();
    let form = v.head.can_edit.then(|| {
        view! {
            <form method="post" action=format!("{}/{}/comments", v.head.base(), v.case.id) class="form" data-testid="comment-form">
                <label>"Add a comment" <textarea name="body" rows="2" maxlength="4000" required></textarea></label>
                <div><button class="btn btn-ghost btn-sm" type="submit">"Comment"</button></div>
            </form>
        }
    });
    view! {
        <section class="card section-gap" data-testid="comments">
            <h2>"Comments"</h2>
            {if v.comments.is_empty() { Some(view! { <p class="muted">"No comments yet."</p> }) } else { None }}
            <ul class="comments">{list}</ul>
            {form}
        </section>
    }
}

fn run_row(v: &CaseView, r: &TestRun) -> impl IntoView {
    let href = format!("{}/runs/{}", v.head.base(), r.id);
    let outdated = r.is_outdated(v.case.version);
    view! {
        <tr data-testid="run-row">
            <td><input type="radio" name="a" value=r.id.clone() aria-label="Compare: run A" /></td>
            <td><input type="radio" name="b" value=r.id.clone() aria-label="Compare: run B" /></td>
            <td><a href=href data-testid="run-link">{when(r.created_at_ms)}</a></td>
            <td>{run_status_badge(r.status)} {outdated.then(|| view! { <span class="pill pill-warn" data-testid="outdated" title="The case changed after this run">"Outdated"</span> })}</td>
            <td class="num">{passed_steps(r)}</td>
            <td class="muted"><code>{r.prompt_fingerprint.as_deref().map(short).unwrap_or_else(|| "—".into())}</code></td>
            <td class="muted small">{format!("v{}", r.case_version)}</td>
        </tr>
    }
}

fn history(v: &CaseView) -> impl IntoView {
    let running = v.runs.iter().any(|r| !r.status.is_final());
    let body = if v.runs.is_empty() {
        view! { <p class="muted" data-testid="no-runs">"Not run yet."</p> }.into_any()
    } else {
        let rows = v.runs.iter().map(|r| run_row(v, r)).collect_view();
        view! {
            <form method="get" action=format!("{}/compare", v.head.base()) data-testid="compare-form">
                <div class="table-wrap">
                    <table class="data-table" data-testid="runs-table">
                        <thead><tr><th>"A"</th><th>"B"</th><th>"Started (UTC)"</th><th>"Status"</th><th class="num">"Steps passed"</th><th>"Prompt fingerprint"</th><th>"Case"</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
                {(v.runs.len() > 1).then(|| view! { <button class="btn btn-ghost btn-sm section-gap" type="submit" data-testid="compare">"Compare A with B"</button> })}
            </form>
        }
        .into_any()
    };
    view! {
        {refresh_while(running)}
        <section class="card section-gap" data-testid="run-history">
            <h2>"Runs"</h2>
            {body}
        </section>
    }
}

fn edit_form(v: &CaseView) -> impl IntoView {
    let case = &v.case;
    let steps = case.steps.iter().enumerate().map(|(i, s)| fields::step_fields(i, Some(s), true)).collect_view();
    let approved_note = (case.status != CaseStatus::Draft).then(|| {
        view! { <p class="banner banner-info">"Saving sends the case back to draft: it must be reviewed again before suites run it."</p> }
    });
    view! {
        <details class="card section-gap tests-collapsible" data-testid="edit-case">
            <summary class="btn btn-ghost">"Edit the case"</summary>
            <form method="post" action=format!("{}/{}", v.head.base(), case.id) class="form tests-form" data-testid="edit-case-form">
                <input type="hidden" name="version" value=case.version.to_string() />
                <input type="hidden" name="steps" value=(case.steps.len() + 1).to_string() />
                {approved_note}
                {fields::case_fields(Some(case))}
                {fields::target_fields(Some(&case.target), &v.keys, true)}
                {steps}
                {fields::step_fields(case.steps.len(), None, true)}
                <div><button class="btn btn-primary" type="submit">"Save changes"</button></div>
            </form>
        </details>
    }
}

fn page(v: CaseView) -> impl IntoView {
    let base = v.head.base();
    let case_url = format!("{base}/{}", v.case.id);
    let trace = v.case.source_trace_id.clone().map(|t| {
        view! { <a href=format!("/projects/{}/traces/{t}", v.head.slug) data-testid="source-trace">"Source trace"</a> }
    });
    let suites = v.suites.iter().map(|s| view! { <span class="chip">{s.name.clone()}</span> " " }).collect_view();
    let tags = v.case.tags.iter().map(|t| view! { <span class="chip">{t.clone()}</span> " " }).collect_view();
    let actions = v.head.can_edit.then(|| {
        view! {
            <div class="case-actions">
                <form method="post" action=format!("{case_url}/run") class="inline-form">
                    <button class="btn btn-primary" type="submit" data-testid="run-case">"Run now"</button>
                </form>
                <form method="post" action=format!("{case_url}/duplicate") class="inline-form">
                    <button class="btn btn-ghost" type="submit" data-testid="duplicate-case">"Duplicate"</button>
                </form>
                <details class="inline-details">
                    <summary class="btn btn-ghost">"Delete"</summary>
                    <form method="post" action=format!("{case_url}/delete") class="inline-form confirm-box">
                        <span class="small">"Delete the case, its comments and runs?"</span>
                        <button class="btn btn-danger btn-sm" type="submit" data-testid="delete-case">"Delete"</button>
                    </form>
                </details>
            </div>
        }
    });
    let steps = v.case.steps.iter().enumerate().map(|(i, s)| step_card(i, s)).collect_view();
    view! {
        <Title text=format!("{} · Tests", v.case.name) />
        {tests_header(&v.head, v.case.name.clone(), None, "cases")}
        <FlashBanner />
        <div class="trace-facts">
            <div class="fact"><span class="muted">"Status"</span><strong>{case_status_badge(v.case.status)}</strong></div>
            <div class="fact"><span class="muted">"Feature"</span><strong>{if v.case.feature.is_empty() { "—".to_owned() } else { v.case.feature.clone() }}</strong></div>
            <div class="fact"><span class="muted">"Version"</span><strong data-testid="case-version">{v.case.version}</strong></div>
            <div class="fact"><span class="muted">"Updated (UTC)"</span><strong>{when(v.case.updated_at_ms)}</strong></div>
        </div>
        <p>{tags} {trace} {(!v.suites.is_empty()).then(|| view! { <span class="muted small">" In suites: "</span> })} {suites}</p>
        {actions}
        <div class="grid-main-side section-gap">
            <div>
                <section class="card">
                    <h2>"Target"</h2>
                    {target_summary(&v.case.target)}
                </section>
                <section class="card section-gap">
                    <h2>"Steps"</h2>
                    <ol class="steps">{steps}</ol>
                </section>
            </div>
            <aside>
                <section class="card" data-testid="review">
                    <h2>"Review"</h2>
                    <p>"This case is " {case_status_badge(v.case.status)} "."
                        {(v.case.status != CaseStatus::Approved).then_some(" Only approved cases run in suites.")}</p>
                    {v.head.can_edit.then(|| review(&v))}
                </section>
                {comments(&v)}
            </aside>
        </div>
        {history(&v)}
        {v.head.can_edit.then(|| edit_form(&v))}
    }
}
