//! `/projects/:slug/tests/suite-runs/:id`: a suite run's report — pass rate, failures first,
//! and the trend over the suite's past runs.

use super::{param, passed_steps, refresh_while, run_status_badge, tests_header, when};
use crate::api::testcases::{load_suite_run, ReportRow, SuiteRunView};
use crate::components::flash::{FlashBanner, LoadError};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SuiteRunPage() -> impl IntoView {
    let data = load_suite_run(param("slug"), param("id"));
    view! {
        <Title text="Suite report" />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <FlashBanner /> <LoadError message=e.to_string() /> }.into_any(),
                Ok(v) => page(v).into_any(),
            }
        })}
        <script src="/vendor/echarts.min.js" defer></script>
        <script src="/charts.js" defer></script>
    }
}

fn run_row(base: &str, r: &ReportRow) -> impl IntoView {
    let failures = r.failures.iter().map(|f| view! { <li>{f.clone()}</li> }).collect_view();
    view! {
        <tr data-testid="report-row" class:row-bad=!r.failures.is_empty()>
            <td><a href=format!("{base}/{}", r.run.case_id)>{r.case_name.clone()}</a></td>
            <td>{run_status_badge(r.run.status)} {r.outdated.then(|| view! { <span class="pill pill-warn">"Outdated"</span> })}</td>
            <td class="num">{passed_steps(&r.run)}</td>
            <td>{if r.failures.is_empty() { None } else { Some(view! { <ul class="reasons" data-testid="failures">{failures}</ul> }) }}</td>
            <td><a href=format!("{base}/runs/{}", r.run.id) data-testid="report-run-link">"Details"</a></td>
        </tr>
    }
}

fn page(v: SuiteRunView) -> impl IntoView {
    let base = v.head.base();
    let running = !v.suite_run.status.is_final();
    let c = v.counts;
    let rate = v.pass_rate.map_or_else(|| "—".to_owned(), |r| format!("{:.0}%", r * 100.0));
    let rows = v.runs.iter().map(|r| run_row(&base, r)).collect_view();
    let done = c.passed + c.failed + c.cancelled;
    let progress = running.then(|| {
        let pct = if c.total() == 0 { 0.0 } else { f64::from(done) * 100.0 / f64::from(c.total()) };
        view! {
            <div class="card section-gap" role="status" data-testid="suite-progress">
                <div class="meter-label"><span>"Running… this page refreshes by itself."</span><span>{format!("{done} of {} finished", c.total())}</span></div>
                <div class="meter"><span style=format!("width:{pct:.1}%")></span></div>
            </div>
        }
    });
    let cancel = (v.head.can_edit && running).then(|| {
        view! {
            <form method="post" action=format!("{base}/suite-runs/{}/cancel", v.suite_run.id) class="inline-form">
                <button class="btn btn-ghost btn-sm" type="submit" data-testid="cancel-suite-run">"Cancel suite run"</button>
            </form>
        }
    });
    let trend = if v.trend.len() < 2 {
        view! { <p class="muted">"The trend appears after the suite has run twice."</p> }.into_any()
    } else {
        let rows = v
            .trend
            .iter()
            .rev()
            .map(|t| {
                let here = t.suite_run_id == v.suite_run.id;
                view! {
                    <tr class:selected=here>
                        <td><a href=format!("{base}/suite-runs/{}", t.suite_run_id)>{when(t.created_at_ms)}</a></td>
                        <td>{run_status_badge(t.status)}</td>
                        <td class="num">{t.pass_rate.map_or_else(|| "—".to_owned(), |r| format!("{:.0}%", r * 100.0))}</td>
                        <td class="num">{t.counts.passed}</td>
                        <td class="num">{t.counts.failed}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="chart" data-echarts=v.trend_chart.clone() role="img" aria-label="Pass rate of the suite's past runs" data-testid="trend-chart"></div>
            <details>
                <summary class="muted small">"As a table"</summary>
                <div class="table-wrap"><table class="data-table">
                    <thead><tr><th>"Run (UTC)"</th><th>"Status"</th><th class="num">"Pass rate"</th><th class="num">"Passed"</th><th class="num">"Failed"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table></div>
            </details>
        }
        .into_any()
    };
    view! {
        <Title text=format!("{} · Suite report", v.suite_name) />
        {refresh_while(running)}
        {tests_header(&v.head, format!("Suite “{}”", v.suite_name), Some(format!("Run of {} (UTC), started from the {}.", when(v.suite_run.created_at_ms), if v.suite_run.trigger == "api" { "API" } else { "app" })), "cases")}
        <FlashBanner />
        {progress}
        <div class="report-head">
            <div class="card pass-rate" data-testid="pass-rate">
                <span class="muted">"Pass rate"</span>
                <strong class:rate-bad=c.failed.gt(&0)>{rate}</strong>
                <span>{run_status_badge(v.suite_run.status)}</span>
            </div>
            <div class="kpi-grid">
                <div class="card kpi stat"><span class="muted">"Passed"</span><strong data-testid="count-passed">{c.passed}</strong></div>
                <div class="card kpi stat"><span class="muted">"Failed"</span><strong data-testid="count-failed">{c.failed}</strong></div>
                <div class="card kpi stat"><span class="muted">"Running"</span><strong>{c.running + c.pending}</strong></div>
                <div class="card kpi stat"><span class="muted">"Cancelled"</span><strong>{c.cancelled}</strong></div>
            </div>
        </div>
        <p>{cancel}</p>
        <section class="card section-gap table-wrap">
            <h2>"Runs"</h2>
            <table class="data-table" data-testid="report-table">
                <thead><tr><th>"Case"</th><th>"Status"</th><th class="num">"Steps passed"</th><th>"Why it failed"</th><th></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
        <section class="card section-gap">
            <h2>"Trend"</h2>
            {trend}
        </section>
    }
}
