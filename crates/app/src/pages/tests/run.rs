//! `/projects/:slug/tests/runs/:run_id`: one run, step by step: expected against observed, the
//! verdict and why, and a person's override.

use super::{case::match_summary, param, passed_steps, refresh_while, run_status_badge, score, tests_header, when};
use crate::api::testcases::{load_run, RunView};
use crate::components::flash::{FlashBanner, LoadError};
use domain::{
    test_steps::StepExpectation,
    testcases::{RunStatus, StepResult},
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn TestRunPage() -> impl IntoView {
    let data = load_run(param("slug"), param("run_id"));
    view! {
        <Title text="Test run" />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <FlashBanner /> <LoadError message=e.to_string() /> }.into_any(),
                Ok(v) => page(v).into_any(),
            }
        })}
    }
}

fn override_box(v: &RunView, s: &StepResult) -> impl IntoView {
    let existing = s.override_.as_ref().map(|o| {
        let who =
            o.by.as_ref()
                .and_then(|id| v.people.iter().find(|(uid, _)| uid == id).map(|(_, e)| e.clone()))
                .unwrap_or_else(|| "a member".into());
        view! {
            <p class="override-note" data-testid="override">
                <strong>{if o.passed { "Passed by hand" } else { "Failed by hand" }}</strong>
                " by " {who} " · " {when(o.at_ms)} ": " <span class="pre-line">{o.comment.clone()}</span>
            </p>
        }
    });
    let can_override = v.head.can_edit && matches!(v.run.status, RunStatus::Success | RunStatus::Failed);
    let form = can_override.then(|| {
        let action = format!("{}/runs/{}/override", v.head.base(), v.run.id);
        let passing = s.effective_pass();
        view! {
            <details class="override-details">
                <summary class="btn btn-ghost btn-sm" data-testid="override-open">{if s.override_.is_some() { "Change the verdict" } else { "Override the verdict" }}</summary>
                <form method="post" action=action class="form" data-testid="override-form">
                    <input type="hidden" name="step" value=s.index.to_string() />
                    <div class="target-kinds">
                        <label class="check"><input type="radio" name="passed" value="true" checked=!passing />" Pass"</label>
                        <label class="check"><input type="radio" name="passed" value="false" checked=passing />" Fail"</label>
                    </div>
                    <label>"Why" <textarea name="comment" rows="2" maxlength="2000" required placeholder="The answer is right: the wording changed"></textarea></label>
                    <div><button class="btn btn-primary btn-sm" type="submit" data-testid="override-save">"Save verdict"</button></div>
                </form>
            </details>
        }
    });
    view! { {existing} {form} }
}

fn step_block(v: &RunView, s: &StepResult, expected: Option<&StepExpectation>) -> impl IntoView {
    let passed = s.effective_pass();
    let observed = s.observed.as_ref();
    let mut facts = Vec::new();
    if let Some(o) = observed {
        facts.push(format!("{} ms", o.latency_ms));
        if let Some(t) = o.tokens {
            facts.push(format!("{t} tokens"));
        }
        if let Some(c) = o.cost_usd.filter(|c| *c > 0.0) {
            facts.push(format!("${c:.4}"));
        }
        if let Some(m) = &o.model {
            facts.push(m.clone());
        }
        if !o.tool_calls.is_empty() {
            facts.push(format!("tools: {}", o.tool_calls.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ")));
        }
    }
    let reasons = s.verdict.reasons.iter().map(|r| view! { <li>{r.clone()}</li> }).collect_view();
    view! {
        <section class="card section-gap run-step" class:run-step-bad=!passed data-testid="run-step" data-passed=passed.to_string()>
            <div class="step-head">
                <strong>{format!("Step {}", s.index + 1)}</strong>
                {match (passed, s.override_.is_some()) {
                    (true, false) => view! { <span class="pill pill-ok">"Pass"</span> }.into_any(),
                    (true, true) => view! { <span class="pill pill-ok">"Pass (by hand)"</span> }.into_any(),
                    (false, false) => view! { <span class="pill pill-bad">"Fail"</span> }.into_any(),
                    (false, true) => view! { <span class="pill pill-bad">"Fail (by hand)"</span> }.into_any(),
                }}
                <span class="muted small">"Score " {score(Some(s.verdict.score))}</span>
                {expected.map(|e| view! { <span class="muted small">{match_summary(&e.match_type)}</span> })}
            </div>
            {expected.map(|e| view! { <div class="muted small step-input"><strong>"Input: "</strong>{e.input.clone()}</div> })}
            <div class="side-by-side">
                <div>
                    <span class="muted small">"Expected"</span>
                    <pre class="payload-text" data-testid="expected">{expected.map(|e| e.expected_output.clone()).unwrap_or_else(|| "(the case changed or was deleted)".into())}</pre>
                </div>
                <div>
                    <span class="muted small">"Observed"</span>
                    <pre class="payload-text" data-testid="observed">{observed.map(|o| o.output.clone()).unwrap_or_else(|| "(no matching AI call was observed)".into())}</pre>
                </div>
            </div>
            {(!facts.is_empty()).then(|| view! { <p class="muted small">{facts.join(" · ")}</p> })}
            {(!s.verdict.reasons.is_empty()).then(|| view! { <ul class="reasons" data-testid="reasons">{reasons}</ul> })}
            {s.verdict.judge_explanation.clone().map(|j| view! { <p class="small"><strong>"Judge: "</strong>{j}</p> })}
            {override_box(v, s)}
        </section>
    }
}

fn page(v: RunView) -> impl IntoView {
    let run = &v.run;
    let running = !run.status.is_final();
    let case_link = format!("{}/{}", v.head.base(), run.case_id);
    let case_name = v.case.as_ref().map_or_else(|| "(deleted case)".to_owned(), |c| c.name.clone());
    let outdated = v.case.as_ref().is_some_and(|c| run.is_outdated(c.version));
    // Expectations of the version that ran are only known while the case is at that version.
    let expected = |i: u32| v.case.as_ref().filter(|c| c.version == run.case_version).and_then(|c| c.steps.get(i as usize));
    let steps = run.steps.iter().map(|s| step_block(&v, s, expected(s.index))).collect_view();
    let cancel = (v.head.can_edit && running).then(|| {
        view! {
            <form method="post" action=format!("{}/runs/{}/cancel", v.head.base(), run.id) class="inline-form">
                <button class="btn btn-ghost btn-sm" type="submit" data-testid="cancel-run">"Cancel run"</button>
            </form>
        }
    });
    let suite_link = run.suite_run_id.clone().map(|id| {
        view! { <a href=format!("{}/suite-runs/{id}", v.head.base())>"Suite report"</a> }
    });
    let progress = running.then(|| {
        let words = if run.status == RunStatus::Pending {
            "Waiting for a worker…"
        } else {
            "Running: calling the target and checking each step…"
        };
        view! { <div class="banner banner-info" role="status" data-testid="run-progress">{words} " This page refreshes by itself."</div> }
    });
    view! {
        <Title text=format!("Run · {case_name}") />
        {refresh_while(running)}
        {tests_header(&v.head, format!("Run of “{case_name}”"), None, "cases")}
        <FlashBanner />
        {progress}
        <div class="trace-facts">
            <div class="fact"><span class="muted">"Status"</span><strong>{run_status_badge(run.status)}</strong></div>
            <div class="fact"><span class="muted">"Steps passed"</span><strong data-testid="steps-passed">{passed_steps(run)}</strong></div>
            <div class="fact"><span class="muted">"Started (UTC)"</span><strong>{when(run.started_at_ms.unwrap_or(run.created_at_ms))}</strong></div>
            <div class="fact"><span class="muted">"Case version"</span><strong>{format!("v{}", run.case_version)} {outdated.then(|| view! { <span class="pill pill-warn" data-testid="outdated">"Outdated"</span> })}</strong></div>
            <div class="fact fact-id"><span class="muted">"Trace"</span><a href=format!("/projects/{}/traces/{}", v.head.slug, run.trace_id) data-testid="run-trace"><code>{run.trace_id.clone()}</code></a></div>
            {run.prompt_fingerprint.clone().map(|f| view! { <div class="fact fact-id"><span class="muted">"Prompt fingerprint"</span><code>{f}</code></div> })}
        </div>
        <p><a href=case_link>"Back to the case"</a> " " {suite_link} " " {cancel}</p>
        {run.error.clone().map(|e| view! { <div class="banner banner-bad" data-testid="run-error">{e}</div> })}
        {if run.steps.is_empty() && !running && run.error.is_none() {
            Some(view! { <p class="muted">"No step results."</p> })
        } else {
            None
        }}
        {steps}
    }
}
