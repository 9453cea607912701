//! Server functions for personas (any member reads them).

use super::AppError;
use domain::personas::Persona;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonasView {
    pub project_name: String,
    pub slug: String,
    pub personas: Vec<Persona>,
    /// Editors and owners create, change and delete them.
    pub can_edit: bool,
}

#[server(prefix = "/api")]
pub async fn project_personas(slug: String) -> Result<PersonasView, AppError> {
    use super::support::*;
    let (access, personas) = services::personas::list_with_access(stores().primary.as_ref(), &request(), &slug).await.map_err(fail)?;
    Ok(PersonasView {
        project_name: access.project.name.clone(),
        slug: access.project.slug.to_string(),
        can_edit: access.role.allows(domain::ProjectRole::Editor),
        personas,
    })
}
