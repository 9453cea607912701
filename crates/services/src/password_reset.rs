//! Password reset by e-mail (OWASP ASVS V2.5): a 256-bit random token, sent
//! as a link, stored only as its SHA-256, good once and for 30 minutes.
//! Asking gives the same answer whether or not the account exists.

use crate::{
    api_keys::{random_hex, sha256_hex},
    audit::{self, Change},
    auth::actor_of,
    clock::now_ms,
    context::RequestContext,
    passwords::{self, HashCost},
    ports::{Mailer, OutgoingMail, PrimaryStore, User},
    ServiceError, ServiceResult,
};
use domain::Email;
use serde_json::json;
use std::sync::Arc;

/// How long a reset link works.
pub const TOKEN_TTL_MS: i64 = 30 * 60 * 1000;

/// What the person who asked is told, whether or not the account exists.
pub const REQUESTED_MESSAGE: &str =
    "If an account uses this e-mail address, a link to choose a new password is on its way. It works once, for 30 minutes.";

/// The error for an unknown, used or expired token.
pub fn invalid_token() -> ServiceError {
    ServiceError::Invalid("this reset link is invalid or has expired; ask for a new one".into())
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> String {
    sha256_hex(token)
}

/// Send a reset link to `email` if it belongs to an enabled account. Always
/// answers [`REQUESTED_MESSAGE`]. The message is sent in the background, so
/// neither the answer nor its timing waits on the mail server (which would
/// reveal whether the account exists); a failure is logged.
pub async fn request(
    store: &dyn PrimaryStore,
    mailer: Arc<dyn Mailer>,
    ctx: &RequestContext,
    email: &str,
    base_url: &str,
) -> ServiceResult<&'static str> {
    let user = match Email::parse(email.trim()) {
        Ok(e) => store.user_by_email(&e).await?,
        Err(_) => None,
    };
    let Some(user) = user.filter(|u| !u.disabled) else { return Ok(REQUESTED_MESSAGE) };
    let mail = |link: &str| {
        format!(
            "Someone (hopefully you) asked to reset the password of your ElasticDash account.\n\n\
             Choose a new password here (the link works once, for 30 minutes):\n\n{link}\n\n\
             If you did not ask, ignore this message: your password stays as it is.\n"
        )
    };
    send_link(store, mailer, &user, base_url, TOKEN_TTL_MS, "Reset your ElasticDash password", mail).await?;
    let change = Change {
        action: "user.password_reset_requested",
        entity_type: "user",
        entity_id: &user.id,
        project_id: None,
        old: None,
        new: None,
    };
    audit::record(store, &RequestContext { actor: None, ..ctx.clone() }, change).await?;
    Ok(REQUESTED_MESSAGE)
}

/// Store a fresh single-use token for `user`, valid `ttl_ms`, and mail the
/// link `{base_url}/reset-password?token=…` in the background (see `request`).
pub async fn send_link(
    store: &dyn PrimaryStore,
    mailer: Arc<dyn Mailer>,
    user: &User,
    base_url: &str,
    ttl_ms: i64,
    subject: &str,
    text: impl FnOnce(&str) -> String,
) -> ServiceResult<()> {
    let token = random_hex(32);
    let now = now_ms();
    store.create_reset(&token_hash(&token), &user.id, now + ttl_ms, now).await?;
    let link = format!("{}/reset-password?token={token}", base_url.trim_end_matches('/'));
    let mail = OutgoingMail { to: user.email.to_string(), subject: subject.to_owned(), text: text(&link) };
    tokio::spawn(async move {
        if let Err(e) = mailer.send(&mail).await {
            tracing::error!(error = %e, "could not send an e-mail with a password link");
        }
    });
    Ok(())
}

/// Set a new password with a reset token: the token is used up, the user's
/// other tokens and all their sessions end. Returns the user's e-mail.
pub async fn complete(
    store: &dyn PrimaryStore,
    ctx: &RequestContext,
    token: &str,
    new_password: &str,
    cost: HashCost,
) -> ServiceResult<String> {
    passwords::check_policy(new_password).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let token = token.trim();
    if token.is_empty() || token.len() > 128 {
        return Err(invalid_token());
    }
    let now = now_ms();
    let user_id = store.consume_reset(&token_hash(token), now).await?.ok_or_else(invalid_token)?;
    let user = store.user_by_id(&user_id).await?.filter(|u| !u.disabled).ok_or_else(invalid_token)?;
    store.set_password(&user.id, &passwords::hash(new_password, cost), false, now).await?;
    store.delete_resets_of_user(&user.id).await?;
    let ended = store.delete_user_sessions(&user.id, None).await?;
    let ctx = RequestContext { actor: Some(actor_of(&user)), ..ctx.clone() };
    let change = Change {
        action: "user.password_reset_completed",
        entity_type: "user",
        entity_id: &user.id,
        project_id: None,
        old: None,
        new: Some(json!({ "sessions_ended": ended })),
    };
    audit::record(store, &ctx, change).await?;
    Ok(user.email.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_stored_form_is_a_sha256() {
        let h = super::token_hash("abc");
        assert_eq!(h.len(), 64);
        assert_ne!(h, "abc");
    }
}
