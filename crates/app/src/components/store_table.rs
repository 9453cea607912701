use domain::ReadinessReport;
use leptos::prelude::*;

/// One row per store: which adapter, up or down, round-trip latency.
#[component]
pub fn StoreTable(report: ReadinessReport) -> impl IntoView {
    let rows = report
        .stores
        .into_iter()
        .map(|s| {
            let state = if s.up { "Up" } else { "Down" };
            view! {
                <tr data-testid="store-row" data-up=s.up.to_string()>
                    <th scope="row">{s.store.label()}</th>
                    <td><code>{s.backend}</code></td>
                    <td><span class=if s.up { "pill pill-ok" } else { "pill pill-bad" }>{state}</span></td>
                    <td class="num">{format!("{:.1} ms", s.latency_ms)}</td>
                    <td class="muted">{s.error.unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="data-table">
            <thead>
                <tr><th>"Store"</th><th>"Backend"</th><th>"State"</th><th class="num">"Latency"</th><th>"Detail"</th></tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}
