//! Sign-in and first-run pages: plain forms that work without JavaScript.

use crate::{api::account::first_run_needed, components::flash::FlashBanner};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let next = use_query_map().with_untracked(|q| q.get("next")).unwrap_or_default();
    let first_run = OnceResource::new(first_run_needed());
    view! {
        <Title text="Sign in" />
        <section class="auth-card card">
            <h1>"Sign in"</h1>
            <p class="muted">"Welcome back to ElasticDash."</p>
            <FlashBanner />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    first_run.await.ok().filter(|needed| *needed).map(|_| view! {
                        <div class="banner banner-info">"No account exists yet. " <a href="/setup">"Create the first administrator"</a> "."</div>
                    })
                })}
            </Suspense>
            <form method="post" action="/auth/login" class="form" data-testid="login-form">
                <input type="hidden" name="next" value=next />
                <label>"E-mail" <input type="email" name="email" autocomplete="username" required autofocus /></label>
                <label>"Password" <input type="password" name="password" autocomplete="current-password" required maxlength="128" /></label>
                <button type="submit" class="btn btn-primary btn-block">"Sign in"</button>
            </form>
            <p class="muted small">"Forgot your password? Ask an administrator to reset it."</p>
        </section>
    }
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let needed = OnceResource::new(first_run_needed());
    view! {
        <Title text="Set up ElasticDash" />
        <section class="auth-card card">
            <h1>"Create the first administrator"</h1>
            <FlashBanner />
            <Suspense fallback=|| view! { <p>"Checking…"</p> }>
                {move || Suspend::new(async move {
                    match needed.await {
                        Ok(true) => view! {
                            <p class="muted">"This account manages users, plans and the audit trail. Use a password of at least 12 characters."</p>
                            <form method="post" action="/auth/first-run" class="form" data-testid="setup-form">
                                <label>"Your name" <input type="text" name="name" autocomplete="name" maxlength="120" /></label>
                                <label>"E-mail" <input type="email" name="email" autocomplete="username" required /></label>
                                <label>"Password" <input type="password" name="password" autocomplete="new-password" required minlength="12" maxlength="128" /></label>
                                <label>"Repeat the password" <input type="password" name="password_repeat" autocomplete="new-password" required minlength="12" maxlength="128" /></label>
                                <button type="submit" class="btn btn-primary btn-block">"Create the administrator"</button>
                            </form>
                        }.into_any(),
                        _ => view! {
                            <p data-testid="setup-done">"This installation is already set up. " <a href="/login">"Sign in"</a> "."</p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
