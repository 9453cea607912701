//! Projects and their members.

use crate::{
    audit::{self, Change},
    authz::{self, ProjectAccess},
    clock::now_ms,
    context::RequestContext,
    password_reset,
    passwords::{self, HashCost},
    ports::{Mailer, Member, NewProject, NewUser, PrimaryStore, Project, User},
    quota, ServiceError, ServiceResult,
};
use domain::{Email, GlobalRole, ProjectRole, ProjectSlug, QuotaKind};
use serde_json::json;
use std::sync::Arc;

pub struct ProjectInput {
    pub name: String,
    /// Empty: derived from the name.
    pub slug: String,
    pub description: String,
}

fn clean_name(name: &str) -> ServiceResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(ServiceError::Invalid("a project name has 1 to 80 characters".into()));
    }
    Ok(name.to_owned())
}

fn clean_description(d: &str) -> ServiceResult<String> {
    if d.chars().count() > 2000 {
        return Err(ServiceError::Invalid("a description has at most 2000 characters".into()));
    }
    Ok(d.trim().to_owned())
}

/// Any signed-in user may create a project within their plan; they own it.
pub async fn create(store: &dyn PrimaryStore, ctx: &RequestContext, input: ProjectInput) -> ServiceResult<Project> {
    let actor = ctx.actor()?;
    let name = clean_name(&input.name)?;
    let slug = if input.slug.trim().is_empty() {
        ProjectSlug::from_name(&name).ok_or_else(|| ServiceError::Invalid("choose a slug: the name has no letters or digits".into()))?
    } else {
        ProjectSlug::parse(&input.slug).map_err(|e| ServiceError::Invalid(e.to_string()))?
    };
    let owned = store.count_owned_projects(&actor.user_id).await?;
    quota::check(store, &actor.user_id, QuotaKind::Projects, owned, 1).await?;
    let new = NewProject { slug, name, description: clean_description(&input.description)? };
    let project = store.create_project(new, &actor.user_id, now_ms()).await.map_err(|e| match e {
        crate::StoreError::Conflict(_) => ServiceError::Conflict("a project with this slug already exists".into()),
        other => other.into(),
    })?;
    audit::record(store, ctx, project_change("project.create", &project, None, Some(project_json(&project)))).await?;
    Ok(project)
}

fn project_json(p: &Project) -> serde_json::Value {
    json!({ "slug": p.slug.as_str(), "name": p.name, "description": p.description })
}

fn project_change<'a>(action: &'a str, p: &'a Project, old: Option<serde_json::Value>, new: Option<serde_json::Value>) -> Change<'a> {
    Change { action, entity_type: "project", entity_id: &p.id, project_id: Some(&p.id), old, new }
}

/// The actor's projects with their role.
pub async fn mine(store: &dyn PrimaryStore, ctx: &RequestContext) -> ServiceResult<Vec<(Project, ProjectRole)>> {
    Ok(store.projects_of_user(&ctx.actor()?.user_id).await?)
}

/// Read access (any member).
pub async fn open(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str) -> ServiceResult<ProjectAccess> {
    authz::project_by_slug(store, ctx, slug, ProjectRole::Analyst).await
}

pub async fn update(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str, name: &str, description: &str) -> ServiceResult<Project> {
    let access = authz::project_by_slug(store, ctx, slug, ProjectRole::Owner).await?;
    let (name, description) = (clean_name(name)?, clean_description(description)?);
    store.update_project(&access.id, &name, &description).await?;
    let updated = Project { name, description, ..access.project.clone() };
    audit::record(
        store,
        ctx,
        project_change("project.update", &updated, Some(project_json(&access.project)), Some(project_json(&updated))),
    )
    .await?;
    Ok(updated)
}

/// Owners only; `confirm` must repeat the slug (deleting is not undoable).
pub async fn delete(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str, confirm: &str) -> ServiceResult<()> {
    let access = authz::project_by_slug(store, ctx, slug, ProjectRole::Owner).await?;
    if confirm.trim() != access.project.slug.as_str() {
        return Err(ServiceError::Invalid("type the project's slug to confirm the deletion".into()));
    }
    store.delete_project(&access.id).await?;
    audit::record(store, ctx, project_change("project.delete", &access.project, Some(project_json(&access.project)), None)).await?;
    Ok(())
}

pub async fn members(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str) -> ServiceResult<(ProjectAccess, Vec<Member>)> {
    let access = authz::project_by_slug(store, ctx, slug, ProjectRole::Analyst).await?;
    let members = store.members(&access.id).await?;
    Ok((access, members))
}

fn member_change<'a>(
    action: &'a str,
    project: &'a Project,
    user_id: &'a str,
    old: Option<ProjectRole>,
    new: Option<ProjectRole>,
) -> Change<'a> {
    Change {
        action,
        entity_type: "member",
        entity_id: user_id,
        project_id: Some(&project.id),
        old: old.map(|r| json!({ "role": r.as_str() })),
        new: new.map(|r| json!({ "role": r.as_str() })),
    }
}

/// How to invite someone who has no account yet.
pub struct Inviter {
    pub mailer: Arc<dyn Mailer>,
    /// The app's public URL, for the link in the e-mail.
    pub base_url: String,
    pub cost: HashCost,
}

/// How long an invitation link works.
pub const INVITATION_TTL_MS: i64 = 7 * 24 * 3600 * 1000;

/// Add a member by e-mail or change their role (owners only). An address
/// without an account gets one, and an e-mail with a link to choose its
/// password.
pub async fn set_member(
    store: &dyn PrimaryStore,
    ctx: &RequestContext,
    inviter: &Inviter,
    slug: &str,
    email: &str,
    role: ProjectRole,
) -> ServiceResult<()> {
    let access = authz::project_by_slug(store, ctx, slug, ProjectRole::Owner).await?;
    let email = Email::parse(email).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let project = &access.project;
    let existing = store.user_by_email(&email).await?;
    let old = match &existing {
        Some(u) => store.member_role(&access.id, &u.id).await?,
        None => None,
    };
    if old.is_none() {
        let count = store.members(&access.id).await?.len() as u64;
        quota::check(store, &ctx.actor()?.user_id, QuotaKind::MembersPerProject, count, 1).await?;
    }
    let user = match existing {
        Some(u) => u,
        None => invite_account(store, ctx, inviter, email, project).await?,
    };
    if old == Some(role) {
        return Ok(());
    }
    store.set_member(&access.id, &user.id, role, now_ms()).await.map_err(owner_conflict)?;
    let action = if old.is_some() { "member.role_change" } else { "member.add" };
    audit::record(store, ctx, member_change(action, project, &user.id, old, Some(role))).await?;
    Ok(())
}

pub async fn remove_member(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str, user_id: &str) -> ServiceResult<()> {
    let access = authz::project_by_slug(store, ctx, slug, ProjectRole::Owner).await?;
    let project = &access.project;
    let old = store.member_role(&access.id, user_id).await?.ok_or(ServiceError::NotFound("member"))?;
    store.remove_member(&access.id, user_id).await.map_err(owner_conflict)?;
    audit::record(store, ctx, member_change("member.remove", project, user_id, Some(old), None)).await?;
    Ok(())
}

/// Make `user_id` (a member) the owner; the previous owner becomes an editor.
pub async fn transfer_ownership(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str, user_id: &str) -> ServiceResult<()> {
    let access = authz::project_by_slug(store, ctx, slug, ProjectRole::Owner).await?;
    let me = &ctx.actor()?.user_id;
    let project = &access.project;
    let old = store.member_role(&access.id, user_id).await?.ok_or(ServiceError::NotFound("member"))?;
    store.set_member(&access.id, user_id, ProjectRole::Owner, now_ms()).await?;
    // The new owner is in place before the old one steps down, so the
    // project has an owner at every moment.
    if user_id != me {
        store.set_member(&access.id, me, ProjectRole::Editor, now_ms()).await.map_err(owner_conflict)?;
    }
    audit::record(store, ctx, member_change("project.transfer_ownership", project, user_id, Some(old), Some(ProjectRole::Owner))).await?;
    Ok(())
}

/// Create the invited person's account (no usable password until they
/// choose one through the mailed link) and send the invitation.
async fn invite_account(
    store: &dyn PrimaryStore,
    ctx: &RequestContext,
    inviter: &Inviter,
    email: Email,
    project: &Project,
) -> ServiceResult<User> {
    let inviter_name = ctx.actor()?.email.clone();
    let new = NewUser {
        email,
        name: String::new(),
        // A random secret nobody knows: the account is usable only after the link.
        password_hash: passwords::hash(&crate::api_keys::random_hex(32), inviter.cost),
        role: GlobalRole::User,
        must_change_password: false,
    };
    let user = store.create_user(new, now_ms()).await?;
    let project_name = project.name.clone();
    let text = move |link: &str| {
        format!(
            "{inviter_name} invited you to the project “{project_name}” on ElasticDash.\n\n\
             Choose your password here to sign in (the link works once, for 7 days):\n\n{link}\n"
        )
    };
    let subject = format!("You are invited to {} on ElasticDash", project.name);
    password_reset::send_link(store, inviter.mailer.clone(), &user, &inviter.base_url, INVITATION_TTL_MS, &subject, text).await?;
    let change = Change {
        action: "user.invite",
        entity_type: "user",
        entity_id: &user.id,
        project_id: Some(&project.id),
        old: None,
        new: Some(json!({ "email": user.email })),
    };
    audit::record(store, ctx, change).await?;
    Ok(user)
}

/// A project never loses its last owner: the store refuses it atomically
/// (also under concurrent changes); this gives the refusal its message.
fn owner_conflict(e: crate::StoreError) -> ServiceError {
    match e {
        crate::StoreError::Conflict(_) => ServiceError::Conflict("a project needs an owner: make someone else owner first".into()),
        other => other.into(),
    }
}
