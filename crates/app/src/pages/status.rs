use crate::components::store_table::StoreTable;
use domain::ReadinessReport;
use leptos::prelude::*;
use leptos_meta::Title;

/// The stores' health; for admins with backends and a latency chart (rendered by vendored ECharts).
#[server(prefix = "/api")]
pub async fn status_overview() -> Result<(ReadinessReport, String), crate::api::AppError> {
    use crate::api::support::*;
    let report = services::readiness::report_for(&stores(), &request()).await;
    let chart = if report.detailed { crate::components::charts::latency_chart(&report) } else { String::new() };
    Ok((report, chart))
}

#[component]
pub fn StatusPage() -> impl IntoView {
    let data = status_overview();
    view! {
        <Title text="System status" />
        <header class="page-header">
            <h1>"System status"</h1>
            <p class="lead">"Each store this server uses, how it answers and how fast. The same data is served as JSON at "<a href="/readyz"><code>"/readyz"</code></a>"."</p>
        </header>
        {Suspend::new(async move {
            match data.await {
                Ok((report, chart)) => {
                    let ready = report.ready;
                    let checked = report.checked_at_label();
                    view! {
                        <div class=if ready { "banner banner-ok" } else { "banner banner-bad" } data-testid="status-banner">
                            {if ready { "All stores are reachable." } else { "At least one store is unreachable." }}
                            <small>" Checked " {checked} "."</small>
                        </div>
                        {if report.detailed {
                            view! {
                                <div class="grid-2">
                                    <section class="card">
                                        <h2>"Stores"</h2>
                                        <StoreTable report />
                                    </section>
                                    <section class="card">
                                        <h2>"Round-trip latency (ms)"</h2>
                                        <div class="chart" data-echarts=chart role="img" aria-label="Latency per store in milliseconds"></div>
                                    </section>
                                </div>
                            }.into_any()
                        } else {
                            view! {
                                <p class="muted" data-testid="status-redacted">"Administrators see which backend serves each store and how fast it answers."</p>
                            }.into_any()
                        }}
                    }
                    .into_any()
                }
                Err(e) => view! { <div class="banner banner-bad">{e.to_string()}</div> }.into_any(),
            }
        })}
        <script src="/vendor/echarts.min.js" defer></script>
        <script src="/charts.js" defer></script>
    }
}
