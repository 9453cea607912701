use crate::{api::check_readiness, components::nav::visible_areas, islands::ready_badge::ReadyBadge, pages::area::area_info};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    let report = check_readiness();
    let cards = visible_areas()
        .map(|(href, label)| {
            let info = area_info(href.trim_start_matches('/'));
            view! {
                <a class="card card-link" href=*href>
                    <span class="card-kicker">{info.audience}</span>
                    <h3>{*label}</h3>
                    <p>{info.summary}</p>
                </a>
            }
        })
        .collect_view();
    view! {
        <Title text="" />
        <section class="hero">
            <div>
                <h1>"Test, observe and explain your AI applications"</h1>
                <p class="lead">
                    "ElasticDash brings traces, regression tests, a knowledge base of your APIs and finance dashboards into one self-hosted app."
                </p>
            </div>
            {Suspend::new(async move {
                match report.await {
                    Ok(r) => view! { <ReadyBadge initial=r /> }.into_any(),
                    Err(e) => view! { <div class="ready-badge" data-testid="ready-badge" data-state="error">{e.to_string()}</div> }.into_any(),
                }
            })}
        </section>
        <section aria-labelledby="areas-title">
            <h2 id="areas-title" class="section-title">"Where to go"</h2>
            <div class="card-grid">{cards}</div>
        </section>
    }
}
