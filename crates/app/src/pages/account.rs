use crate::{
    api::account::load_account,
    components::flash::{FlashBanner, LoadError},
};
use domain::usage::utc_minute;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AccountPage() -> impl IntoView {
    let data = load_account();
    view! {
        <Title text="Your account" />
        <header class="page-header with-actions">
            <h1>"Your account"</h1>
            <a class="btn btn-ghost" href="/account/usage" data-testid="usage-link">"Plan and usage"</a>
        </header>
        <FlashBanner />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <LoadError message=e.to_string() /> }.into_any(),
                Ok(a) => {
                    let sessions = a.sessions.into_iter().map(|s| view! {
                        <tr data-testid="session-row">
                            <td>{s.device}{s.current.then(|| view! { <span class="pill pill-ok">"this session"</span> })}</td>
                            <td><code>{s.ip.unwrap_or_else(|| "—".into())}</code></td>
                            <td>{utc_minute(s.login_at_ms)}</td>
                            <td>{utc_minute(s.last_seen_ms)}</td>
                            <td>{(!s.current).then(|| view! {
                                <form method="post" action="/account/sessions/revoke" class="inline-form">
                                    <input type="hidden" name="session" value=s.handle />
                                    <button class="btn btn-ghost btn-sm" type="submit">"Sign out"</button>
                                </form>
                            })}</td>
                        </tr>
                    }).collect_view();
                    view! {
                        {a.must_change_password.then(|| view! {
                            <div class="banner banner-bad" data-testid="must-change">"Your password was set by an administrator. Choose your own password to continue."</div>
                        })}
                        <div class="grid-2">
                            <section class="card">
                                <h2>"Change password"</h2>
                                <form method="post" action="/account/password" class="form" data-testid="password-form">
                                    <label>"Current password" <input type="password" name="current" autocomplete="current-password" required /></label>
                                    <label>"New password (12+ characters)" <input type="password" name="new" autocomplete="new-password" required minlength="12" maxlength="128" /></label>
                                    <label>"Repeat the new password" <input type="password" name="repeat" autocomplete="new-password" required minlength="12" maxlength="128" /></label>
                                    <button class="btn btn-primary" type="submit">"Change password"</button>
                                </form>
                                <p class="muted small">"Changing your password signs out your other sessions."</p>
                            </section>
                            <section class="card">
                                <h2>"Profile"</h2>
                                <form method="post" action="/account/profile" class="form">
                                    <label>"E-mail" <input type="email" value=a.email disabled /></label>
                                    <label>"Name" <input type="text" name="name" value=a.name maxlength="120" /></label>
                                    <button class="btn btn-ghost" type="submit">"Save"</button>
                                </form>
                            </section>
                        </div>
                        <section class="card section-gap">
                            <h2>"Active sessions"</h2>
                            <div class="table-wrap">
                                <table class="data-table">
                                    <thead><tr><th>"Device"</th><th>"IP"</th><th>"Signed in"</th><th>"Last seen"</th><th></th></tr></thead>
                                    <tbody>{sessions}</tbody>
                                </table>
                            </div>
                        </section>
                    }.into_any()
                }
            }
        })}
    }
}
