//! A project's traces: filters in the URL, newest first, keyset pagination.

use super::{
    explorer_header,
    filters::{Fields, FilterForm},
    param, query_params,
};
use crate::api::traces::{load_traces, TraceListData, TraceParams};
use crate::components::flash::{FlashBanner, LoadError};
use crate::components::trace_view::{count, dollars, duration, render_payload, time_of, Rendered};
use domain::traces::TraceSummary;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn TraceListPage() -> impl IntoView {
    let params = query_params();
    let data = load_traces(param("slug"), params.clone());
    view! {
        <Title text="Traces" />
        <FlashBanner />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <LoadError message=e.to_string() /> }.into_any(),
                Ok(d) => list_view(d, params).into_any(),
            }
        })}
    }
}

/// What a person asked: the last user message of a chat, else the text.
fn preview_of(input: &str) -> String {
    match render_payload(input) {
        Rendered::Chat(m) => m.iter().rev().find(|m| m.role == "user").or(m.last()).map(|m| m.text.clone()).unwrap_or_default(),
        Rendered::Json(t) | Rendered::Text(t) => t,
    }
}

/// A trace row, shared with the analytics page's top lists.
pub fn trace_row(slug: &str, t: TraceSummary) -> AnyView {
    let href = format!("/projects/{slug}/traces/{}", t.trace_id);
    let status = if t.error_count > 0 {
        view! { <span class="pill pill-bad">{format!("{} error{}", t.error_count, if t.error_count == 1 { "" } else { "s" })}</span> }
            .into_any()
    } else {
        view! { <span class="pill pill-ok">"ok"</span> }.into_any()
    };
    let preview = t.input.as_deref().map(|i| preview_of(i).chars().take(160).collect::<String>());
    view! {
        <tr data-testid="trace-row" class:row-error={t.error_count > 0}>
            <td class="nowrap muted">{time_of(t.start_ns)}</td>
            <td class="trace-name">
                <a href=href data-testid="trace-link">{t.name}</a>
                {preview.map(|p| view! { <div class="preview muted">{p}</div> })}
            </td>
            <td class="num">{duration(t.duration_ns)}</td>
            <td class="num" title="input / output">{count(t.input_tokens)}" / "{count(t.output_tokens)}</td>
            <td class="num">{dollars(t.cost_micros)}</td>
            <td>{t.models.into_iter().map(|m| view! { <span class="chip">{m}</span> }).collect_view()}</td>
            <td class="muted">{t.user_id.unwrap_or_default()}</td>
            <td>{status}</td>
        </tr>
    }
    .into_any()
}

pub fn trace_table(slug: &str, traces: Vec<TraceSummary>) -> AnyView {
    let rows = traces.into_iter().map(|t| trace_row(slug, t)).collect_view();
    view! {
        <div class="table-wrap">
            <table class="data-table trace-table">
                <thead><tr>
                    <th>"Time (UTC)"</th><th>"Name"</th><th class="num">"Latency"</th><th class="num">"Tokens"</th>
                    <th class="num">"Cost"</th><th>"Models"</th><th>"User"</th><th>"Status"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

fn list_view(d: TraceListData, params: TraceParams) -> impl IntoView {
    let slug = d.project.slug.clone();
    let action = format!("/projects/{slug}/traces");
    let first_page = params.value("after").is_some().then(|| format!("{action}{}", params.query_with("after", None)));
    let next = d.next.as_deref().map(|c| format!("{action}{}", params.query_with("after", Some(c))));
    let empty = d.traces.is_empty();
    let shown = d.traces.len();
    view! {
        {explorer_header(&d.project, "Traces".into(), "traces", None)}
        <FilterForm action=action params=params.clone() range=d.range fields=Fields::All />
        {if empty {
            view! {
                <section class="empty-state" data-testid="no-traces">
                    <h2>"No traces match"</h2>
                    <p>"Widen the time range or clear a filter. Traces arrive through OTLP at "<code>"/v1/traces"</code>" with a project API key."</p>
                </section>
            }.into_any()
        } else {
            view! {
                <section class="card section-gap flush">
                    {trace_table(&slug, d.traces)}
                </section>
            }.into_any()
        }}
        <nav class="pager" aria-label="Pages">
            <span class="muted">{format!("{shown} trace{} on this page", if shown == 1 { "" } else { "s" })}</span>
            <span class="pager-links">
                {first_page.map(|href| view! { <a class="btn btn-ghost btn-sm" href=href>"← Newest"</a> })}
                {next.map(|href| view! { <a class="btn btn-ghost btn-sm" href=href data-testid="older">"Older →"</a> })}
            </span>
        </nav>
    }
}
