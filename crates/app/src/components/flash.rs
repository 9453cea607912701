use crate::session_view::{page_context, FlashKind};
use leptos::prelude::*;

/// The one-time message left by the last form post, if any.
#[component]
pub fn FlashBanner() -> impl IntoView {
    page_context().flash.map(|f| {
        let class = match f.kind {
            FlashKind::Success => "banner banner-ok",
            FlashKind::Error => "banner banner-bad",
        };
        view! {
            <div class=class role=if f.kind == FlashKind::Error { "alert" } else { "status" } data-testid="flash">
                {f.message}
                {f.secret.map(|s| view! { <pre class="secret" data-testid="new-secret"><code>{s}</code></pre> })}
            </div>
        }
    })
}

/// A failed page load, said plainly.
#[component]
pub fn LoadError(message: String) -> impl IntoView {
    view! {
        <section class="empty-state" data-testid="load-error">
            <h2>"This page could not be shown"</h2>
            <p>{message}</p>
            <a class="btn btn-ghost" href="/">"Go to the home page"</a>
        </section>
    }
}
