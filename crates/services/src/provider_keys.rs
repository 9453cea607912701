//! Provider keys per project (owners manage them, editors chat with them) and global
//! defaults (admins). Keys are encrypted at rest ([`KeyCipher`]); after saving, people and
//! the audit trail only ever see their last 4 characters.

mod cipher;

pub use cipher::{DecryptError, KeyCipher, MasterKeyError};

use crate::ports::ProjectId;
use crate::{
    audit::{self, Change},
    authz::{self, ProjectAccess},
    clock::now_ms,
    context::RequestContext,
    ports::{CiphertextSwap, PrimaryStore, ProviderKeyRecord},
    ServiceError, ServiceResult,
};
use domain::ProjectRole;
use llm::Vendor;
use serde_json::json;

pub const MAX_NAME_LEN: usize = 80;
pub const MAX_URL_LEN: usize = 500;
pub const MAX_MODEL_LEN: usize = 200;
pub const MIN_KEY_LEN: usize = 8;
pub const MAX_KEY_LEN: usize = 1000;
/// The vendors a key can be for, by `Vendor::as_str()`.
pub const VENDORS: [Vendor; 5] = [Vendor::OpenAi, Vendor::Anthropic, Vendor::Gemini, Vendor::Xai, Vendor::OpenAiCompatible];

/// A stored provider key as people see it: never the key itself, only its last 4 characters.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProviderKeyView {
    pub id: String,
    /// `None`: a global default set by an admin, usable by every project.
    pub project_id: Option<String>,
    pub name: String,
    /// `llm::Vendor::as_str()`.
    pub vendor: String,
    pub base_url: Option<String>,
    pub default_model: String,
    pub key_last4: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// A provider key as typed in the form.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ProviderKeyInput {
    pub name: String,
    /// `Vendor::as_str()`: openai, anthropic, gemini, xai, openai_compatible.
    pub vendor: String,
    /// Empty: the vendor's public endpoint (required for openai_compatible).
    pub base_url: String,
    /// Empty: keep the stored key (on update), or no key (openai_compatible only).
    pub api_key: String,
    pub default_model: String,
    /// On update: forget the stored key (openai_compatible only).
    pub remove_key: bool,
}

impl std::fmt::Debug for ProviderKeyInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderKeyInput")
            .field("name", &self.name)
            .field("vendor", &self.vendor)
            .field("base_url", &self.base_url)
            .field("api_key", &"****")
            .field("default_model", &self.default_model)
            .field("remove_key", &self.remove_key)
            .finish()
    }
}

pub(crate) fn view(r: &ProviderKeyRecord) -> ProviderKeyView {
    ProviderKeyView {
        id: r.id.clone(),
        project_id: r.project_id.clone(),
        name: r.name.clone(),
        vendor: r.vendor.clone(),
        base_url: r.base_url.clone(),
        default_model: r.default_model.clone(),
        key_last4: r.key_last4.clone(),
        created_at_ms: r.created_at_ms,
        updated_at_ms: r.updated_at_ms,
    }
}

/// What the audit trail keeps of a key: never the key, only its last 4.
fn audit_json(r: &ProviderKeyRecord) -> serde_json::Value {
    json!({
        "name": r.name,
        "vendor": r.vendor,
        "base_url": r.base_url,
        "default_model": r.default_model,
        "key_last4": r.key_last4,
    })
}

pub fn parse_vendor(raw: &str) -> ServiceResult<Vendor> {
    let raw = raw.trim();
    VENDORS
        .into_iter()
        .find(|v| v.as_str() == raw)
        .ok_or_else(|| ServiceError::Invalid("choose a vendor among: openai, anthropic, gemini, xai, openai_compatible".into()))
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

fn clean_name(raw: &str) -> ServiceResult<String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN || has_control(name) {
        return Err(ServiceError::Invalid(format!("a provider key name has 1 to {MAX_NAME_LEN} characters on one line")));
    }
    Ok(name.to_owned())
}

/// An http(s) URL without credentials, query or fragment; `None` when empty (and allowed).
pub fn clean_base_url(raw: &str, vendor: Vendor) -> ServiceResult<Option<String>> {
    let raw = raw.trim();
    if raw.is_empty() {
        if vendor == Vendor::OpenAiCompatible {
            return Err(ServiceError::Invalid("an OpenAI-compatible provider needs a base URL, e.g. http://localhost:11434/v1".into()));
        }
        return Ok(None);
    }
    let invalid = |why: &str| Err(ServiceError::Invalid(format!("the base URL {why}")));
    if raw.chars().count() > MAX_URL_LEN {
        return invalid(&format!("has at most {MAX_URL_LEN} characters"));
    }
    let Ok(url) = url::Url::parse(raw) else {
        return invalid("is not a valid URL (e.g. https://api.openai.com/v1)");
    };
    if !matches!(url.scheme(), "http" | "https") {
        return invalid("must start with http:// or https://");
    }
    if url.host_str().unwrap_or("").is_empty() {
        return invalid("needs a host name");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return invalid("cannot contain a user name or password (put the key in the key field)");
    }
    if url.query().is_some() || url.fragment().is_some() {
        return invalid("cannot have a query (?…) or fragment (#…)");
    }
    Ok(Some(url.as_str().trim_end_matches('/').to_owned()))
}

fn clean_model(raw: &str) -> ServiceResult<String> {
    let model = raw.trim();
    if model.is_empty() {
        return Err(ServiceError::Invalid("enter a default model, e.g. gpt-4o-mini".into()));
    }
    if model.chars().count() > MAX_MODEL_LEN || model.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ServiceError::Invalid(format!("a model name has at most {MAX_MODEL_LEN} characters and no spaces")));
    }
    Ok(model.to_owned())
}

/// `None` when nothing was typed.
fn clean_key(raw: &str) -> ServiceResult<Option<String>> {
    let key = raw.trim();
    if key.is_empty() {
        return Ok(None);
    }
    if key.chars().count() < MIN_KEY_LEN || key.chars().count() > MAX_KEY_LEN || key.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ServiceError::Invalid(format!("an API key has {MIN_KEY_LEN} to {MAX_KEY_LEN} characters and no spaces")));
    }
    Ok(Some(key.to_owned()))
}

fn last4(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

/// Validate `input` into `record` (a new row, or a copy of the stored one).
fn apply(cipher: &KeyCipher, record: &mut ProviderKeyRecord, input: &ProviderKeyInput) -> ServiceResult<()> {
    let vendor = parse_vendor(&input.vendor)?;
    record.name = clean_name(&input.name)?;
    record.base_url = clean_base_url(&input.base_url, vendor)?;
    record.default_model = clean_model(&input.default_model)?;
    record.vendor = vendor.as_str().to_owned();
    match clean_key(&input.api_key)? {
        Some(key) => {
            record.key_ciphertext = Some(cipher.encrypt(record.project_id.as_deref(), &record.id, &key));
            record.key_last4 = Some(last4(&key));
        }
        None if input.remove_key => {
            record.key_ciphertext = None;
            record.key_last4 = None;
        }
        None => {}
    }
    if record.key_ciphertext.is_none() && vendor != Vendor::OpenAiCompatible {
        return Err(ServiceError::Invalid(format!("enter the API key for {vendor}")));
    }
    Ok(())
}

fn new_record(project_id: Option<String>, ctx: &RequestContext) -> ServiceResult<ProviderKeyRecord> {
    let now = now_ms();
    Ok(ProviderKeyRecord {
        id: uuid::Uuid::now_v7().to_string(),
        project_id,
        name: String::new(),
        vendor: String::new(),
        base_url: None,
        default_model: String::new(),
        key_ciphertext: None,
        key_last4: None,
        created_by: Some(ctx.actor()?.user_id.clone()),
        created_at_ms: now,
        updated_at_ms: now,
    })
}

fn name_taken(e: ServiceError) -> ServiceError {
    match e {
        ServiceError::Conflict(_) => ServiceError::Conflict("a provider key with this name already exists".into()),
        other => other,
    }
}

async fn insert(
    store: &dyn PrimaryStore,
    cipher: &KeyCipher,
    ctx: &RequestContext,
    project_id: Option<String>,
    input: &ProviderKeyInput,
) -> ServiceResult<ProviderKeyView> {
    let mut record = new_record(project_id, ctx)?;
    apply(cipher, &mut record, input)?;
    store.insert_provider_key(&record).await.map_err(|e| name_taken(e.into()))?;
    let change = Change {
        action: "provider_key.create",
        entity_type: "provider_key",
        entity_id: &record.id,
        project_id: record.project_id.as_deref(),
        old: None,
        new: Some(audit_json(&record)),
    };
    audit::record(store, ctx, change).await?;
    Ok(view(&record))
}

/// The stored key `id` if it is in scope (`project_id`, or global for `None`).
async fn scoped(store: &dyn PrimaryStore, project_id: Option<&str>, id: &str) -> ServiceResult<ProviderKeyRecord> {
    match store.provider_key(id).await? {
        Some(r) if r.project_id.as_deref() == project_id => Ok(r),
        _ => Err(ServiceError::NotFound("provider key")),
    }
}

async fn change(
    store: &dyn PrimaryStore,
    cipher: &KeyCipher,
    ctx: &RequestContext,
    project_id: Option<&str>,
    id: &str,
    input: &ProviderKeyInput,
) -> ServiceResult<ProviderKeyView> {
    let old = scoped(store, project_id, id).await?;
    let mut record = old.clone();
    apply(cipher, &mut record, input)?;
    record.updated_at_ms = now_ms();
    store.update_provider_key(&record).await.map_err(|e| name_taken(e.into()))?;
    let change = Change {
        action: "provider_key.update",
        entity_type: "provider_key",
        entity_id: &record.id,
        project_id: record.project_id.as_deref(),
        old: Some(audit_json(&old)),
        new: Some(audit_json(&record)),
    };
    audit::record(store, ctx, change).await?;
    Ok(view(&record))
}

async fn remove(store: &dyn PrimaryStore, ctx: &RequestContext, project_id: Option<&str>, id: &str) -> ServiceResult<()> {
    let old = scoped(store, project_id, id).await?;
    store.delete_provider_key(&old.id).await?;
    let change = Change {
        action: "provider_key.delete",
        entity_type: "provider_key",
        entity_id: &old.id,
        project_id: old.project_id.as_deref(),
        old: Some(audit_json(&old)),
        new: None,
    };
    audit::record(store, ctx, change).await?;
    Ok(())
}

/// A project's own keys (any member may see them: no secret is shown).
pub async fn list(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str) -> ServiceResult<Vec<ProviderKeyView>> {
    let access = authz::project_by_slug(store, ctx, slug, ProjectRole::Analyst).await?;
    Ok(store.list_provider_keys(Some(&access.id)).await?.iter().map(view).collect())
}

/// What a project's provider page shows: the caller's access, the project's keys and the
/// global defaults (any member; no secret is shown).
pub struct ProjectProviderKeys {
    pub access: ProjectAccess,
    pub own: Vec<ProviderKeyView>,
    pub global: Vec<ProviderKeyView>,
}

pub async fn for_project(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str) -> ServiceResult<ProjectProviderKeys> {
    let access = authz::project_by_slug(store, ctx, slug, ProjectRole::Analyst).await?;
    let own = store.list_provider_keys(Some(&access.id)).await?.iter().map(view).collect();
    let global = store.list_provider_keys(None).await?.iter().map(view).collect();
    Ok(ProjectProviderKeys { access, own, global })
}

/// Owners only; audited with the key's last 4 characters.
pub async fn create(
    store: &dyn PrimaryStore,
    cipher: &KeyCipher,
    ctx: &RequestContext,
    slug: &str,
    input: &ProviderKeyInput,
) -> ServiceResult<ProviderKeyView> {
    let access = authz::project_by_slug(store, ctx, slug, ProjectRole::Owner).await?;
    insert(store, cipher, ctx, Some(access.project.id), input).await
}

/// Owners only. The stored key is replaced only when a new one is typed.
pub async fn update(
    store: &dyn PrimaryStore,
    cipher: &KeyCipher,
    ctx: &RequestContext,
    slug: &str,
    id: &str,
    input: &ProviderKeyInput,
) -> ServiceResult<ProviderKeyView> {
    let access = authz::project_by_slug(store, ctx, slug, ProjectRole::Owner).await?;
    change(store, cipher, ctx, Some(&access.project.id), id, input).await
}

/// Owners only.
pub async fn delete(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str, id: &str) -> ServiceResult<()> {
    let access = authz::project_by_slug(store, ctx, slug, ProjectRole::Owner).await?;
    remove(store, ctx, Some(&access.project.id), id).await
}

/// The global defaults (admins only).
pub async fn list_global(store: &dyn PrimaryStore, ctx: &RequestContext) -> ServiceResult<Vec<ProviderKeyView>> {
    ctx.admin()?;
    Ok(store.list_provider_keys(None).await?.iter().map(view).collect())
}

pub async fn create_global(
    store: &dyn PrimaryStore,
    cipher: &KeyCipher,
    ctx: &RequestContext,
    input: &ProviderKeyInput,
) -> ServiceResult<ProviderKeyView> {
    ctx.admin()?;
    insert(store, cipher, ctx, None, input).await
}

pub async fn update_global(
    store: &dyn PrimaryStore,
    cipher: &KeyCipher,
    ctx: &RequestContext,
    id: &str,
    input: &ProviderKeyInput,
) -> ServiceResult<ProviderKeyView> {
    ctx.admin()?;
    change(store, cipher, ctx, None, id, input).await
}

pub async fn delete_global(store: &dyn PrimaryStore, ctx: &RequestContext, id: &str) -> ServiceResult<()> {
    ctx.admin()?;
    remove(store, ctx, None, id).await
}

/// The keys a project's editors can chat with: the project's own, then the global defaults.
/// Any member may list them (no secret is shown); [`resolve`] needs editor.
pub async fn usable(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str) -> ServiceResult<Vec<ProviderKeyView>> {
    let access = authz::project_by_slug(store, ctx, slug, ProjectRole::Analyst).await?;
    let mut keys: Vec<ProviderKeyView> = store.list_provider_keys(Some(&access.id)).await?.iter().map(view).collect();
    keys.extend(store.list_provider_keys(None).await?.iter().map(view));
    Ok(keys)
}

/// Is `key_id` one of the keys `project_id` may use (its own or a global one)?
pub async fn usable_by_project(store: &dyn PrimaryStore, project_id: &ProjectId, key_id: &str) -> ServiceResult<Option<ProviderKeyRecord>> {
    Ok(store.provider_key(key_id).await?.filter(|r| r.project_id.as_deref().is_none_or(|p| p == project_id)))
}

/// Re-encrypt every stored key from `old` to `new`, in one transaction. Rows already under
/// `new` are left alone, so an interrupted rotation can be run again. Audited as the system.
/// Returns how many rows were re-encrypted.
pub async fn rotate_master_key(store: &dyn PrimaryStore, old: &KeyCipher, new: &KeyCipher) -> ServiceResult<u64> {
    let mut swaps = Vec::new();
    for r in store.encrypted_provider_keys().await? {
        let Some(blob) = r.key_ciphertext else { continue };
        if new.encrypted(&blob) {
            continue;
        }
        let plain = old.decrypt(r.project_id.as_deref(), &r.id, &blob).map_err(|e| {
            ServiceError::Invalid(format!("provider key {} ({}) cannot be decrypted with the current master key: {e}", r.id, r.name))
        })?;
        swaps.push(CiphertextSwap { new: new.encrypt(r.project_id.as_deref(), &r.id, &plain), old: blob, id: r.id });
    }
    let changed = match store.swap_provider_key_ciphertexts(&swaps).await {
        Err(crate::StoreError::Conflict(_)) => {
            return Err(ServiceError::Conflict("a provider key changed during the rotation; nothing was changed, run it again".into()))
        }
        other => other?,
    };
    let change = Change {
        action: "provider_key.rotate_master_key",
        entity_type: "master_key",
        entity_id: &new.fingerprint(),
        project_id: None,
        old: Some(json!({ "fingerprint": old.fingerprint() })),
        new: Some(json!({ "fingerprint": new.fingerprint(), "keys_reencrypted": changed })),
    };
    audit::record(store, &RequestContext::system(), change).await?;
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendors_parse_by_their_stable_names() {
        for v in VENDORS {
            assert_eq!(parse_vendor(v.as_str()), Ok(v));
        }
        assert!(parse_vendor("OpenAI").is_err());
        assert!(parse_vendor("").is_err());
    }

    #[test]
    fn base_urls_are_http_without_credentials() {
        assert_eq!(clean_base_url(" https://api.openai.com/v1/ ", Vendor::OpenAi), Ok(Some("https://api.openai.com/v1".into())));
        assert_eq!(clean_base_url("", Vendor::OpenAi), Ok(None));
        assert!(clean_base_url("", Vendor::OpenAiCompatible).is_err());
        assert_eq!(clean_base_url("http://localhost:11434/v1", Vendor::OpenAiCompatible), Ok(Some("http://localhost:11434/v1".into())));
        for bad in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "ftp://example.com",
            "not a url",
            "https://user:pw@example.com/v1",
            "https://example.com/v1?key=x",
            "https://example.com/#x",
        ] {
            assert!(matches!(clean_base_url(bad, Vendor::OpenAi), Err(ServiceError::Invalid(_))), "{bad}");
        }
        assert!(clean_base_url(&format!("https://example.com/{}", "a".repeat(MAX_URL_LEN)), Vendor::OpenAi).is_err());
    }

    #[test]
    fn keys_models_and_names_are_checked() {
        assert_eq!(clean_key("  "), Ok(None));
        assert_eq!(clean_key(" sk-abcdefgh "), Ok(Some("sk-abcdefgh".into())));
        assert!(clean_key("short").is_err());
        assert!(clean_key("sk abc defgh").is_err());
        assert!(clean_key(&"k".repeat(MAX_KEY_LEN + 1)).is_err());
        assert_eq!(last4("sk-abcdefgh"), "efgh");
        assert_eq!(last4("clé-ééééé"), "éééé");
        assert!(clean_model("gpt 4").is_err());
        assert!(clean_model("").is_err());
        assert!(clean_name("a\nb").is_err());
        assert!(clean_name(&"n".repeat(MAX_NAME_LEN + 1)).is_err());
    }

    #[test]
    fn apply_requires_a_key_except_for_compatible_servers() {
        let cipher = KeyCipher::new([1; 32]);
        let mut record = ProviderKeyRecord {
            id: "k1".into(),
            project_id: Some("p1".into()),
            name: String::new(),
            vendor: String::new(),
            base_url: None,
            default_model: String::new(),
            key_ciphertext: None,
            key_last4: None,
            created_by: None,
            created_at_ms: 0,
            updated_at_ms: 0,
        };
        let mut input =
            ProviderKeyInput { name: "Main".into(), vendor: "openai".into(), default_model: "gpt-4o-mini".into(), ..Default::default() };
        assert!(matches!(apply(&cipher, &mut record, &input), Err(ServiceError::Invalid(m)) if m.contains("API key")));
        input.api_key = "sk-test-12345678".into();
        apply(&cipher, &mut record, &input).unwrap();
        assert_eq!(record.key_last4.as_deref(), Some("5678"));
        let blob = record.key_ciphertext.clone().unwrap();
        assert_eq!(cipher.decrypt(Some("p1"), "k1", &blob), Ok("sk-test-12345678".into()));
        // An empty key field keeps the stored key.
        input.api_key.clear();
        input.name = "Renamed".into();
        apply(&cipher, &mut record, &input).unwrap();
        assert_eq!(record.key_ciphertext.as_deref(), Some(blob.as_slice()));
        // Removing it is only allowed where no key is needed.
        input.remove_key = true;
        assert!(apply(&cipher, &mut record.clone(), &input).is_err());
        input.vendor = "openai_compatible".into();
        input.base_url = "http://localhost:11434/v1".into();
        apply(&cipher, &mut record, &input).unwrap();
        assert_eq!((record.key_ciphertext, record.key_last4), (None, None));
        assert!(!format!("{input:?}").contains("sk-test"));
    }
}
