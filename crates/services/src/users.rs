//! Administration of user accounts (admins only).

use crate::{
    audit::{self, Change},
    clock::now_ms,
    context::RequestContext,
    passwords::{self, HashCost},
    ports::{NewUser, PrimaryStore, User},
    ServiceError, ServiceResult,
};
use domain::{Email, GlobalRole};
use serde_json::json;

fn user_change<'a>(action: &'a str, id: &'a str, old: Option<serde_json::Value>, new: Option<serde_json::Value>) -> Change<'a> {
    Change { action, entity_type: "user", entity_id: id, project_id: None, old, new }
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
