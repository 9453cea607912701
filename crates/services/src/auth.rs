//! Signing in and out, password changes (OWASP ASVS V2). Sessions themselves
//! live in the web layer; these functions say who the person is.

use crate::{
    audit::{self, Change},
    clock::now_ms,
    context::{Actor, RequestContext},
    passwords::{self, HashCost},
    ports::{PrimaryStore, User},
    ServiceError, ServiceResult,
};
use domain::{Email, GlobalRole};
use serde_json::json;

/// Failed logins before the account is locked.
pub const MAX_FAILURES: u32 = 5;

/// Lock length after the `failures`-th consecutive failure: 1 min at the
/// 5th, doubling each time, at most 24 h.
pub fn lock_ms(failures: u32) -> Option<i64> {
    (failures >= MAX_FAILURES).then(|| (60_000i64 << (failures - MAX_FAILURES).min(20)).min(86_400_000))
}

pub fn actor_of(user: &User) -> Actor {
    Actor { user_id: user.id.clone(), email: user.email.to_string(), role: user.role }
}

/// Check e-mail and password. Unknown e-mail, wrong password, disabled or
/// locked account all give the same error after similar work.
pub async fn login(store: &dyn PrimaryStore, ctx: &RequestContext, email: &str, password: &str, cost: HashCost) -> ServiceResult<User> {
    let now = now_ms();
    let user = match Email::parse(email) {
        Ok(e) => store.user_by_email(&e).await?,
        Err(_) => None,
    };
    let Some(user) = user else {
        passwords::burn_time(password, cost);
        return Err(ServiceError::BadCredentials);
    };
    let locked = user.locked_until_ms.is_some_and(|t| t > now);
    let ok = passwords::verify(password, &user.password_hash);
    if locked || user.disabled || !ok {
        if !ok && !user.disabled {
            // The lock follows from the count this failure makes (one atomic update).
            let lock_until = lock_ms(user.failed_logins + 1).map(|ms| now + ms);
            store.record_login_failure(&user.id, lock_until).await?;
        }
        let reason = if locked {
            "locked"
        } else if user.disabled {
            "disabled"
        } else {
            "wrong password"
        };
        let denied = RequestContext { actor: None, ..ctx.clone() };
        audit::record(store, &denied, change("user.login_failed", &user.id, json!({ "reason": reason }))).await?;
        return Err(ServiceError::BadCredentials);
    }
    store.clear_login_failures(&user.id).await?;
    if passwords::needs_rehash(&user.password_hash, cost) {
        let fresh = passwords::hash(password, cost);
        store.set_password(&user.id, &fresh, user.must_change_password, user.password_changed_at_ms).await?;
    }
    let ctx = RequestContext { actor: Some(actor_of(&user)), ..ctx.clone() };
    audit::record(store, &ctx, change("user.login", &user.id, json!({}))).await?;
    Ok(user)
}

fn change<'a>(action: &'a str, user_id: &'a str, new: serde_json::Value) -> Change<'a> {
    Change { action, entity_type: "user", entity_id: user_id, project_id: None, old: None, new: Some(new) }
}

pub async fn logout(store: &dyn PrimaryStore, ctx: &RequestContext) -> ServiceResult<()> {
    if let Some(a) = &ctx.actor {
        audit::record(store, ctx, change("user.logout", &a.user_id, json!({}))).await?;
    }
    Ok(())
}

/// Change one's own password (the current one is required).
pub async fn change_password(
    store: &dyn PrimaryStore,
    ctx: &RequestContext,
    current: &str,
    new: &str,
    cost: HashCost,
) -> ServiceResult<()> {
    let actor = ctx.actor()?;
    let user = store.user_by_id(&actor.user_id).await?.ok_or(ServiceError::Unauthenticated)?;
    if !passwords::verify(current, &user.password_hash) {
        return Err(ServiceError::Invalid("the current password is wrong".into()));
    }
    if current == new {
        return Err(ServiceError::Invalid("the new password must differ from the current one".into()));
    }
    passwords::check_policy(new).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    store.set_password(&user.id, &passwords::hash(new, cost), false, now_ms()).await?;
    audit::record(store, ctx, change("user.password_change", &user.id, json!({}))).await?;
    Ok(())
}

/// Should the first-run page offer to create the first administrator? Only while there are no users.
pub async fn first_run_needed(store: &dyn PrimaryStore) -> ServiceResult<bool> {
    Ok(store.count_users().await? == 0)
}

/// The first administrator, from the first-run page: only while there are no users.
pub async fn first_run_admin(
    store: &dyn PrimaryStore,
    ctx: &RequestContext,
    email: &str,
    name: &str,
    password: &str,
    cost: HashCost,
) -> ServiceResult<User> {
    if !first_run_needed(store).await? {
        return Err(ServiceError::Conflict("this installation already has an administrator".into()));
    }
    let user = crate::users::new_account(store, email, name, password, GlobalRole::Admin, false, cost).await?;
    let ctx = RequestContext { actor: Some(actor_of(&user)), ..ctx.clone() };
    audit::record(store, &ctx, change("user.create_first_admin", &user.id, json!({ "email": user.email }))).await?;
    Ok(user)
}

#[cfg(test)]
mod tests {
    #[test]
    fn lock_grows_from_the_fifth_failure() {
        assert_eq!(super::lock_ms(4), None);
        assert_eq!(super::lock_ms(5), Some(60_000));
        assert_eq!(super::lock_ms(6), Some(120_000));
        assert_eq!(super::lock_ms(60), Some(86_400_000));
    }
}
