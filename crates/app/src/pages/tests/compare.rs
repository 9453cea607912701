//! `/projects/:slug/tests/compare?a=&b=`: two runs side by side, differences highlighted.

use super::{param, query, run_status_badge, score, short, tests_header, when};
use crate::api::testcases::{load_comparison, CompareView};
use crate::components::flash::{FlashBanner, LoadError};
use domain::testcases::StepDiff;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ComparePage() -> impl IntoView {
    let data = load_comparison(param("slug"), query("a"), query("b"));
    view! {
        <Title text="Compare runs" />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <FlashBanner /> <LoadError message=e.to_string() /> }.into_any(),
                Ok(v) => page(v).into_any(),
            }
        })}
    }
}

fn verdict(p: Option<bool>) -> AnyView {
    match p {
        Some(true) => view! { <span class="pill pill-ok">"Pass"</span> }.into_any(),
        Some(false) => view! { <span class="pill pill-bad">"Fail"</span> }.into_any(),
        None => view! { <span class="muted">"—"</span> }.into_any(),
    }
}

fn step_row(s: &StepDiff) -> impl IntoView {
    let changed = s.output_changed || s.pass_changed;
    let out = |o: &Option<String>| o.clone().unwrap_or_else(|| "(not observed)".into());
    view! {
        <section class="card section-gap compare-step" class:changed=changed data-testid="compare-step" data-changed=changed.to_string()>
            <div class="step-head">
                <strong>{format!("Step {}", s.index + 1)}</strong>
                {s.output_changed.then(|| view! { <span class="pill pill-warn">"Output changed"</span> })}
                {s.pass_changed.then(|| view! { <span class="pill pill-warn">"Verdict changed"</span> })}
                {(!changed).then(|| view! { <span class="muted small">"Same"</span> })}
            </div>
            <div class="side-by-side">
                <div>
                    <div class="small">"A: " {verdict(s.passed_a)} " score " {score(s.score_a)}</div>
                    <pre class="payload-text" class:diff=s.output_changed>{out(&s.output_a)}</pre>
                </div>
                <div>
                    <div class="small">"B: " {verdict(s.passed_b)} " score " {score(s.score_b)}</div>
                    <pre class="payload-text" class:diff=s.output_changed>{out(&s.output_b)}</pre>
                </div>
            </div>
        </section>
    }
}

fn page(CompareView { head: tests_head, comparison: v }: CompareView) -> impl IntoView {
    let base = tests_head.base();
    let head = |label: &'static str, r: &domain::testcases::TestRun, name: &str| {
        view! {
            <div class="card">
                <span class="card-kicker">{label}</span>
                <h3><a href=format!("{base}/runs/{}", r.id)>{when(r.created_at_ms)}</a></h3>
                <p>{run_status_badge(r.status)} " " <span class="muted small">{format!("{name} · v{}", r.case_version)}</span></p>
                <p class="small">"Prompt fingerprint " <code>{r.prompt_fingerprint.as_deref().map(short).unwrap_or_else(|| "—".into())}</code></p>
            </div>
        }
    };
    let fp = if v.fingerprint_changed {
        view! { <div class="banner banner-bad" data-testid="fingerprint-changed">"The prompt fingerprint changed: the system prompt or the model parameters differ between the two runs."</div> }.into_any()
    } else {
        view! { <div class="banner banner-ok" data-testid="fingerprint-same">"Same prompt fingerprint: the system prompt and model parameters did not change."</div> }.into_any()
    };
    let steps = v.steps.iter().map(step_row).collect_view();
    view! {
        <Title text="Compare runs" />
        {tests_header(&tests_head, "Compare two runs".into(), None, "cases")}
        <FlashBanner />
        <div class="grid-2">{head("Run A", &v.a, &v.case_name_a)}{head("Run B", &v.b, &v.case_name_b)}</div>
        <div class="section-gap">{fp}</div>
        {steps}
    }
}
