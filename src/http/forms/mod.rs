//! HTML form posts. Each handler calls one use case and redirects (303) back
//! to a page with a one-time message, so every form works without JavaScript
//! and the back button never re-posts.

mod account;
mod admin;
mod auth;
mod case_form;
mod datasets;
mod kb;
mod personas;
mod prices;
mod projects;
mod provider_keys;
mod testcases;
mod traces;

use crate::http::routes::Routes;
use app::session_view::{Flash, FlashKind};
use axum::{
    response::{IntoResponse, Redirect, Response},
    Extension,
};
use services::{RequestContext, ServiceError};
use tower_sessions::Session;

/// Every form endpoint (all POST), listed in [`crate::http::route_table`].
pub fn routes() -> Routes {
    Routes::new()
        .post("/auth/login", auth::login)
        .post("/auth/logout", auth::logout)
        .post("/auth/first-run", auth::first_run)
        .post("/account/profile", account::profile)
        .post("/account/password", account::password)
        .post("/account/sessions/revoke", account::revoke_session)
        .post("/projects", projects::create)
        .post("/projects/{slug}/settings", projects::update)
        .post("/projects/{slug}/delete", projects::delete)
        .post("/projects/{slug}/members", projects::set_member)
        .post("/projects/{slug}/members/remove", projects::remove_member)
        .post("/projects/{slug}/members/transfer", projects::transfer)
        .post("/projects/{slug}/keys", projects::create_key)
        .post("/projects/{slug}/keys/revoke", projects::revoke_key)
        .post("/admin/users", admin::create_user)
        .post("/admin/users/{id}", admin::update_user)
        .post("/admin/plans", admin::create_plan)
        .post("/admin/plans/{id}", admin::update_plan)
        .post("/auth/forgot-password", auth::forgot_password)
        .post("/auth/reset-password", auth::reset_password)
        .post("/admin/prices", prices::upsert)
        .post("/admin/prices/delete", prices::delete)
        .post("/projects/{slug}/retention", projects::set_retention)
        .post("/projects/{slug}/traces/{id}/delete", traces::delete)
        .post("/projects/{slug}/providers", provider_keys::create)
        .post("/projects/{slug}/providers/{id}", provider_keys::update)
        .post("/projects/{slug}/providers/{id}/delete", provider_keys::delete)
        .post("/admin/providers", provider_keys::create_global)
        .post("/admin/providers/{id}", provider_keys::update_global)
        .post("/admin/providers/{id}/delete", provider_keys::delete_global)
        .post("/projects/{slug}/personas", personas::create)
        .post("/projects/{slug}/personas/{id}", personas::update)
        .post("/projects/{slug}/personas/{id}/delete", personas::delete)
        .post("/projects/{slug}/datasets/{id}/imports/{import_id}/mapping", datasets::confirm_mapping)
        .post("/projects/{slug}/datasets/{id}/delete", datasets::delete)
        .post("/projects/{slug}/tests", testcases::create)
        .post("/projects/{slug}/tests/generate", testcases::generate)
        .post("/projects/{slug}/tests/from-trace/{trace_id}", testcases::from_trace)
        .post("/projects/{slug}/tests/from-conversation/{id}", testcases::from_conversation)
        .post("/projects/{slug}/tests/{id}", testcases::update)
        .post("/projects/{slug}/tests/{id}/duplicate", testcases::duplicate)
        .post("/projects/{slug}/tests/{id}/delete", testcases::delete)
        .post("/projects/{slug}/tests/{id}/status", testcases::set_status)
        .post("/projects/{slug}/tests/{id}/comments", testcases::comment)
        .post("/projects/{slug}/tests/{id}/run", testcases::run_case)
        .post("/projects/{slug}/tests/runs/{run_id}/cancel", testcases::cancel_run)
        .post("/projects/{slug}/tests/runs/{run_id}/override", testcases::override_step)
        .post("/projects/{slug}/tests/suite-runs/{id}/cancel", testcases::cancel_suite_run)
        .post("/projects/{slug}/suites", testcases::create_suite)
        .post("/projects/{slug}/suites/{id}", testcases::update_suite)
        .post("/projects/{slug}/suites/{id}/delete", testcases::delete_suite)
        .post("/projects/{slug}/suites/{id}/run", testcases::run_suite)
        .post("/projects/{slug}/kb/drafts", kb::create_draft)
        .post("/projects/{slug}/kb/drafts/{id}", kb::edit_draft)
        .post("/projects/{slug}/kb/drafts/{id}/submit", kb::submit_draft)
        .post("/projects/{slug}/kb/drafts/{id}/withdraw", kb::withdraw_draft)
        .post("/projects/{slug}/kb/drafts/{id}/reject", kb::reject_draft)
        .post("/projects/{slug}/kb/publish", kb::publish)
        .post("/projects/{slug}/kb/releases/{number}/rollback", kb::rollback)
        .post("/projects/{slug}/kb/settings", kb::settings)
        .post("/projects/{slug}/kb/embeddings", kb::embeddings)
        .post("/projects/{slug}/kb/imports/{id}/apply", kb::apply_import)
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
