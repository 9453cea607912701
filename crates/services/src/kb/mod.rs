//! The knowledge base's use cases: drafts and their review, releases (publish, history, diff,
//! rollback), imports of OpenAPI and SQL DDL, export, and the retrieval index.
//!
//! Roles as elsewhere: analysts read, editors write and submit drafts, owners review, publish
//! and roll back (the rules are `domain::kb::draft`'s). Every mutation is audited.

pub mod drafts;
pub mod embeddings;
pub mod grounding;
pub mod imports;
pub mod releases;
pub mod search;
mod validate;

pub use validate::validate_entry;

use crate::{
    authz::{self, ProjectAccess},
    context::RequestContext,
    ports::PrimaryStore,
    ServiceError, ServiceResult, StoreError,
};
use domain::{kb::KbRuleError, ProjectRole};

/// A broken workflow rule, said to the person who tried.
pub(crate) fn rule(e: KbRuleError) -> ServiceError {
    match e {
        KbRuleError::RoleNotAllowed { .. } => ServiceError::Forbidden,
        KbRuleError::VersionConflict { .. } => ServiceError::Conflict(e.to_string()),
        other => ServiceError::Invalid(other.to_string()),
    }
}

/// A store conflict on a KB write: someone else changed it first.
pub(crate) fn raced(what: &str) -> impl Fn(StoreError) -> ServiceError + '_ {
    move |e| match e {
        StoreError::Conflict(_) => ServiceError::Conflict(format!("{what} was changed by someone else meanwhile; reload and try again")),
        other => other.into(),
    }
}

/// The caller's access to `slug` with at least `needed`.
pub(crate) async fn access(
    store: &dyn PrimaryStore,
    ctx: &RequestContext,
    slug: &str,
    needed: ProjectRole,
) -> ServiceResult<ProjectAccess> {
    authz::project_by_slug(store, ctx, slug, needed).await
}
