use crate::{api::usage::load_usage, components::flash::LoadError};
use leptos::prelude::*;
use leptos_meta::Title;

fn percent(used: u64, limit: Option<u64>) -> u64 {
    match limit {
        Some(0) => 100,
        Some(l) => (used.saturating_mul(100) / l).min(100),
        None => 0,
    }
}

/// The signed-in user's plan: what is used against each limit.
#[component]
pub fn UsagePage() -> impl IntoView {
    let data = load_usage();
    view! {
        <Title text="Usage" />
        <header class="page-header">
            <h1>"Usage"</h1>
            <p class="lead">"What you use against the limits of your plan. Metered usage restarts on the first of each month (UTC)."</p>
        </header>
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <LoadError message=e.to_string() /> }.into_any(),
                Ok(d) => {
                    let rows = d.limits.into_iter().map(|r| {
                        let pct = percent(r.used, r.limit);
                        let full = pct >= 100;
                        let text = match r.limit { Some(l) => format!("{} of {l}", r.used), None => format!("{} (unlimited)", r.used) };
                        view! {
                            <div class="meter-row" data-testid="limit-row">
                                <div class="meter-label"><span>{r.label}</span><strong>{text}</strong></div>
                                <div class="meter" role="progressbar" aria-valuenow=pct aria-valuemin="0" aria-valuemax="100">
                                    <span class:meter-full=full style=format!("width: {pct}%")></span>
                                </div>
                            </div>
                        }
                    }).collect_view();
                    let charts = d.charts.into_iter().map(|(title, option)| view! {
                        <section class="card">
                            <h2>{title}</h2>
                            <div class="chart" data-echarts=option role="img" aria-label="Usage this month against the plan limit"></div>
                        </section>
                    }).collect_view();
                    view! {
                        <section class="card">
                            <h2>"Plan: " {d.plan_name}</h2>
                            {rows}
                        </section>
                        <div class="grid-2">{charts}</div>
                    }.into_any()
                }
            }
        })}
        <script src="/vendor/echarts.min.js" defer></script>
        <script src="/charts.js" defer></script>
    }
}
