//! Who is asking: loads the signed-in user from the session, enforces the
//! session's absolute lifetime and password epoch, builds the services'
//! `RequestContext` and the pages' `PageContext`, and keeps anonymous
//! visitors out of everything but the public pages.

use crate::startup::AppState;
use app::session_view::{Flash, PageContext, Viewer};
use axum::{
    extract::{ConnectInfo, Request, State},
    http::{header, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use domain::sessions::SessionFacts;
use services::{auth::actor_of, clock::now_ms, RequestContext};
use std::net::SocketAddr;
use tower_sessions::Session;

pub const USER_ID: &str = "user_id";
/// Where the session was opened, for the user's list of sessions.
pub const META: &str = "meta";
pub const FLASH: &str = "flash";

/// Areas of the app that need a signed-in user. Anything else (the home
/// page, sign-in, status, static files, unknown URLs that render a 404) is
/// open; every data read and write is authorised again in the services.
const PROTECTED: [&str; 9] =
    ["/account", "/projects", "/admin", "/traces", "/tests", "/knowledge-base", "/datasets", "/dashboards", "/api/"];

/// Open to anyone even inside a protected area or as a POST.
const OPEN: [&str; 7] = [
    "/api/check_readiness",
    "/api/status_overview",
    "/api/first_run_needed",
    "/auth/login",
    "/auth/first-run",
    "/auth/forgot-password",
    "/auth/reset-password",
];

fn needs_user(method: &Method, path: &str) -> bool {
    if OPEN.iter().any(|p| path.starts_with(p)) {
        return false;
    }
    let in_area = |p: &&str| path == p.trim_end_matches('/') || path.starts_with(&format!("{}/", p.trim_end_matches('/')));
    !matches!(*method, Method::GET | Method::HEAD) || PROTECTED.iter().any(in_area)
}

/// Paths a user who must change their password may still use.
fn allowed_before_password_change(method: &Method, path: &str) -> bool {
    !needs_user(method, path)
        || path == "/account"
        || path.starts_with("/account/")
        || path == "/auth/logout"
        || path.starts_with("/api/account")
}

pub fn request_context(req: &Request) -> RequestContext {
    let h = req.headers();
    RequestContext {
        actor: None,
        ip: req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()),
        user_agent: h.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(|s| s.chars().take(300).collect()),
        request_id: h.get(super::REQUEST_ID).and_then(|v| v.to_str().ok()).map(str::to_owned),
    }
}

pub async fn load_user(State(state): State<AppState>, session: Session, mut req: Request, next: Next) -> Response {
    // Static files need no user (and no session read per asset).
    if req.uri().path().starts_with("/pkg/") || req.uri().path().starts_with("/vendor/") {
        return next.run(req).await;
    }
    let mut ctx = request_context(&req);
    let mut page = PageContext::default();
    match current_user(&state, &session).await {
        Ok(Some(user)) => {
            page.viewer = Some(Viewer {
                user_id: user.id.clone(),
                email: user.email.to_string(),
                name: user.name.clone(),
                is_admin: user.role == domain::GlobalRole::Admin,
                must_change_password: user.must_change_password,
            });
            ctx.actor = Some(actor_of(&user));
        }
        Ok(None) => {}
        Err(e) => {
            tracing::error!(error = %e, "could not load the session's user");
            return (StatusCode::SERVICE_UNAVAILABLE, "Sessions are unavailable right now. Please try again shortly.").into_response();
        }
    }
    let path = req.uri().path().to_owned();
    let wants_page = req.method() == Method::GET && !path.starts_with("/api/");
    if page.viewer.is_none() && needs_user(req.method(), &path) {
        return if wants_page {
            Redirect::to(&format!("/login?next={}", domain::url::query_value(&path_and_query(&req)))).into_response()
        } else {
            (StatusCode::UNAUTHORIZED, "Please sign in.").into_response()
        };
    }
    if page.viewer.as_ref().is_some_and(|v| v.must_change_password) && !allowed_before_password_change(req.method(), &path) {
        return if wants_page {
            Redirect::to("/account").into_response()
        } else {
            (StatusCode::FORBIDDEN, "You must change your password first.").into_response()
        };
    }
    if wants_page {
        page.flash = session.remove::<Flash>(FLASH).await.ok().flatten();
    }
    page.session_token = session.id().map(|id| id.to_string());
    req.extensions_mut().insert(ctx);
    req.extensions_mut().insert(page);
    next.run(req).await
}

fn path_and_query(req: &Request) -> String {
    req.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/".into())
}

/// The session's user, if the session is valid; ends sessions that outlived
/// their absolute lifetime, or whose user was disabled or changed password.
async fn current_user(state: &AppState, session: &Session) -> Result<Option<services::ports::User>, Box<dyn std::error::Error>> {
    let Some(user_id) = session.get::<String>(USER_ID).await? else { return Ok(None) };
    let Some(mut meta) = session.get::<SessionFacts>(META).await? else {
        session.flush().await?;
        return Ok(None);
    };
    let now = now_ms();
    let lifetime_ms = state.settings.auth.session_absolute_minutes * 60_000;
    let user = services::sessions::session_user(state.services.stores.primary.as_ref(), &user_id, &meta, now, lifetime_ms).await?;
    if user.is_none() {
        session.flush().await?;
        return Ok(None);
    }
    // Remember activity at most once a minute, not on every request.
    if now - meta.last_seen_ms > 60_000 {
        meta.last_seen_ms = now;
        session.insert(META, &meta).await?;
    }
    Ok(user)
}

/// Start a signed-in session: a new session id (no fixation), the user and
/// where they signed in from.
pub async fn start_session(
    session: &Session,
    user: &services::ports::User,
    ctx: &RequestContext,
) -> Result<(), tower_sessions::session::Error> {
    session.cycle_id().await?;
    session.insert(USER_ID, &user.id).await?;
    let now = now_ms();
    let meta = SessionFacts {
        login_at_ms: now,
        last_seen_ms: now,
        password_epoch_ms: user.password_changed_at_ms,
        ip: ctx.ip.clone(),
        user_agent: ctx.user_agent.clone(),
    };
    session.insert(META, &meta).await
}

pub async fn flash(session: &Session, flash: Flash) {
    if let Err(e) = session.insert(FLASH, flash).await {
        tracing::warn!(error = %e, "could not store a flash message");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_requests_need_a_user() {
        assert!(!needs_user(&Method::GET, "/"));
        assert!(!needs_user(&Method::GET, "/no/such/page"));
        assert!(!needs_user(&Method::GET, "/pkg/elasticdash.js"));
        assert!(needs_user(&Method::GET, "/projects"));
        assert!(needs_user(&Method::GET, "/projects/x/settings"));
        assert!(!needs_user(&Method::GET, "/projectsx"));
        assert!(needs_user(&Method::GET, "/api/load_project123"));
        assert!(!needs_user(&Method::POST, "/api/check_readiness123"));
        assert!(!needs_user(&Method::POST, "/auth/login"));
        assert!(needs_user(&Method::POST, "/anything"));
    }
}
