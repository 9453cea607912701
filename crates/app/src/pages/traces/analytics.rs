//! The LLM analytics dashboard: volume, errors, latency percentiles, tokens and cost over time;
//! breakdowns by model, name and user; the slowest and costliest traces. Filters in the URL.

use super::{
    explorer_header,
    filters::{Fields, FilterForm},
    list::trace_table,
    param, query_params,
};
use crate::api::traces::{load_analytics, AnalyticsData, TraceParams};
use crate::components::flash::LoadError;
use crate::components::trace_view::{count, dollars, duration};
use domain::traces::MetricsRow;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AnalyticsPage() -> impl IntoView {
    let params = query_params();
    let data = load_analytics(param("slug"), params.clone());
    view! {
        <Title text="LLM analytics" />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <LoadError message=e.to_string() /> }.into_any(),
                Ok(d) => dashboard(d, params.clone()).into_any(),
            }
        })}
        <script src="/vendor/echarts.min.js" defer></script>
        <script src="/charts.js" defer></script>
    }
}

fn error_rate(r: &MetricsRow) -> String {
    if r.spans == 0 {
        "0%".into()
    } else {
        format!("{:.1}%", r.errors as f64 * 100.0 / r.spans as f64)
    }
}

/// A breakdown table; each group links to the trace list filtered by it.
fn breakdown(title: &'static str, rows: Vec<MetricsRow>, link: impl Fn(&str) -> Option<String>) -> AnyView {
    let body = rows
        .into_iter()
        .map(|r| {
            let label = if r.group.is_empty() { "(none)".to_owned() } else { r.group.clone() };
            let name = match link(&r.group) {
                Some(href) => view! { <a href=href>{label}</a> }.into_any(),
                None => view! { <span class="muted">{label}</span> }.into_any(),
            };
            view! {
                <tr>
                    <td class="trace-name">{name}</td>
                    <td class="num">{count(r.spans)}</td>
                    <td class="num">{error_rate(&r)}</td>
                    <td class="num">{duration(r.p95_ns)}</td>
                    <td class="num">{count(r.input_tokens + r.output_tokens)}</td>
                    <td class="num">{dollars(r.cost_micros)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card flush" data-testid="breakdown">
            <h2 class="card-title">{title}</h2>
            <div class="table-wrap"><table class="data-table compact">
                <thead><tr><th></th><th class="num">"Spans"</th><th class="num">"Errors"</th><th class="num">"p95"</th><th class="num">"Tokens"</th><th class="num">"Cost"</th></tr></thead>
                <tbody>{body}</tbody>
            </table></div>
        </section>
    }
    .into_any()
}

fn dashboard(d: AnalyticsData, params: TraceParams) -> impl IntoView {
    let slug = d.project.slug.clone();
    let action = format!("/projects/{slug}/analytics");
    let traces = format!("/projects/{slug}/traces");
    let o = d.overall.clone();
    let kpis = [
        ("Spans", o.as_ref().map(|r| count(r.spans))),
        ("Error rate", o.as_ref().map(error_rate)),
        ("Latency p50", o.as_ref().map(|r| duration(r.p50_ns))),
        ("p95", o.as_ref().map(|r| duration(r.p95_ns))),
        ("p99", o.as_ref().map(|r| duration(r.p99_ns))),
        ("Tokens in / out", o.as_ref().map(|r| format!("{} / {}", count(r.input_tokens), count(r.output_tokens)))),
        ("Cost", o.as_ref().map(|r| dollars(r.cost_micros))),
    ];
    let kpis = kpis
        .map(|(k, v)| view! { <div class="card stat kpi" data-testid="kpi"><span class="muted">{k}</span><strong>{v.unwrap_or_else(|| "–".into())}</strong></div> })
        .collect_view();
    let charts = d
        .charts
        .into_iter()
        .map(|(title, option)| {
            view! {
                <section class="card">
                    <h2>{title.clone()}</h2>
                    <div class="chart" data-echarts=option role="img" aria-label=title data-testid="chart"></div>
                </section>
            }
        })
        .collect_view();
    let base = params.clone();
    let filtered = move |key: &'static str| {
        let (base, traces) = (base.clone(), traces.clone());
        move |group: &str| (!group.is_empty()).then(|| format!("{traces}{}", base.query_with(key, Some(group))))
    };
    let scope = if d.llm_only { "LLM calls (spans with a model)" } else { "All spans" };
    view! {
        {explorer_header(&d.project, "LLM analytics".into(), "analytics", Some(format!("{scope}, in the chosen time range (UTC).")))}
        <FilterForm action=action params=params.clone() range=d.range fields=Fields::Analytics />
        <div class="kpi-grid section-gap">{kpis}</div>
        <div class="chart-grid section-gap">{charts}</div>
        <div class="breakdown-grid section-gap">
            {breakdown("By model", d.by_model, filtered("model"))}
            {breakdown("By name", d.by_name, filtered("name"))}
            {breakdown("By user", d.by_user, filtered("user"))}
        </div>
        <section class="card section-gap flush" data-testid="slowest">
            <h2 class="card-title">"Slowest traces"</h2>
            {trace_table(&slug, d.slowest)}
        </section>
        <section class="card section-gap flush" data-testid="costliest">
            <h2 class="card-title">"Most expensive traces"</h2>
            {trace_table(&slug, d.costliest)}
        </section>
    }
}
