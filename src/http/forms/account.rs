use super::{finish, Ctx};
use crate::{http::auth::META, startup::AppState};
use axum::{extract::State, response::Response, Extension, Form};
use domain::sessions::SessionFacts;
use serde::Deserialize;
use services::{auth, RequestContext, ServiceError, ServiceResult};
use tower_sessions::Session;

#[derive(Deserialize)]
pub struct ProfileForm {
    name: String,
}

pub async fn profile(State(state): State<AppState>, session: Session, Extension(ctx): Ctx, Form(f): Form<ProfileForm>) -> Response {
    let result = services::users::update_profile(state.services.stores.primary.as_ref(), &ctx, &f.name).await;
    finish(&session, result, |_| "Profile saved.".into(), "/account", "/account").await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
    repeat: String,
}

/// Change one's password; this session continues (with a new id), every
/// other session of the user ends.
pub async fn password(State(state): State<AppState>, session: Session, Extension(ctx): Ctx, Form(f): Form<PasswordForm>) -> Response {
    let result = change_password(&state, &session, &ctx, &f).await;
    finish(&session, result, |n| format!("Password changed. {n} other session(s) were signed out."), "/account", "/account").await
}

async fn change_password(state: &AppState, session: &Session, ctx: &RequestContext, f: &PasswordForm) -> ServiceResult<u64> {
    if f.new != f.repeat {
        return Err(ServiceError::Invalid("the two new passwords differ".into()));
    }
    let store = state.services.stores.primary.as_ref();
    auth::change_password(store, ctx, &f.current, &f.new, state.settings.auth.hash_cost()).await?;
    let user = store.user_by_id(&ctx.actor()?.user_id).await?.ok_or(ServiceError::Unauthenticated)?;
    let internal = |e: tower_sessions::session::Error| {
        tracing::error!(error = %e, "session update failed");
        ServiceError::Internal
    };
    session.cycle_id().await.map_err(internal)?;
    if let Some(mut meta) = session.get::<SessionFacts>(META).await.map_err(internal)? {
        meta.password_epoch_ms = user.password_changed_at_ms;
        session.insert(META, &meta).await.map_err(internal)?;
    }
    // Save now so this session's new id exists before the others are removed.
    session.save().await.map_err(internal)?;
    let keep = session.id().map(|id| id.to_string());
    services::sessions::end_others(state.services.sessions.as_ref(), ctx, keep.as_deref()).await
}

#[derive(Deserialize)]
pub struct RevokeForm {
    /// The session's handle (never its token).
    session: String,
}

pub async fn revoke_session(State(state): State<AppState>, session: Session, Extension(ctx): Ctx, Form(f): Form<RevokeForm>) -> Response {
    let result =
        services::sessions::revoke(state.services.sessions.as_ref(), state.services.stores.primary.as_ref(), &ctx, &f.session).await;
    finish(&session, result, |_| "The session was signed out.".into(), "/account", "/account").await
}
