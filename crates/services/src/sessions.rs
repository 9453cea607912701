//! Signed-in sessions: when one is still valid, what its owner sees of them, and ending them.
//!
//! A session token (the cookie value) is a bearer credential. It goes nowhere but its own
//! `Set-Cookie`: people list and revoke their sessions by an opaque handle, a keyed hash of the
//! token that cannot be turned back into it.

use crate::{
    audit::{self, Change},
    context::RequestContext,
    ports::{LiveSession, PrimaryStore, SessionDirectory, User},
    ServiceError, ServiceResult,
};
use domain::sessions::{device_of, AccountView, SessionFacts, SessionView};
use sha2::{Digest, Sha256};

/// The handle of the session whose token is `token`: 128 bits of SHA-256 over a fixed label and
/// the token (the token has 128+ random bits, so the handle reveals nothing usable).
pub fn handle_of(token: &str) -> String {
    let digest = Sha256::new().chain_update(b"elasticdash session handle\0").chain_update(token.as_bytes()).finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a session of `user` with `facts` may still be used at `now_ms`: the user is enabled,
/// the session is younger than its absolute lifetime, and the password did not change since the
/// session began.
pub fn still_valid(user: &User, facts: &SessionFacts, now_ms: i64, absolute_lifetime_ms: i64) -> bool {
    !user.disabled && now_ms - facts.login_at_ms < absolute_lifetime_ms && user.password_changed_at_ms <= facts.password_epoch_ms
}

/// The caller's sessions, the current one (token `current`) first, then the most recently seen.
/// The user of a signed-in session if it is still valid ([`still_valid`]); `None` ends it.
pub async fn session_user(
    store: &dyn PrimaryStore,
    user_id: &str,
    facts: &SessionFacts,
    now_ms: i64,
    absolute_lifetime_ms: i64,
) -> ServiceResult<Option<User>> {
    let user = store.user_by_id(user_id).await?;
    Ok(user.filter(|u| still_valid(u, facts, now_ms, absolute_lifetime_ms)))
}

pub async fn list_mine(dir: &dyn SessionDirectory, ctx: &RequestContext, current: Option<&str>) -> ServiceResult<Vec<SessionView>> {
    let actor = ctx.actor()?;
    let mut views: Vec<SessionView> = dir
        .sessions_of(&actor.user_id)
        .await?
        .into_iter()
        .map(|s| SessionView {
            handle: handle_of(&s.token),
            current: current == Some(s.token.as_str()),
            ip: s.facts.ip,
            device: device_of(s.facts.user_agent.as_deref().unwrap_or("")),
            login_at_ms: s.facts.login_at_ms,
            last_seen_ms: s.facts.last_seen_ms,
        })
        .collect();
    views.sort_by_key(|s| (!s.current, -s.last_seen_ms));
    Ok(views)
}

/// The caller's account page: who they are and their sessions.
pub async fn my_account(
    store: &dyn PrimaryStore,
    dir: &dyn SessionDirectory,
    ctx: &RequestContext,
    current: Option<&str>,
) -> ServiceResult<AccountView> {
    let actor = ctx.actor()?;
    let user = store.user_by_id(&actor.user_id).await?.ok_or(ServiceError::Unauthenticated)?;
    Ok(AccountView {
        email: user.email.to_string(),
        name: user.name,
        must_change_password: user.must_change_password,
        sessions: list_mine(dir, ctx, current).await?,
    })
}

/// End one of the caller's own sessions, named by its handle; audited.
pub async fn revoke(dir: &dyn SessionDirectory, store: &dyn PrimaryStore, ctx: &RequestContext, handle: &str) -> ServiceResult<()> {
    let actor = ctx.actor()?;
    let handle = handle.trim();
    let mine = dir.sessions_of(&actor.user_id).await?;
    let session = by_handle(&mine, handle).ok_or(ServiceError::NotFound("session"))?;
    dir.end(&session.token).await?;
    let change = Change {
        action: "session.revoke",
        entity_type: "session",
        entity_id: &actor.user_id,
        project_id: None,
        old: Some(serde_json::json!({ "session": handle, "ip": session.facts.ip })),
        new: None,
    };
    audit::record(store, ctx, change).await.map(|_| ())
}

fn by_handle<'a>(sessions: &'a [LiveSession], handle: &str) -> Option<&'a LiveSession> {
    sessions.iter().find(|s| handle_of(&s.token) == handle)
}

/// After a password change: every other session of the caller ends (`keep` is the one that made
/// the change, already moved to a new token). Returns how many ended.
pub async fn end_others(dir: &dyn SessionDirectory, ctx: &RequestContext, keep: Option<&str>) -> ServiceResult<u64> {
    let actor = ctx.actor()?;
    Ok(dir.end_all_but(&actor.user_id, keep).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Actor, StoreError};
    use async_trait::async_trait;
    use domain::{Email, GlobalRole};
    use std::sync::Mutex;

    #[derive(Default)]
    struct Sessions(Mutex<Vec<(String, LiveSession)>>);

    #[async_trait]
    impl SessionDirectory for Sessions {
        async fn sessions_of(&self, user_id: &str) -> Result<Vec<LiveSession>, StoreError> {
            Ok(self.0.lock().unwrap().iter().filter(|(u, _)| u == user_id).map(|(_, s)| s.clone()).collect())
        }
        async fn end(&self, token: &str) -> Result<(), StoreError> {
            self.0.lock().unwrap().retain(|(_, s)| s.token != token);
            Ok(())
        }
        async fn end_all_but(&self, user_id: &str, keep: Option<&str>) -> Result<u64, StoreError> {
            let mut all = self.0.lock().unwrap();
            let before = all.len();
            all.retain(|(u, s)| u != user_id || Some(s.token.as_str()) == keep);
            Ok((before - all.len()) as u64)
        }
    }

    fn facts(login_at_ms: i64, last_seen_ms: i64) -> SessionFacts {
        SessionFacts { login_at_ms, last_seen_ms, password_epoch_ms: 100, ip: Some("10.0.0.1".into()), user_agent: Some("curl/8".into()) }
    }

    fn ctx(user_id: &str) -> RequestContext {
        RequestContext {
            actor: Some(Actor { user_id: user_id.into(), email: format!("{user_id}@example.com"), role: GlobalRole::User }),
            ..RequestContext::default()
        }
    }

    fn dir() -> Sessions {
        let d = Sessions::default();
        for (user, token, seen) in [("ann", "tok-a1", 10), ("ann", "tok-a2", 30), ("bob", "tok-b1", 20)] {
            d.0.lock().unwrap().push((user.into(), LiveSession { token: token.into(), facts: facts(1, seen) }));
        }
        d
    }

    #[test]
    fn handles_are_stable_opaque_and_distinct() {
        assert_eq!(handle_of("tok-a1"), handle_of("tok-a1"));
        assert_ne!(handle_of("tok-a1"), handle_of("tok-a2"));
        assert_eq!(handle_of("tok-a1").len(), 32);
        assert!(!handle_of("tok-a1").contains("tok"));
    }

    #[test]
    fn validity_rules() {
        let user = User {
            id: "ann".into(),
            email: Email::parse("ann@example.com").unwrap(),
            name: String::new(),
            password_hash: String::new(),
            role: GlobalRole::User,
            created_at_ms: 0,
            disabled: false,
            must_change_password: false,
            failed_logins: 0,
            locked_until_ms: None,
            password_changed_at_ms: 100,
        };
        let f = facts(1_000, 1_000);
        assert!(still_valid(&user, &f, 1_500, 1_000));
        assert!(!still_valid(&user, &f, 2_000, 1_000), "absolute lifetime over");
        assert!(!still_valid(&User { disabled: true, ..user.clone() }, &f, 1_500, 1_000), "disabled user");
        assert!(!still_valid(&User { password_changed_at_ms: 101, ..user }, &f, 1_500, 1_000), "password changed since");
    }

    #[tokio::test]
    async fn people_see_their_own_sessions_by_handle_only() {
        let d = dir();
        let list = list_mine(&d, &ctx("ann"), Some("tok-a1")).await.unwrap();
        assert_eq!(list.len(), 2);
        assert!(list[0].current && list[0].handle == handle_of("tok-a1"), "the current one first");
        assert_eq!(list[1].handle, handle_of("tok-a2"));
        let shown = serde_json::to_string(&list).unwrap();
        assert!(!shown.contains("tok-"), "no token in {shown}");
        assert!(list_mine(&d, &RequestContext::default(), None).await.is_err());
    }

    #[tokio::test]
    async fn a_session_is_found_by_its_handle_not_its_token() {
        let d = dir();
        let anns = d.sessions_of("ann").await.unwrap();
        assert_eq!(by_handle(&anns, &handle_of("tok-a2")).map(|s| s.token.as_str()), Some("tok-a2"));
        assert!(by_handle(&anns, "tok-a2").is_none(), "a token is not a handle");
        assert!(by_handle(&anns, &handle_of("tok-b1")).is_none(), "another person's session");
    }

    #[tokio::test]
    async fn a_password_change_ends_the_other_sessions_only() {
        let d = dir();
        assert_eq!(end_others(&d, &ctx("ann"), Some("tok-a2")).await.unwrap(), 1);
        let left: Vec<String> = d.0.lock().unwrap().iter().map(|(_, s)| s.token.clone()).collect();
        assert_eq!(left, ["tok-a2", "tok-b1"]);
    }
}
