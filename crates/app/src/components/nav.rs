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

/// The area a project page belongs to: the trace explorer (and its playground) to Traces, the
/// datasets, the dashboard, tests and the knowledge base to their own areas; other project pages
/// to Projects (`None`).
fn project_area(path: &str) -> Option<&'static str> {
    let mut parts = path.trim_matches('/').split('/');
    if parts.next() != Some("projects") || parts.next().is_none() {
        return None;
    }
    match parts.next() {
        Some("traces" | "sessions" | "analytics" | "playground") => Some("/traces"),
        Some("datasets") => Some("/datasets"),
        Some("dashboards") => Some("/dashboards"),
        Some("tests") => Some("/tests"),
        Some("kb") => Some("/knowledge-base"),
        _ => None,
    }
}

/// The areas the viewer can use: "Admin" only for admins.
pub fn visible_areas() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
    let admin = page_context().viewer.is_some_and(|v| v.is_admin);
    AREAS.iter().filter(move |(href, _)| admin || *href != "/admin")
}

#[component]
pub fn AppHeader() -> impl IntoView {
    let here = use_location().pathname.get_untracked();
    let links = visible_areas()
        .map(|(href, label)| {
            let current = match project_area(&here) {
                Some(area) => area == *href,
                None => here == *href || here.starts_with(&format!("{href}/")),
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

#[cfg(test)]
mod tests {
    use super::project_area;

    #[test]
    fn project_pages_belong_to_their_area() {
        assert_eq!(project_area("/projects/acme/traces/t1"), Some("/traces"));
        assert_eq!(project_area("/projects/acme/datasets/d1"), Some("/datasets"));
        assert_eq!(project_area("/projects/acme/dashboards"), Some("/dashboards"));
        assert_eq!(project_area("/projects/acme/tests/runs/r1"), Some("/tests"));
        assert_eq!(project_area("/projects/acme/settings"), None);
        assert_eq!(project_area("/projects"), None);
    }
}
