//! Provider keys: a project's (owners) and the global defaults (admins). The typed key goes
//! straight to the service, which encrypts it; it is never echoed back or logged.

use super::{finish, Ctx};
use crate::startup::AppState;
use axum::{
    extract::{Path, State},
    response::Response,
    Extension, Form,
};
use serde::Deserialize;
use services::provider_keys::{self, ProviderKeyInput, ProviderKeyView};
use tower_sessions::Session;

const ADMIN: &str = "/admin/providers";

#[derive(Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    vendor: String,
    #[serde(default)]
    base_url: String,
    #[serde(default)]
    api_key: String,
    #[serde(default)]
    default_model: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    remove_key: Option<String>,
}

impl From<KeyForm> for ProviderKeyInput {
    fn from(f: KeyForm) -> Self {
        ProviderKeyInput {
            name: f.name,
            vendor: f.vendor,
            base_url: f.base_url,
            api_key: f.api_key,
            default_model: f.default_model,
            remove_key: f.remove_key.is_some(),
        }
    }
}

/// The project's provider page; a slug that is not one goes to the project list (it never
/// reaches a `Location` header unchecked).
fn page(slug: &str) -> String {
    match domain::ProjectSlug::parse(slug) {
        Ok(s) => format!("/projects/{s}/providers"),
        Err(_) => "/projects".into(),
    }
}

fn saved(k: ProviderKeyView) -> String {
    match k.key_last4 {
        Some(l) => format!("Provider key “{}” saved (key ••••{l}).", k.name),
        None => format!("Provider key “{}” saved (no key).", k.name),
    }
}

pub async fn create(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path(slug): Path<String>,
    Form(f): Form<KeyForm>,
) -> Response {
    let r = provider_keys::create(state.services.stores.primary.as_ref(), &state.services.cipher, &ctx, &slug, &f.into()).await;
    finish(&session, r, saved, &page(&slug), &page(&slug)).await
}

pub async fn update(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, id)): Path<(String, String)>,
    Form(f): Form<KeyForm>,
) -> Response {
    let r = provider_keys::update(state.services.stores.primary.as_ref(), &state.services.cipher, &ctx, &slug, &id, &f.into()).await;
    finish(&session, r, saved, &page(&slug), &page(&slug)).await
}

pub async fn delete(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    let r = provider_keys::delete(state.services.stores.primary.as_ref(), &ctx, &slug, &id).await;
    finish(&session, r, |_| "Provider key deleted.".into(), &page(&slug), &page(&slug)).await
}

pub async fn create_global(State(state): State<AppState>, session: Session, Extension(ctx): Ctx, Form(f): Form<KeyForm>) -> Response {
    let r = provider_keys::create_global(state.services.stores.primary.as_ref(), &state.services.cipher, &ctx, &f.into()).await;
    finish(&session, r, saved, ADMIN, ADMIN).await
}

pub async fn update_global(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path(id): Path<String>,
    Form(f): Form<KeyForm>,
) -> Response {
    let r = provider_keys::update_global(state.services.stores.primary.as_ref(), &state.services.cipher, &ctx, &id, &f.into()).await;
    finish(&session, r, saved, ADMIN, ADMIN).await
}

pub async fn delete_global(State(state): State<AppState>, session: Session, Extension(ctx): Ctx, Path(id): Path<String>) -> Response {
    let r = provider_keys::delete_global(state.services.stores.primary.as_ref(), &ctx, &id).await;
    finish(&session, r, |_| "Global provider key deleted.".into(), ADMIN, ADMIN).await
}
