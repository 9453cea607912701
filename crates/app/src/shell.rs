use crate::components::nav::AppHeader;
use crate::pages::{
    account::AccountPage,
    admin::{AdminAuditPage, AdminPlansPage, AdminUsersPage},
    admin_prices::AdminPricesPage,
    area::AreaPage,
    area::{DashboardsChooser, TracesChooser},
    auth::{ForgotPasswordPage, LoginPage, ResetPasswordPage, SetupPage},
    dashboards::DashboardPage,
    datasets::{DatasetPage, DatasetsChooser, DatasetsPage},
    home::HomePage,
    kb::{
        KbChooser, KbDiffPage, KbDraftPage, KbDraftsPage, KbEntriesPage, KbEntryPage, KbImportPage, KbImportsPage, KbNewPage,
        KbReleasesPage, KbSearchPage,
    },
    not_found::NotFound,
    personas::PersonasPage,
    playground::PlaygroundPage,
    projects::{ProjectPage, ProjectSettingsPage, ProjectsPage},
    provider_keys::{AdminProvidersPage, ProviderKeysPage},
    status::StatusPage,
    tests::{ComparePage, GeneratePage, SuiteRunPage, TestCasePage, TestRunPage, TestsPage},
    traces::{AnalyticsPage, SessionPage, SessionsPage, SpanPage, TraceDetailPage, TraceListPage},
    usage::UsagePage,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// Light or dark, chosen by the `theme` cookie so the first paint is right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    pub fn from_cookie_header(header: &str) -> Option<Theme> {
        header.split(';').map(str::trim).find_map(|kv| match kv {
            "theme=dark" => Some(Theme::Dark),
            "theme=light" => Some(Theme::Light),
            _ => None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
}

/// The HTML document. The CSP nonce for this response arrives in the request
/// extensions (set by the security-headers middleware) and is provided to
/// Leptos so its hydration script carries it.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let theme = request_theme();
    #[cfg(feature = "ssr")]
    provide_request_nonce();
    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=theme.map(Theme::as_str)>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/elasticdash.css" />
        <Title formatter=|t: String| if t.is_empty() { "ElasticDash".to_owned() } else { format!("{t} · ElasticDash") } />
        <Router>
            <AppHeader />
            <main class="page">
                <Routes fallback=NotFound>
                    <Route path=path!("") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("status") view=StatusPage ssr=SsrMode::Async />
                    <Route path=path!("login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("setup") view=SetupPage ssr=SsrMode::Async />
                    <Route path=path!("forgot-password") view=ForgotPasswordPage ssr=SsrMode::Async />
                    <Route path=path!("reset-password") view=ResetPasswordPage ssr=SsrMode::Async />
                    <Route path=path!("account") view=AccountPage ssr=SsrMode::Async />
                    <Route path=path!("account/usage") view=UsagePage ssr=SsrMode::Async />
                    <Route path=path!("projects") view=ProjectsPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug") view=ProjectPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/settings") view=ProjectSettingsPage ssr=SsrMode::Async />
                    <Route path=path!("admin/plans") view=AdminPlansPage ssr=SsrMode::Async />
                    <Route path=path!("admin/audit") view=AdminAuditPage ssr=SsrMode::Async />
                    <Route path=path!("admin/prices") view=AdminPricesPage ssr=SsrMode::Async />
                    <Route path=path!("traces") view=TracesChooser ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/traces") view=TraceListPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/traces/:trace_id") view=TraceDetailPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/traces/:trace_id/spans/:span_id") view=SpanPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/sessions") view=SessionsPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/sessions/:session_id") view=SessionPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/analytics") view=AnalyticsPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/providers") view=ProviderKeysPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/personas") view=PersonasPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/playground") view=PlaygroundPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/dashboards") view=DashboardPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/datasets") view=DatasetsPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/datasets/:id") view=DatasetPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/tests") view=TestsPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/tests/generate") view=GeneratePage ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/tests/compare") view=ComparePage ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/tests/runs/:run_id") view=TestRunPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/tests/suite-runs/:id") view=SuiteRunPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/tests/:id") view=TestCasePage ssr=SsrMode::Async />
                    <Route path=path!("admin/providers") view=AdminProvidersPage ssr=SsrMode::Async />
                    <Route path=path!("tests") view=|| view! { <AreaPage area="tests" /> } />
                    <Route path=path!("knowledge-base") view=KbChooser ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/kb") view=KbEntriesPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/kb/entry") view=KbEntryPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/kb/new") view=KbNewPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/kb/drafts") view=KbDraftsPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/kb/drafts/:id") view=KbDraftPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/kb/releases") view=KbReleasesPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/kb/releases/diff") view=KbDiffPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/kb/imports") view=KbImportsPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/kb/imports/:id") view=KbImportPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:slug/kb/search") view=KbSearchPage ssr=SsrMode::Async />
                    <Route path=path!("datasets") view=DatasetsChooser ssr=SsrMode::Async />
                    <Route path=path!("dashboards") view=DashboardsChooser ssr=SsrMode::Async />
                    <Route path=path!("admin") view=AdminUsersPage ssr=SsrMode::Async />
                </Routes>
            </main>
            <footer class="app-footer">
                <span>"ElasticDash " {env!("CARGO_PKG_VERSION")}</span>
                <a href="/status">"System status"</a>
            </footer>
        </Router>
    }
}

fn request_theme() -> Option<Theme> {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|parts| parts.headers.get(http::header::COOKIE)?.to_str().ok().and_then(Theme::from_cookie_header))
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

/// Per-response CSP nonce, generated by the server's middleware.
#[cfg(feature = "ssr")]
#[derive(Debug, Clone)]
pub struct CspNonce(pub String);

#[cfg(feature = "ssr")]
fn provide_request_nonce() {
    if let Some(nonce) = use_context::<http::request::Parts>().and_then(|p| p.extensions.get::<CspNonce>().cloned()) {
        provide_context(leptos::nonce::Nonce::from_value(nonce.0));
    }
}

#[cfg(test)]
mod tests {
    use super::Theme;

    #[test]
    fn theme_comes_from_the_cookie() {
        assert_eq!(Theme::from_cookie_header("a=b; theme=dark"), Some(Theme::Dark));
        assert_eq!(Theme::from_cookie_header("theme=light"), Some(Theme::Light));
        assert_eq!(Theme::from_cookie_header("theme=neon; x=y"), None);
    }
}
