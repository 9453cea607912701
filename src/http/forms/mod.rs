//! HTML form posts. Each handler calls one use case and redirects (303) back
//! to a page with a one-time message, so every form works without JavaScript
//! and the back button never re-posts.

mod account;
mod admin;
mod auth;
mod datasets;
mod personas;
mod prices;
mod projects;
mod provider_keys;
mod testcases;
mod traces;

use crate::startup::AppState;
use app::session_view::{Flash, FlashKind};
use axum::{
    response::{IntoResponse, Redirect, Response},
    routing::post,
    Extension, Router,
};
use services::{RequestContext, ServiceError};
use tower_sessions::Session;

/// Every form endpoint (all POST). Public so the access-matrix test can
/// check that each one is listed there.
pub const PATHS: [&str; 52] = [
    "/auth/login",
    "/auth/logout",
    "/auth/first-run",
    "/account/profile",
    "/account/password",
    "/account/sessions/revoke",
    "/projects",
    "/projects/{slug}/settings",
    "/projects/{slug}/delete",
    "/projects/{slug}/members",
    "/projects/{slug}/members/remove",
    "/projects/{slug}/members/transfer",
    "/projects/{slug}/keys",
    "/projects/{slug}/keys/revoke",
    "/admin/users",
    "/admin/users/{id}",
    "/admin/plans",
    "/admin/plans/{id}",
    "/auth/forgot-password",
    "/auth/reset-password",
    "/admin/prices",
    "/admin/prices/delete",
    "/projects/{slug}/retention",
    "/projects/{slug}/traces/{id}/delete",
    "/projects/{slug}/providers",
    "/projects/{slug}/providers/{id}",
    "/projects/{slug}/providers/{id}/delete",
    "/admin/providers",
    "/admin/providers/{id}",
    "/admin/providers/{id}/delete",
    "/projects/{slug}/personas",
    "/projects/{slug}/personas/{id}",
    "/projects/{slug}/personas/{id}/delete",
    "/projects/{slug}/datasets/{id}/imports/{import_id}/mapping",
    "/projects/{slug}/datasets/{id}/delete",
    "/projects/{slug}/tests",
    "/projects/{slug}/tests/generate",
    "/projects/{slug}/tests/from-trace/{trace_id}",
    "/projects/{slug}/tests/from-conversation/{id}",
    "/projects/{slug}/tests/{id}",
    "/projects/{slug}/tests/{id}/duplicate",
    "/projects/{slug}/tests/{id}/delete",
    "/projects/{slug}/tests/{id}/status",
    "/projects/{slug}/tests/{id}/comments",
    "/projects/{slug}/tests/{id}/run",
    "/projects/{slug}/tests/runs/{run_id}/cancel",
    "/projects/{slug}/tests/runs/{run_id}/override",
    "/projects/{slug}/tests/suite-runs/{id}/cancel",
    "/projects/{slug}/suites",
    "/projects/{slug}/suites/{id}",
    "/projects/{slug}/suites/{id}/delete",
    "/projects/{slug}/suites/{id}/run",
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PATHS[0], post(auth::login))
        .route(PATHS[1], post(auth::logout))
        .route(PATHS[2], post(auth::first_run))
        .route(PATHS[3], post(account::profile))
        .route(PATHS[4], post(account::password))
        .route(PATHS[5], post(account::revoke_session))
        .route(PATHS[6], post(projects::create))
        .route(PATHS[7], post(projects::update))
        .route(PATHS[8], post(projects::delete))
        .route(PATHS[9], post(projects::set_member))
        .route(PATHS[10], post(projects::remove_member))
        .route(PATHS[11], post(projects::transfer))
        .route(PATHS[12], post(projects::create_key))
        .route(PATHS[13], post(projects::revoke_key))
        .route(PATHS[14], post(admin::create_user))
        .route(PATHS[15], post(admin::update_user))
        .route(PATHS[16], post(admin::create_plan))
        .route(PATHS[17], post(admin::update_plan))
        .route(PATHS[18], post(auth::forgot_password))
        .route(PATHS[19], post(auth::reset_password))
        .route(PATHS[20], post(prices::upsert))
        .route(PATHS[21], post(prices::delete))
        .route(PATHS[22], post(projects::set_retention))
        .route(PATHS[23], post(traces::delete))
        .route(PATHS[24], post(provider_keys::create))
        .route(PATHS[25], post(provider_keys::update))
        .route(PATHS[26], post(provider_keys::delete))
        .route(PATHS[27], post(provider_keys::create_global))
        .route(PATHS[28], post(provider_keys::update_global))
        .route(PATHS[29], post(provider_keys::delete_global))
        .route(PATHS[30], post(personas::create))
        .route(PATHS[31], post(personas::update))
        .route(PATHS[32], post(personas::delete))
        .route(PATHS[33], post(datasets::confirm_mapping))
        .route(PATHS[34], post(datasets::delete))
        .route(PATHS[35], post(testcases::create))
        .route(PATHS[36], post(testcases::generate))
        .route(PATHS[37], post(testcases::from_trace))
        .route(PATHS[38], post(testcases::from_conversation))
        .route(PATHS[39], post(testcases::update))
        .route(PATHS[40], post(testcases::duplicate))
        .route(PATHS[41], post(testcases::delete))
        .route(PATHS[42], post(testcases::set_status))
        .route(PATHS[43], post(testcases::comment))
        .route(PATHS[44], post(testcases::run_case))
        .route(PATHS[45], post(testcases::cancel_run))
        .route(PATHS[46], post(testcases::override_step))
        .route(PATHS[47], post(testcases::cancel_suite_run))
        .route(PATHS[48], post(testcases::create_suite))
        .route(PATHS[49], post(testcases::update_suite))
        .route(PATHS[50], post(testcases::delete_suite))
        .route(PATHS[51], post(testcases::run_suite))
}

/// The request's context as built by the auth middleware.
pub type Ctx = Extension<RequestContext>;

/// Redirect to `to` with a success message, or with the error's message.
pub async fn finish<T>(
    session: &Session,
    result: Result<T, ServiceError>,
    ok: impl FnOnce(T) -> String,
    to: &str,
    on_error: &str,
) -> Response {
    match result {
        Ok(v) => {
            super::auth::flash(session, Flash { kind: FlashKind::Success, message: ok(v), secret: None }).await;
            Redirect::to(to).into_response()
        }
        Err(e) => {
            if e.status() >= 500 {
                tracing::error!(error = %e, "form failed");
            }
            super::auth::flash(session, Flash { kind: FlashKind::Error, message: capitalise(&e.to_string()), secret: None }).await;
            Redirect::to(on_error).into_response()
        }
    }
}

pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// A form's `next` target, kept on this site (no open redirect).
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_owned(),
        _ => "/projects".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_site() {
        assert_eq!(local_path(Some("/projects/x")), "/projects/x");
        for bad in ["//evil.example", "https://evil.example", "\\\\evil", "/\\evil"] {
            assert_eq!(local_path(Some(bad)), "/projects", "{bad}");
        }
        assert_eq!(capitalise("please sign in"), "Please sign in");
    }
}
