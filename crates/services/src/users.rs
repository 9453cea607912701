//! Administration of user accounts (admins only).

use crate::{
    audit::{self, Change},
    clock::now_ms,
    context::RequestContext,
    passwords::{self, HashCost},
    ports::{NewUser, Plan, PrimaryStore, User},
    ServiceError, ServiceResult,
};
use domain::{Email, GlobalRole};
use serde_json::json;

fn user_change<'a>(action: &'a str, id: &'a str, old: Option<serde_json::Value>, new: Option<serde_json::Value>) -> Change<'a> {
    Change { action, entity_type: "user", entity_id: id, project_id: None, old, new }
}

/// Longest display name kept (characters).
pub const MAX_NAME_CHARS: usize = 120;

/// A display name as stored: trimmed, at most [`MAX_NAME_CHARS`] characters.
pub fn display_name(raw: &str) -> String {
    raw.trim().chars().take(MAX_NAME_CHARS).collect::<String>().trim_end().to_owned()
}

/// The signed-in person changes their own display name (audited).
pub async fn update_profile(store: &dyn PrimaryStore, ctx: &RequestContext, name: &str) -> ServiceResult<()> {
    let actor = ctx.actor()?;
    let name = display_name(name);
    store.set_user_name(&actor.user_id, &name).await?;
    audit::record(store, ctx, user_change("user.profile_update", &actor.user_id, None, Some(json!({ "name": name })))).await?;
    Ok(())
}

/// Every user with the plan that applies to them (assigned, else the default), for admins; three
/// reads whatever the number of users.
pub async fn list_with_plans(store: &dyn PrimaryStore, ctx: &RequestContext) -> ServiceResult<Vec<(User, Option<Plan>)>> {
    ctx.admin()?;
    let (users, plans, assigned) = futures::try_join!(store.list_users(), store.list_plans(), store.plan_assignments())?;
    let assigned: std::collections::HashMap<String, Option<String>> = assigned.into_iter().collect();
    let default = plans.iter().find(|p| p.is_default);
    Ok(users
        .into_iter()
        .map(|u| {
            let plan = match assigned.get(&u.id).cloned().flatten() {
                Some(id) => plans.iter().find(|p| p.id == id),
                None => default,
            };
            (u, plan.cloned())
        })
        .collect())
}

pub async fn list(store: &dyn PrimaryStore, ctx: &RequestContext) -> ServiceResult<Vec<User>> {
    ctx.admin()?;
    Ok(store.list_users().await?)
}

/// Create an account with a password the admin chose; the user must change
/// it at first sign-in.
pub async fn create(
    store: &dyn PrimaryStore,
    ctx: &RequestContext,
    email: &str,
    name: &str,
    password: &str,
    role: GlobalRole,
    cost: HashCost,
) -> ServiceResult<User> {
    ctx.admin()?;
    let user = new_account(store, email, name, password, role, true, cost).await?;
    let new = json!({ "email": user.email, "name": user.name, "role": user.role.as_str() });
    audit::record(store, ctx, user_change("user.create", &user.id, None, Some(new))).await?;
    Ok(user)
}

/// Validate and store a new account with a password someone chose (an
/// admin for another person, or the first admin for themselves).
pub(crate) async fn new_account(
    store: &dyn PrimaryStore,
    email: &str,
    name: &str,
    password: &str,
    role: GlobalRole,
    must_change_password: bool,
    cost: HashCost,
) -> ServiceResult<User> {
    let email = Email::parse(email).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    passwords::check_policy(password).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let new = NewUser {
        email,
        name: name.trim().chars().take(120).collect(),
        password_hash: passwords::hash(password, cost),
        role,
        must_change_password,
    };
    store.create_user(new, now_ms()).await.map_err(|e| match e {
        crate::StoreError::Conflict(_) => ServiceError::Conflict("a user with this e-mail address already exists".into()),
        other => other.into(),
    })
}

async fn target(store: &dyn PrimaryStore, id: &str) -> ServiceResult<User> {
    store.user_by_id(id).await?.ok_or(ServiceError::NotFound("user"))
}

pub async fn set_disabled(store: &dyn PrimaryStore, ctx: &RequestContext, id: &str, disabled: bool) -> ServiceResult<()> {
    let admin = ctx.admin()?;
    if admin.user_id == id && disabled {
        return Err(ServiceError::Conflict("you cannot disable your own account".into()));
    }
    let user = target(store, id).await?;
    store.set_user_disabled(&user.id, disabled).await?;
    let action = if disabled { "user.disable" } else { "user.enable" };
    audit::record(
        store,
        ctx,
        user_change(action, &user.id, Some(json!({ "disabled": user.disabled })), Some(json!({ "disabled": disabled }))),
    )
    .await?;
    Ok(())
}

pub async fn set_role(store: &dyn PrimaryStore, ctx: &RequestContext, id: &str, role: GlobalRole) -> ServiceResult<()> {
    let admin = ctx.admin()?;
    if admin.user_id == id && role != GlobalRole::Admin {
        return Err(ServiceError::Conflict("you cannot remove your own administrator role".into()));
    }
    let user = target(store, id).await?;
    store.set_user_role(&user.id, role).await?;
    let (old, new) = (json!({ "role": user.role.as_str() }), json!({ "role": role.as_str() }));
    audit::record(store, ctx, user_change("user.role_change", &user.id, Some(old), Some(new))).await?;
    Ok(())
}

/// Set a new password chosen by the admin; the user must change it.
pub async fn reset_password(store: &dyn PrimaryStore, ctx: &RequestContext, id: &str, password: &str, cost: HashCost) -> ServiceResult<()> {
    ctx.admin()?;
    passwords::check_policy(password).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let user = target(store, id).await?;
    store.set_password(&user.id, &passwords::hash(password, cost), true, now_ms()).await?;
    audit::record(store, ctx, user_change("user.password_reset", &user.id, None, Some(json!({ "must_change_password": true })))).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_are_trimmed_and_capped() {
        assert_eq!(display_name("  Ada Lovelace \n"), "Ada Lovelace");
        let long = "é".repeat(200);
        assert_eq!(display_name(&long).chars().count(), MAX_NAME_CHARS);
        assert_eq!(
            display_name(&format!("{} x", "a".repeat(MAX_NAME_CHARS - 1))),
            "a".repeat(MAX_NAME_CHARS - 1),
            "no trailing space after the cut"
        );
    }
}
