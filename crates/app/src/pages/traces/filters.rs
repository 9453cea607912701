//! The explorer's filter form: a plain GET form, so every filter lives in the URL and a link
//! reproduces the page.

use crate::api::traces::{RangeView, TraceParams};
use leptos::prelude::*;

const PRESETS: [(&str, &str); 5] =
    [("1h", "Last hour"), ("24h", "Last 24 hours"), ("7d", "Last 7 days"), ("30d", "Last 30 days"), ("custom", "Custom…")];

/// Which fields a page offers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Fields {
    /// Search and every filter (trace list).
    All,
    /// Time range and the span-level dimensions (analytics).
    Analytics,
    /// Time range only (sessions).
    RangeOnly,
}

fn text_field(label: &'static str, name: &'static str, p: &TraceParams, placeholder: &'static str) -> impl IntoView {
    view! {
        <label>{label}<input type="text" name=name value=p.value(name).unwrap_or_default().to_owned() placeholder=placeholder /></label>
    }
}

fn range_fields(range: &RangeView) -> impl IntoView {
    let options = PRESETS.map(|(k, label)| view! { <option value=k selected=range.range == k>{label}</option> }).collect_view();
    view! {
        <label class="range-select">"Time range"<select name="range" data-testid="range">{options}</select></label>
        <label class="range-custom">"From (UTC)"<input type="datetime-local" name="from" value=range.from_input.clone() /></label>
        <label class="range-custom">"To (UTC)"<input type="datetime-local" name="to" value=range.to_input.clone() /></label>
    }
}

#[component]
pub fn FilterForm(action: String, params: TraceParams, range: RangeView, fields: Fields) -> impl IntoView {
    let p = params;
    let advanced = ["name", "model", "status", "user", "session", "tag", "env", "min_latency_ms", "min_cost"];
    let any_advanced = advanced.iter().any(|k| p.value(k).is_some());
    let status = p.value("status").unwrap_or("").to_owned();
    let status_options = [("", "Any status"), ("error", "With errors"), ("ok", "Without errors")]
        .map(|(v, l)| view! { <option value=v selected=status == v>{l}</option> })
        .collect_view();
    let reset = action.clone();
    view! {
        <form method="get" action=action class="filter-form card" data-testid="trace-filters">
            <div class="filter-main">
                {(fields == Fields::All).then(|| view! {
                    <label class="search-box">"Search inputs and outputs"
                        <input type="search" name="q" value=p.value("q").unwrap_or_default().to_owned() placeholder="Any words, in any language" data-testid="search" />
                    </label>
                })}
                {range_fields(&range)}
                {(fields == Fields::Analytics).then(|| {
                    let all = p.value("scope") == Some("all");
                    view! {
                        <label>"Spans"<select name="scope">
                            <option value="llm" selected=!all>"LLM calls only"</option>
                            <option value="all" selected=all>"All spans"</option>
                        </select></label>
                    }
                })}
                <div class="filter-actions">
                    <button class="btn btn-primary" type="submit" data-testid="apply-filters">"Apply"</button>
                    <a class="btn btn-ghost" href=reset>"Reset"</a>
                </div>
            </div>
            {(fields != Fields::RangeOnly).then(|| view! {
                <details class="filter-more" open=any_advanced>
                    <summary>"More filters"{any_advanced.then(|| view! { <span class="pill pill-info">"on"</span> })}</summary>
                    <div class="filter-grid">
                        {text_field("Name", "name", &p, "exact span name")}
                        {text_field("Model", "model", &p, "gpt-4o-mini")}
                        {text_field("User", "user", &p, "user id")}
                        {text_field("Tag", "tag", &p, "")}
                        {text_field("Environment", "env", &p, "production")}
                        {(fields == Fields::All).then(|| view! {
                            {text_field("Session", "session", &p, "session id")}
                            <label>"Status"<select name="status" data-testid="status-filter">{status_options}</select></label>
                            <label>"Min latency (ms)"<input type="number" min="0" step="1" name="min_latency_ms" value=p.value("min_latency_ms").unwrap_or_default().to_owned() /></label>
                            <label>"Min cost ($)"<input type="text" inputmode="decimal" name="min_cost" value=p.value("min_cost").unwrap_or_default().to_owned() placeholder="0.01" /></label>
                        })}
                    </div>
                </details>
            })}
        </form>
    }
    .into_any()
}
