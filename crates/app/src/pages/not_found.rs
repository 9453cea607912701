use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <section class="empty-state" data-testid="not-found">
            <p class="big-code">"404"</p>
            <h1>"Page not found"</h1>
            <p>"The address may be mistyped, or the page has moved."</p>
            <a class="btn btn-primary" href="/">"Go to the home page"</a>
        </section>
    }
}
