use super::{capitalise, local_path, Ctx};
use crate::{http::auth::start_session, startup::AppState};
use app::session_view::{Flash, FlashKind};
use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
    Extension, Form,
};
use serde::Deserialize;
use services::{auth, password_reset, RequestContext};
use tower_sessions::Session;

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

pub async fn login(State(state): State<AppState>, session: Session, Extension(ctx): Ctx, Form(f): Form<LoginForm>) -> Response {
    let cost = state.settings.auth.hash_cost();
    match auth::login(state.services.stores.primary.as_ref(), &ctx, &f.email, &f.password, cost).await {
        Ok(user) => match start_session(&session, &user, &ctx).await {
            Ok(()) => Redirect::to(&local_path(f.next.as_deref())).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "could not start a session");
                back_to_login(&session, "Signing in is unavailable right now. Please try again shortly.", f.next.as_deref()).await
            }
        },
        Err(e) => back_to_login(&session, &capitalise(&e.to_string()), f.next.as_deref()).await,
    }
}

async fn back_to_login(session: &Session, message: &str, next: Option<&str>) -> Response {
    crate::http::auth::flash(session, Flash { kind: FlashKind::Error, message: message.to_owned(), secret: None }).await;
    let to = match next {
        Some(n) => format!("/login?next={}", domain::url::query_value(&local_path(Some(n)))),
        None => "/login".into(),
    };
    Redirect::to(&to).into_response()
}

pub async fn logout(State(state): State<AppState>, session: Session, Extension(ctx): Ctx) -> Response {
    let _ = auth::logout(state.services.stores.primary.as_ref(), &ctx).await;
    if let Err(e) = session.flush().await {
        tracing::warn!(error = %e, "could not delete the session");
    }
    Redirect::to("/login").into_response()
}

#[derive(Deserialize)]
pub struct FirstRunForm {
    email: String,
    name: String,
    password: String,
    password_repeat: String,
}

pub async fn first_run(State(state): State<AppState>, session: Session, Extension(ctx): Ctx, Form(f): Form<FirstRunForm>) -> Response {
    if f.password != f.password_repeat {
        crate::http::auth::flash(&session, Flash { kind: FlashKind::Error, message: "The two passwords differ.".into(), secret: None })
            .await;
        return Redirect::to("/setup").into_response();
    }
    let cost = state.settings.auth.hash_cost();
    let store = state.services.stores.primary.as_ref();
    match auth::first_run_admin(store, &RequestContext { actor: None, ..ctx.clone() }, &f.email, &f.name, &f.password, cost).await {
        Ok(user) => {
            if start_session(&session, &user, &ctx).await.is_err() {
                return Redirect::to("/login").into_response();
            }
            let welcome = "Welcome! Your administrator account is ready. Create a project to begin.".to_owned();
            crate::http::auth::flash(&session, Flash { kind: FlashKind::Success, message: welcome, secret: None }).await;
            Redirect::to("/projects").into_response()
        }
        Err(e) => {
            crate::http::auth::flash(&session, Flash { kind: FlashKind::Error, message: capitalise(&e.to_string()), secret: None }).await;
            Redirect::to("/setup").into_response()
        }
    }
}

#[derive(Deserialize)]
pub struct ForgotPasswordForm {
    email: String,
}

/// Always the same message, whether or not the account exists.
pub async fn forgot_password(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Form(f): Form<ForgotPasswordForm>,
) -> Response {
    let store = state.services.stores.primary.as_ref();
    let result = password_reset::request(store, state.services.mailer.clone(), &ctx, &f.email, &state.settings.server.public_url).await;
    super::finish(&session, result, str::to_owned, "/forgot-password", "/forgot-password").await
}

#[derive(Deserialize)]
pub struct ResetPasswordForm {
    token: String,
    password: String,
    password_repeat: String,
}

pub async fn reset_password(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Form(f): Form<ResetPasswordForm>,
) -> Response {
    // Back to the form with the token kept, so a typo can be corrected.
    let again = format!("/reset-password?token={}", domain::url::query_value(&f.token));
    if f.password != f.password_repeat {
        crate::http::auth::flash(&session, Flash { kind: FlashKind::Error, message: "The two passwords differ.".into(), secret: None })
            .await;
        return Redirect::to(&again).into_response();
    }
    let cost = state.settings.auth.hash_cost();
    let ctx = RequestContext { actor: None, ..ctx };
    let result = password_reset::complete(state.services.stores.primary.as_ref(), &ctx, &f.token, &f.password, cost).await;
    let ok = |_| "Your password is changed and every session is signed out. Sign in with the new password.".to_owned();
    super::finish(&session, result, ok, "/login", &again).await
}
