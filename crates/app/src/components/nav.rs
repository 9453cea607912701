use crate::islands::theme_toggle::ThemeToggle;
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

#[component]
pub fn AppHeader() -> impl IntoView {
    let here = use_location().pathname.get_untracked();
    let links = AREAS
        .iter()
        .map(|(href, label)| {
            let current = here == *href || here.starts_with(&format!("{href}/"));
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
            </div>
        </header>
    }
}
