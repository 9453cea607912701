//! Project-scoped authorisation, checked here for every project read and
//! write — never only by hiding a button.

use crate::{context::RequestContext, ports::PrimaryStore, ports::Project, ports::ProjectId, ServiceError, ServiceResult};
use domain::{ProjectRole, ProjectSlug};

/// A project the actor may act on, with the actor's role in it.
#[derive(Debug, Clone)]
pub struct ProjectAccess {
    /// The project's id, typed as authorised: what project-scoped store calls take.
    pub id: ProjectId,
    pub project: Project,
    pub role: ProjectRole,
}

/// Load `slug` and check the actor's role allows `needed`. Non-members get
/// `NotFound` (not `Forbidden`) so project names do not leak.
pub async fn project_by_slug(
    store: &dyn PrimaryStore,
    ctx: &RequestContext,
    slug: &str,
    needed: ProjectRole,
) -> ServiceResult<ProjectAccess> {
    let actor = ctx.actor()?;
    let slug = ProjectSlug::parse(slug).map_err(|_| ServiceError::NotFound("project"))?;
    let project = store.project_by_slug(&slug).await?.ok_or(ServiceError::NotFound("project"))?;
    let id = ProjectId::authorised(project.id.clone());
    let role = store.member_role(&id, &actor.user_id).await?.ok_or(ServiceError::NotFound("project"))?;
    if !role.allows(needed) {
        return Err(ServiceError::Forbidden);
    }
    Ok(ProjectAccess { id, project, role })
}

/// The same check by project id (API keys, jobs).
pub async fn project_by_id(store: &dyn PrimaryStore, ctx: &RequestContext, id: &str, needed: ProjectRole) -> ServiceResult<ProjectAccess> {
    let actor = ctx.actor()?;
    let project = store.project_by_id(id).await?.ok_or(ServiceError::NotFound("project"))?;
    let id = ProjectId::authorised(project.id.clone());
    let role = store.member_role(&id, &actor.user_id).await?.ok_or(ServiceError::NotFound("project"))?;
    if !role.allows(needed) {
        return Err(ServiceError::Forbidden);
    }
    Ok(ProjectAccess { id, project, role })
}
