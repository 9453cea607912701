//! A project's trace retention (any member reads it; the settings form changes it).

use super::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionView {
    /// `None`: the server default.
    pub days: Option<u32>,
    /// Only owners may change it.
    pub can_edit: bool,
}

#[server(prefix = "/api")]
pub async fn project_retention(slug: String) -> Result<RetentionView, AppError> {
    use super::support::*;
    let (access, days) = services::retention::get(stores().primary.as_ref(), &request(), &slug).await.map_err(fail)?;
    Ok(RetentionView { days, can_edit: access.role == domain::ProjectRole::Owner })
}
