use crate::{islands::theme_toggle::ThemeToggle, session_view::page_context};
use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// The areas of the product, in navigation order: (path, label).
pub const AREAS: [(&str, &str); 7] = [
    ("/projects", "Projects"),
    ("/traces", "Traces"),
    ("/tests", "Tests"),
    ("/knowledge-base", "Knowledge base"),
    ("/datasets", "Datasets"),
    ("/dashboards", "Dashboards"),
    ("/admin", "Admin"),
];

/// Project pages of the trace explorer (and its playground) belong to the Traces area.
fn is_explorer(path: &str) -> bool {
    let mut parts = path.trim_matches('/').split('/');
    parts.next() == Some("projects")
        && parts.next().is_some()
        && matches!(parts.next(), Some("traces" | "sessions" | "analytics" | "playground"))
}

#[component]
pub fn AppHeader() -> impl IntoView {
    let here = use_location().pathname.get_untracked();
    let links = AREAS
        .iter()
        .map(|(href, label)| {
            let current = if *href == "/projects" && is_explorer(&here) {
                false
            } else {
                here == *href || here.starts_with(&format!("{href}/")) || (*href == "/traces" && is_explorer(&here))
            };
            view! {
                <a href=*href class="nav-link" aria-current=current.then_some("page")>
                    {*label}
                </a>
            }
        })
        .collect_view();
    view! {
        <header class="app-header">
            <a href="/" class="brand" aria-label="ElasticDash home">
                <svg class="brand-mark" viewBox="0 0 24 24" aria-hidden="true">
                    <path d="M4 17l4-6 4 3 5-8 3 4" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round" />
                </svg>
                <span>"ElasticDash"</span>
            </a>
            <nav class="app-nav" aria-label="Main">
                {links}
            </nav>
            <div class="header-tools">
                <ThemeToggle />
                {user_menu()}
            </div>
        </header>
    }
}

/// Who is signed in, with their account and sign-out; or a sign-in link.
fn user_menu() -> impl IntoView {
    match page_context().viewer {
        Some(v) => {
            let label = if v.name.is_empty() { v.email.clone() } else { v.name.clone() };
            view! {
                <a class="nav-link user-link" href="/account" data-testid="user-menu" title=v.email>{label}</a>
                <form method="post" action="/auth/logout" class="inline-form">
                    <button type="submit" class="btn btn-ghost btn-sm" data-testid="logout">"Sign out"</button>
                </form>
            }
            .into_any()
        }
        None => view! { <a class="btn btn-primary btn-sm" href="/login" data-testid="login-link">"Sign in"</a> }.into_any(),
    }
}
