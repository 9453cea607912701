use super::{finish, Ctx};
use crate::startup::AppState;
use app::session_view::{Flash, FlashKind};
use axum::{
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
    Extension, Form,
};
use domain::ProjectRole;
use serde::Deserialize;
use services::{api_keys, projects, ServiceError};
use tower_sessions::Session;

#[derive(Deserialize)]
pub struct ProjectForm {
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    description: String,
}

pub async fn create(State(state): State<AppState>, session: Session, Extension(ctx): Ctx, Form(f): Form<ProjectForm>) -> Response {
    let input = projects::ProjectInput { name: f.name, slug: f.slug, description: f.description };
    match projects::create(state.services.stores.primary.as_ref(), &ctx, input).await {
        Ok(p) => {
            let to = format!("/projects/{}", p.slug);
            finish(&session, Ok(p), |p| format!("Project “{}” created.", p.name), &to, "/projects").await
        }
        Err(e) => finish::<()>(&session, Err(e), |_| String::new(), "/projects", "/projects").await,
    }
}

fn settings(slug: &str) -> String {
    format!("/projects/{slug}/settings")
}

pub async fn update(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path(slug): Path<String>,
    Form(f): Form<ProjectForm>,
) -> Response {
    let r = projects::update(state.services.stores.primary.as_ref(), &ctx, &slug, &f.name, &f.description).await;
    finish(&session, r, |_| "Project saved.".into(), &settings(&slug), &settings(&slug)).await
}

#[derive(Deserialize)]
pub struct DeleteForm {
    confirm: String,
}

pub async fn delete(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path(slug): Path<String>,
    Form(f): Form<DeleteForm>,
) -> Response {
    let r = projects::delete(state.services.stores.primary.as_ref(), &ctx, &slug, &f.confirm).await;
    finish(&session, r, |_| "Project deleted.".into(), "/projects", &settings(&slug)).await
}

#[derive(Deserialize)]
pub struct MemberForm {
    email: String,
    role: String,
}

pub async fn set_member(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path(slug): Path<String>,
    Form(f): Form<MemberForm>,
) -> Response {
    let r = match ProjectRole::parse(&f.role) {
        Some(role) => {
            let inviter = projects::Inviter {
                mailer: state.services.mailer.clone(),
                base_url: state.settings.server.public_url.clone(),
                cost: state.settings.auth.hash_cost(),
            };
            projects::set_member(state.services.stores.primary.as_ref(), &ctx, &inviter, &slug, &f.email, role).await
        }
        None => Err(ServiceError::Invalid("choose a role: owner, editor or analyst".into())),
    };
    finish(&session, r, |_| "Members updated.".into(), &settings(&slug), &settings(&slug)).await
}

#[derive(Deserialize)]
pub struct UserRef {
    user_id: String,
}

pub async fn remove_member(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path(slug): Path<String>,
    Form(f): Form<UserRef>,
) -> Response {
    let r = projects::remove_member(state.services.stores.primary.as_ref(), &ctx, &slug, &f.user_id).await;
    finish(&session, r, |_| "Member removed.".into(), &settings(&slug), &settings(&slug)).await
}

pub async fn transfer(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path(slug): Path<String>,
    Form(f): Form<UserRef>,
) -> Response {
    let r = projects::transfer_ownership(state.services.stores.primary.as_ref(), &ctx, &slug, &f.user_id).await;
    finish(&session, r, |_| "Ownership transferred.".into(), &settings(&slug), &settings(&slug)).await
}

#[derive(Deserialize)]
pub struct KeyForm {
    name: String,
    #[serde(default)]
    ingest: Option<String>,
    #[serde(default)]
    read: Option<String>,
}

/// The new secret travels to the next page once, inside the flash message.
pub async fn create_key(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path(slug): Path<String>,
    Form(f): Form<KeyForm>,
) -> Response {
    let scopes: Vec<String> =
        [("ingest", &f.ingest), ("read", &f.read)].iter().filter(|(_, v)| v.is_some()).map(|(s, _)| s.to_string()).collect();
    match api_keys::create(state.services.stores.primary.as_ref(), &ctx, &slug, &f.name, &scopes).await {
        Ok(created) => {
            let message = format!("Key “{}” created. Copy its secret now: it will not be shown again.", created.record.name);
            let flash =
                Flash { kind: FlashKind::Success, message, secret: Some(format!("{}:{}", created.record.public_id, created.secret)) };
            crate::http::auth::flash(&session, flash).await;
            Redirect::to(&settings(&slug)).into_response()
        }
        Err(e) => finish::<()>(&session, Err(e), |_| String::new(), &settings(&slug), &settings(&slug)).await,
    }
}

#[derive(Deserialize)]
pub struct KeyRef {
    key_id: String,
}

pub async fn revoke_key(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path(slug): Path<String>,
    Form(f): Form<KeyRef>,
) -> Response {
    let r = api_keys::revoke(state.services.stores.primary.as_ref(), &ctx, &state.services.api_keys, &slug, &f.key_id).await;
    finish(&session, r, |_| "Key revoked.".into(), &settings(&slug), &settings(&slug)).await
}

#[derive(Deserialize)]
pub struct RetentionForm {
    /// Days; blank for the server default.
    #[serde(default)]
    days: String,
}

pub async fn set_retention(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path(slug): Path<String>,
    Form(f): Form<RetentionForm>,
) -> Response {
    let r = services::retention::set(state.services.stores.primary.as_ref(), &ctx, &slug, &f.days).await;
    let default = state.settings.retention.default_days;
    let ok = |days: Option<u32>| match days {
        Some(d) => format!("Traces are kept for {d} days."),
        None => format!("Traces are kept for the server default, {default} days."),
    };
    finish(&session, r, ok, &settings(&slug), &settings(&slug)).await
}
