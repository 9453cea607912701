//! Project API keys for SDKs and OTLP ingestion. The secret is shown once;
//! only its SHA-256 is stored (secrets are 256 random bits, so a fast hash is
//! enough and keeps verification cheap). Verification is constant-time and
//! cached briefly in memory.

use crate::ports::ProjectId;
use crate::{
    audit::{self, Change},
    authz,
    clock::now_ms,
    context::RequestContext,
    ports::{ApiKeyRecord, NewApiKey, PrimaryStore},
    ServiceError, ServiceResult,
};
use domain::ProjectRole;
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

pub const SCOPES: [&str; 2] = ["ingest", "read"];

/// A freshly created key: the only time the secret exists outside the client.
pub struct CreatedKey {
    pub record: ApiKeyRecord,
    pub secret: String,
}

pub(crate) fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub(crate) fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes()).iter().map(|x| format!("{x:02x}")).collect()
}

/// Equal without an early exit, so timing does not reveal a prefix match.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub async fn create(
    store: &dyn PrimaryStore,
    ctx: &RequestContext,
    slug: &str,
    name: &str,
    scopes: &[String],
) -> ServiceResult<CreatedKey> {
    let access = authz::project_by_slug(store, ctx, slug, ProjectRole::Owner).await?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(ServiceError::Invalid("a key name has 1 to 80 characters".into()));
    }
    if scopes.is_empty() || scopes.iter().any(|s| !SCOPES.contains(&s.as_str())) {
        return Err(ServiceError::Invalid("choose the key's scopes among: ingest, read".into()));
    }
    let secret = format!("sk-ed-{}", random_hex(32));
    let new = NewApiKey {
        project_id: access.project.id.clone(),
        name: name.to_owned(),
        public_id: format!("pk-ed-{}", random_hex(8)),
        secret_hash: sha256_hex(&secret),
        scopes: scopes.to_vec(),
        created_by: ctx.actor()?.user_id.clone(),
    };
    let record = store.create_api_key(new, now_ms()).await?;
    let change = Change {
        action: "api_key.create",
        entity_type: "api_key",
        entity_id: &record.id,
        project_id: Some(&record.project_id),
        old: None,
        new: Some(json!({ "name": record.name, "public_id": record.public_id, "scopes": record.scopes })),
    };
    audit::record(store, ctx, change).await?;
    Ok(CreatedKey { record, secret })
}

pub async fn list(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str) -> ServiceResult<Vec<ApiKeyRecord>> {
    let access = authz::project_by_slug(store, ctx, slug, ProjectRole::Owner).await?;
    Ok(store.project_api_keys(&access.id).await?)
}

pub async fn revoke(store: &dyn PrimaryStore, ctx: &RequestContext, cache: &KeyCache, slug: &str, key_id: &str) -> ServiceResult<()> {
    let access = authz::project_by_slug(store, ctx, slug, ProjectRole::Owner).await?;
    let keys = store.project_api_keys(&access.id).await?;
    let key = keys.iter().find(|k| k.id == key_id).ok_or(ServiceError::NotFound("API key"))?;
    store.revoke_api_key(&access.id, key_id, now_ms()).await?;
    cache.forget(&key.public_id);
    let change = Change {
        action: "api_key.revoke",
        entity_type: "api_key",
        entity_id: key_id,
        project_id: Some(&access.project.id),
        old: Some(json!({ "public_id": key.public_id })),
        new: None,
    };
    audit::record(store, ctx, change).await?;
    Ok(())
}

/// Who an API key acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPrincipal {
    pub key_id: String,
    pub project_id: ProjectId,
    pub scopes: Vec<String>,
}

/// Recently verified keys by public id. Revocation on this server takes
/// effect at once; on other servers within `ttl`.
pub struct KeyCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (ApiKeyRecord, Instant)>>,
}

impl KeyCache {
    pub fn new(ttl: Duration) -> Self {
        KeyCache { ttl, entries: Mutex::new(HashMap::new()) }
    }

    fn get(&self, public_id: &str) -> Option<ApiKeyRecord> {
        let map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        map.get(public_id).filter(|(_, at)| at.elapsed() < self.ttl).map(|(r, _)| r.clone())
    }

    fn put(&self, record: ApiKeyRecord) {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 10_000 {
            map.clear();
        }
        map.insert(record.public_id.clone(), (record, Instant::now()));
    }

    pub fn forget(&self, public_id: &str) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).remove(public_id);
    }
}

/// Check `public_id` + `secret` and that the key has `scope`.
pub async fn verify(store: &dyn PrimaryStore, cache: &KeyCache, public_id: &str, secret: &str, scope: &str) -> ServiceResult<KeyPrincipal> {
    let record = match cache.get(public_id) {
        Some(r) => r,
        None => {
            let r = store.api_key_by_public_id(public_id).await?.ok_or(ServiceError::Unauthenticated)?;
            cache.put(r.clone());
            // Last-used time is advisory: written when the cache is refreshed.
            let _ = store.touch_api_key(&r.id, now_ms()).await;
            r
        }
    };
    let given = sha256_hex(secret);
    if !constant_time_eq(given.as_bytes(), record.secret_hash.as_bytes()) || record.revoked_at_ms.is_some() {
        return Err(ServiceError::Unauthenticated);
    }
    if !record.scopes.iter().any(|s| s == scope) {
        return Err(ServiceError::Forbidden);
    }
    Ok(KeyPrincipal { key_id: record.id, project_id: ProjectId::authorised(record.project_id), scopes: record.scopes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_compare() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert_eq!(sha256_hex("x").len(), 64);
    }
}
