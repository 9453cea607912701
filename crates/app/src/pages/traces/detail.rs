//! One trace: the span tree with its waterfall, and the selected span's details. The tree is a
//! flat list of rows indented by depth (no nested DOM), so a 5,000-span trace stays light;
//! `public/traces.js` collapses subtrees and loads another span's details from the span page.

use super::{explorer_header, param, query_value};
use crate::api::traces::{load_span, load_trace, ProjectHead, SpanData, SpanLine, TraceDetailData};
use crate::components::flash::{FlashBanner, LoadError};
use crate::components::trace_view::{count, dollars, duration, pretty_json, time_of, Payload};
use domain::traces::{SpanRow, StatusCode};
use leptos::prelude::*;
use leptos_meta::Title;

/// Indentation stops growing here so very deep traces stay readable (the depth is shown).
const MAX_INDENT: u32 = 24;

#[component]
pub fn TraceDetailPage() -> impl IntoView {
    let data = load_trace(param("slug"), param("trace_id"), query_value("span"));
    view! {
        <Title text="Trace" />
        <FlashBanner />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <LoadError message=e.to_string() /> }.into_any(),
                Ok(d) => trace_view(d).into_any(),
            }
        })}
        <script src="/traces.js" defer></script>
    }
}

fn span_row(base: &str, l: SpanLine, selected: &str) -> AnyView {
    let indent = l.depth.min(MAX_INDENT);
    let style = format!("--depth:{indent}");
    let bar = format!("left:{:.3}%;width:max({:.3}%,2px)", l.offset_pct, l.width_pct);
    let href = format!("{base}?span={}", l.span_id);
    let tokens = match (l.input_tokens, l.output_tokens) {
        (None, None) => None,
        (i, o) => Some(format!("{}→{}", count(i.unwrap_or(0)), count(o.unwrap_or(0)))),
    };
    let is_selected = l.span_id == selected;
    // The model (or operation) as a chip, unless the name already says it.
    let chip = l.model.clone().or(l.operation.clone()).filter(|m| !l.name.contains(m.as_str()));
    view! {
        <div class="span-row" class:span-error=l.error class:selected=is_selected role="treeitem" data-span=l.span_id.clone()
            data-depth=l.depth aria-expanded=(l.children > 0).then_some("true") data-testid="span-row">
            <div class="span-label" style=style>
                {if l.children > 0 {
                    view! { <button type="button" class="span-toggle" aria-label="Collapse or expand" title=format!("{} child spans", l.children)></button> }.into_any()
                } else {
                    view! { <span class="span-leaf"></span> }.into_any()
                }}
                {(l.depth > MAX_INDENT).then(|| view! { <span class="depth-badge" title="depth">{l.depth}</span> })}
                <a class="span-link" href=href>{l.name}</a>
                {chip.map(|m| view! { <span class="chip">{m}</span> })}
            </div>
            <div class="span-meta muted">
                {tokens}
                {l.cost_micros.filter(|c| *c > 0).map(|c| view! { <span>{dollars(c)}</span> })}
            </div>
            <div class="span-track"><span class="span-bar" style=bar></span></div>
            <div class="span-dur">{duration(l.duration_ns)}</div>
        </div>
    }
    .into_any()
}

fn trace_view(d: TraceDetailData) -> impl IntoView {
    let base = format!("/projects/{}/traces/{}", d.project.slug, d.trace_id);
    let selected = d.selected.span_id.clone();
    let span_count = d.lines.len();
    let rows = d.lines.into_iter().map(|l| span_row(&base, l, &selected)).collect_view();
    let can_delete = d.project.can_delete();
    let delete_action = format!("{base}/delete");
    let facts = [
        ("Started (UTC)", time_of(d.start_ns)),
        ("Duration", duration(d.duration_ns)),
        ("Spans", count(span_count as u64)),
        ("Tokens in / out", format!("{} / {}", count(d.input_tokens), count(d.output_tokens))),
        ("Cost", dollars(d.cost_micros)),
    ];
    view! {
        <Title text=d.name.clone() />
        {explorer_header(&d.project, d.name.clone(), "traces", None)}
        <div class="trace-facts">
            {facts.map(|(k, v)| view! { <div class="fact"><span class="muted">{k}</span><strong>{v}</strong></div> }).collect_view()}
            <div class="fact" class:fact-bad={d.errors > 0}><span class="muted">"Errors"</span><strong data-testid="error-count">{d.errors}</strong></div>
            <div class="fact fact-id"><span class="muted">"Trace id"</span><code>{d.trace_id.clone()}</code></div>
        </div>
        {d.project.role.allows(domain::ProjectRole::Editor).then(|| view! {
            <form method="post" action=format!("/projects/{}/tests/from-trace/{}", d.project.slug, d.trace_id) class="inline-form trace-to-test">
                <button class="btn btn-ghost btn-sm" type="submit" data-testid="trace-to-test">"Create test case from this trace"</button>
            </form>
        })}
        <div class="trace-layout" data-trace-base=base.clone()>
            <section class="card span-tree-card">
                <div class="span-tree-tools">
                    <h2>"Spans"</h2>
                    <span class="muted small">"Click a span for its details."</span>
                    <span class="grow"></span>
                    <button type="button" class="btn btn-ghost btn-sm" data-tree="expand" data-testid="expand-all">"Expand all"</button>
                    <button type="button" class="btn btn-ghost btn-sm" data-tree="collapse" data-testid="collapse-all">"Collapse all"</button>
                </div>
                <div class="span-axis muted" aria-hidden="true">
                    <span></span><span></span>
                    <div class="span-axis-scale"><span>"0"</span><span>{duration(d.duration_ns / 2)}</span><span>{duration(d.duration_ns)}</span></div>
                    <span></span>
                </div>
                <div class="span-tree" role="tree" data-testid="span-tree">{rows}</div>
            </section>
            <aside class="span-panel card" id="span-panel" aria-live="polite">
                {span_detail(&d.project, &d.selected, d.start_ns, None)}
            </aside>
        </div>
        {can_delete.then(|| view! {
            <details class="card section-gap danger delete-trace">
                <summary>"Delete this trace"</summary>
                <p class="muted">"Removes all of its spans and their stored payloads. This cannot be undone and is recorded in the audit trail."</p>
                <form method="post" action=delete_action class="inline-form">
                    <button class="btn btn-danger" type="submit" data-testid="delete-trace">"Delete trace"</button>
                </form>
            </details>
        })}
    }
}

fn payload_block(title: &'static str, text: Option<String>, blob: bool, full_href: Option<String>) -> impl IntoView {
    text.filter(|t| !t.is_empty()).map(|t| {
        view! {
            <section class="span-section">
                <h3>{title}</h3>
                <Payload raw=t />
                {(blob).then(|| match full_href.clone() {
                    Some(href) => view! { <a class="btn btn-ghost btn-sm" href=href data-testid="load-full">"Show the whole " {title.to_lowercase()}</a> }.into_any(),
                    None => view! { <p class="muted small">"The whole payload is shown."</p> }.into_any(),
                })}
            </section>
        }
    })
}

/// The details of one span: what it did, its input and output, attributes.
pub fn span_detail(project: &ProjectHead, s: &SpanRow, trace_start_ns: u64, full: Option<&str>) -> AnyView {
    let span_page = format!("/projects/{}/traces/{}/spans/{}", project.slug, s.trace_id, s.span_id);
    let error = s.status_code == StatusCode::Error;
    let mut facts: Vec<(&str, String)> = vec![
        ("Kind", s.kind.as_str().to_owned()),
        ("Starts at", format!("+{}", duration(s.start_time_unix_nano.saturating_sub(trace_start_ns)))),
        ("Duration", duration(s.duration_ns)),
        ("Service", s.service_name.clone()),
    ];
    let optional = [
        ("Operation", s.operation.clone()),
        ("Model", s.model.clone()),
        ("Provider", s.provider.clone()),
        ("Input tokens", s.input_tokens.map(count)),
        ("Output tokens", s.output_tokens.map(count)),
        ("Cost", s.cost_micros.map(dollars)),
        ("Session", s.session_id.clone()),
        ("User", s.user_id.clone()),
        ("Environment", s.environment.clone()),
        ("Tags", (!s.tags.is_empty()).then(|| s.tags.join(", "))),
    ];
    facts.extend(optional.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))));
    let input_full = (full != Some("input")).then(|| format!("{span_page}?full=input"));
    let output_full = (full != Some("output")).then(|| format!("{span_page}?full=output"));
    let extras = [
        ("Attributes", pretty_json(&s.attributes), true),
        ("Events", pretty_json(&s.events), true),
        ("Links", pretty_json(&s.links), false),
        ("Resource", pretty_json(&s.resource_attributes), false),
    ];
    view! {
        <div class="span-detail" data-span-detail=s.span_id.clone() data-testid="span-detail">
            <div class="span-detail-head">
                <h2>{s.name.clone()}</h2>
                {if error {
                    view! { <span class="pill pill-bad">"error"</span> }.into_any()
                } else {
                    view! { <span class="pill pill-ok">{s.status_code.as_str()}</span> }.into_any()
                }}
            </div>
            {(error && !s.status_message.is_empty()).then(|| view! { <div class="banner banner-bad span-error-message">{s.status_message.clone()}</div> })}
            <dl class="facts">
                {facts.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
            </dl>
            {payload_block("Input", s.input.clone(), s.input_blob.is_some(), input_full)}
            {payload_block("Output", s.output.clone(), s.output_blob.is_some(), output_full)}
            {extras.into_iter().filter_map(|(title, body, open)| body.map(|b| view! {
                <details class="span-section" open=open>
                    <summary>{title}</summary>
                    <pre class="payload json">{b}</pre>
                </details>
            })).collect_view()}
            {s.truncated.then(|| view! { <p class="muted small">"Some attributes, events or links were cut by the ingestion limits."</p> })}
            <p class="small"><a href=span_page.clone()>"Open this span on its own page"</a></p>
        </div>
    }
    .into_any()
}

/// One span on its own page: the target of the tree's lazy loading, and of "show the whole
/// input/output" (`?full=input|output` reads the offloaded payload from the blob store).
#[component]
pub fn SpanPage() -> impl IntoView {
    let data = load_span(param("slug"), param("trace_id"), param("span_id"), query_value("full"));
    view! {
        <Title text="Span" />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <LoadError message=e.to_string() /> }.into_any(),
                Ok(SpanData { project, trace_id, span, trace_start_ns, full }) => {
                    let back = format!("/projects/{}/traces/{trace_id}?span={}", project.slug, span.span_id);
                    view! {
                        {explorer_header(&project, span.name.clone(), "traces", None)}
                        <p><a href=back>"← Back to the trace"</a></p>
                        <section class="card span-page">{span_detail(&project, &span, trace_start_ns, full.as_deref())}</section>
                    }.into_any()
                }
            }
        })}
    }
}
