//! The trace explorer: a project's traces, one trace's span tree, sessions as conversations and
//! the LLM analytics dashboard. Pages render on the server; the span tree's collapsing and its
//! lazily loaded span details are a small script (`public/traces.js`).

mod analytics;
mod detail;
mod filters;
mod list;
mod sessions;

pub use analytics::AnalyticsPage;
pub use detail::{SpanPage, TraceDetailPage};
pub use list::TraceListPage;
pub use sessions::{SessionPage, SessionsPage};

use crate::api::traces::{ProjectHead, TraceParams};
use crate::components::trace_view::ExplorerTabs;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

fn param(name: &str) -> String {
    use_params_map().with_untracked(|p| p.get(name)).unwrap_or_default()
}

fn query_params() -> TraceParams {
    use_query_map().with_untracked(|m| {
        let pairs: Vec<(&str, String)> = TraceParams::KEYS.iter().filter_map(|k| m.get(k).map(|v| (*k, v))).collect();
        TraceParams::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
    })
}

fn query_value(name: &str) -> Option<String> {
    use_query_map().with_untracked(|m| m.get(name)).filter(|v| !v.is_empty())
}

/// The project's name above the page title, and the explorer's tabs.
fn explorer_header(project: &ProjectHead, title: String, current: &'static str, lead: Option<String>) -> AnyView {
    view! {
        <header class="page-header explorer-header">
            <span class="card-kicker"><a href=format!("/projects/{}", project.slug)>{project.name.clone()}</a></span>
            <h1>{title}</h1>
            {lead.map(|l| view! { <p class="lead">{l}</p> })}
            <ExplorerTabs slug=project.slug.clone() current=current />
        </header>
    }
    .into_any()
}
