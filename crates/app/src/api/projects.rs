//! Project pages' data.

use super::AppError;
use domain::ProjectRole;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectRow {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub role: ProjectRole,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberRow {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: ProjectRole,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyRow {
    pub id: String,
    pub name: String,
    pub public_id: String,
    pub scopes: Vec<String>,
    pub created_at_ms: i64,
    pub last_used_at_ms: Option<i64>,
    pub revoked: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectView {
    pub project: ProjectRow,
    pub members: Vec<MemberRow>,
    /// Only for owners (who manage keys).
    pub keys: Option<Vec<KeyRow>>,
}

/// The signed-in user's projects.
#[server(prefix = "/api")]
pub async fn my_projects() -> Result<Vec<ProjectRow>, AppError> {
    use super::support::*;
    let list = services::projects::mine(stores().primary.as_ref(), &request()).await.map_err(fail)?;
    Ok(list
        .into_iter()
        .map(|(p, role)| ProjectRow {
            slug: p.slug.to_string(),
            name: p.name,
            description: p.description,
            role,
            created_at_ms: p.created_at_ms,
        })
        .collect())
}

/// One project with its members (and keys for owners).
#[server(prefix = "/api")]
pub async fn load_project(slug: String) -> Result<ProjectView, AppError> {
    use super::support::*;
    let stores = stores();
    let ctx = request();
    let store = stores.primary.as_ref();
    let (access, members) = services::projects::members(store, &ctx, &slug).await.map_err(fail)?;
    let keys = if access.role == ProjectRole::Owner {
        let keys = services::api_keys::list(store, &ctx, &slug).await.map_err(fail)?;
        Some(
            keys.into_iter()
                .map(|k| KeyRow {
                    id: k.id,
                    name: k.name,
                    public_id: k.public_id,
                    scopes: k.scopes,
                    created_at_ms: k.created_at_ms,
                    last_used_at_ms: k.last_used_at_ms,
                    revoked: k.revoked_at_ms.is_some(),
                })
                .collect(),
        )
    } else {
        None
    };
    let p = access.project;
    Ok(ProjectView {
        project: ProjectRow {
            slug: p.slug.to_string(),
            name: p.name,
            description: p.description,
            role: access.role,
            created_at_ms: p.created_at_ms,
        },
        members: members.into_iter().map(|m| MemberRow { user_id: m.user_id, email: m.email, name: m.name, role: m.role }).collect(),
        keys,
    })
}
