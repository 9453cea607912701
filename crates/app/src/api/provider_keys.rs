//! Server functions for provider keys: a project's page (any member) and the global defaults
//! (admins). Keys never leave the server: rows carry the last 4 characters only.

use super::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A stored provider key as a page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderKeyRow {
    pub id: String,
    pub name: String,
    /// openai, anthropic, gemini, xai or openai_compatible.
    pub vendor: String,
    pub base_url: Option<String>,
    pub default_model: String,
    pub key_last4: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// A project's provider page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectProvidersView {
    pub project_name: String,
    pub slug: String,
    pub own: Vec<ProviderKeyRow>,
    /// Set by admins; usable by every project.
    pub global: Vec<ProviderKeyRow>,
    /// Owners add, change and remove the project's keys.
    pub can_manage: bool,
}

#[cfg(feature = "ssr")]
fn row(k: services::provider_keys::ProviderKeyView) -> ProviderKeyRow {
    ProviderKeyRow {
        id: k.id,
        name: k.name,
        vendor: k.vendor,
        base_url: k.base_url,
        default_model: k.default_model,
        key_last4: k.key_last4,
        created_at_ms: k.created_at_ms,
        updated_at_ms: k.updated_at_ms,
    }
}

#[server(prefix = "/api")]
pub async fn project_provider_keys(slug: String) -> Result<ProjectProvidersView, AppError> {
    use super::support::*;
    let keys = services::provider_keys::for_project(stores().primary.as_ref(), &request(), &slug).await.map_err(fail)?;
    Ok(ProjectProvidersView {
        project_name: keys.access.project.name.clone(),
        slug: keys.access.project.slug.to_string(),
        can_manage: keys.access.role == domain::ProjectRole::Owner,
        own: keys.own.into_iter().map(row).collect(),
        global: keys.global.into_iter().map(row).collect(),
    })
}

#[server(prefix = "/api")]
pub async fn global_provider_keys() -> Result<Vec<ProviderKeyRow>, AppError> {
    use super::support::*;
    let keys = services::provider_keys::list_global(stores().primary.as_ref(), &request()).await.map_err(fail)?;
    Ok(keys.into_iter().map(row).collect())
}
