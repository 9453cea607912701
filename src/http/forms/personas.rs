//! Personas of a project (editors and owners).

use super::{finish, Ctx};
use crate::startup::AppState;
use axum::{
    extract::{Path, State},
    response::Response,
    Extension, Form,
};
use serde::Deserialize;
use services::personas::{self, Persona, PersonaInput};
use tower_sessions::Session;

#[derive(Deserialize)]
pub struct PersonaForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    goals: String,
    #[serde(default)]
    tone: String,
    #[serde(default)]
    language: String,
    /// Comma-separated.
    #[serde(default)]
    traits: String,
}

impl From<PersonaForm> for PersonaInput {
    fn from(f: PersonaForm) -> Self {
        PersonaInput {
            name: f.name,
            description: f.description,
            goals: f.goals,
            tone: f.tone,
            language: f.language,
            traits: PersonaInput::split_traits(&f.traits),
        }
    }
}

/// The project's personas page (a slug that is not one goes to the project list).
fn page(slug: &str) -> String {
    match domain::ProjectSlug::parse(slug) {
        Ok(s) => format!("/projects/{s}/personas"),
        Err(_) => "/projects".into(),
    }
}

pub async fn create(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path(slug): Path<String>,
    Form(f): Form<PersonaForm>,
) -> Response {
    let r = personas::create(state.services.stores.primary.as_ref(), &ctx, &slug, &f.into()).await;
    finish(&session, r, |p: Persona| format!("Persona “{}” created.", p.name), &page(&slug), &page(&slug)).await
}

pub async fn update(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, id)): Path<(String, String)>,
    Form(f): Form<PersonaForm>,
) -> Response {
    let r = personas::update(state.services.stores.primary.as_ref(), &ctx, &slug, &id, &f.into()).await;
    finish(&session, r, |p: Persona| format!("Persona “{}” saved.", p.name), &page(&slug), &page(&slug)).await
}

pub async fn delete(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    let r = personas::delete(state.services.stores.primary.as_ref(), &ctx, &slug, &id).await;
    finish(&session, r, |_| "Persona deleted.".into(), &page(&slug), &page(&slug)).await
}
