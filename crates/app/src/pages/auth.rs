//! Sign-in, first-run and password-reset pages: plain forms that work
//! without JavaScript.

use crate::{api::account::first_run_needed, components::flash::FlashBanner};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let next = use_query_map().with_untracked(|q| q.get("next")).unwrap_or_default();
    let first_run = first_run_needed();
    view! {
        <Title text="Sign in" />
        <section class="auth-card card">
            <h1>"Sign in"</h1>
            <p class="muted">"Welcome back to ElasticDash."</p>
            <FlashBanner />
            {Suspend::new(async move {
                first_run.await.ok().filter(|needed| *needed).map(|_| view! {
                    <div class="banner banner-info">"No account exists yet. " <a href="/setup">"Create the first administrator"</a> "."</div>
                })
            })}
            <form method="post" action="/auth/login" class="form" data-testid="login-form">
                <input type="hidden" name="next" value=next />
                <label>"E-mail" <input type="email" name="email" autocomplete="username" required autofocus /></label>
                <label>"Password" <input type="password" name="password" autocomplete="current-password" required maxlength="128" /></label>
                <button type="submit" class="btn btn-primary btn-block">"Sign in"</button>
            </form>
            <p class="muted small"><a href="/forgot-password" data-testid="forgot-link">"Forgot your password?"</a></p>
        </section>
    }
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let needed = first_run_needed();
    view! {
        <Title text="Set up ElasticDash" />
        <section class="auth-card card">
            <h1>"Create the first administrator"</h1>
            <FlashBanner />
            {Suspend::new(async move {
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
        </section>
    }
}

/// Ask for a reset link by e-mail.
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    view! {
        <Title text="Forgot your password" />
        <section class="auth-card card">
            <h1>"Forgot your password?"</h1>
            <p class="muted">"Enter the e-mail address of your account: we will send you a link to choose a new password."</p>
            <FlashBanner />
            <form method="post" action="/auth/forgot-password" class="form" data-testid="forgot-form">
                <label>"E-mail" <input type="email" name="email" autocomplete="username" required autofocus maxlength="254" /></label>
                <button type="submit" class="btn btn-primary btn-block">"Send the link"</button>
            </form>
            <p class="muted small"><a href="/login">"Back to sign in"</a></p>
        </section>
    }
}

/// Choose a new password with the token from the e-mailed link.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let token = use_query_map().with_untracked(|q| q.get("token")).unwrap_or_default();
    let has_token = !token.is_empty();
    view! {
        <Title text="Choose a new password" />
        // The token is in this page's URL: never send it to another site.
        <Meta name="referrer" content="no-referrer" />
        <section class="auth-card card">
            <h1>"Choose a new password"</h1>
            <FlashBanner />
            {if has_token {
                view! {
                    <p class="muted">"At least 12 characters. Signing in again is needed on every device afterwards."</p>
                    <form method="post" action="/auth/reset-password" class="form" data-testid="reset-form">
                        <input type="hidden" name="token" value=token />
                        <label>"New password" <input type="password" name="password" autocomplete="new-password" required minlength="12" maxlength="128" autofocus /></label>
                        <label>"Repeat the new password" <input type="password" name="password_repeat" autocomplete="new-password" required minlength="12" maxlength="128" /></label>
                        <button type="submit" class="btn btn-primary btn-block">"Set the new password"</button>
                    </form>
                }.into_any()
            } else {
                view! {
                    <p data-testid="reset-no-token">"This page needs the link from the e-mail. " <a href="/forgot-password">"Ask for a new link"</a> "."</p>
                }.into_any()
            }}
        </section>
    }
}
