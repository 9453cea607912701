//! Provider keys: owners add them through the form, they are stored encrypted (the database
//! file never holds the key), shown and audited with their last 4 characters only, resolved
//! for editors of the project that may use them, and re-encrypted by a master key rotation.

mod common;

use common::{add_user, flash_after, sign_in, spawn_with, TestApp, PASSWORD};
use domain::GlobalRole;
use elasticdash::secret::Secret;
use reqwest::StatusCode;
use services::{
    llm_gateway::{self, KeyChoice, ResolvedKey},
    ports::{AuditEntry, AuditFilter, User},
    provider_keys::{self, KeyCipher},
    Actor, RequestContext, ServiceError,
};

const SLUG: &str = "keys-demo";
const OTHER: &str = "other-proj";
const SECRET: &str = "sk-test-SECRETVALUE-0123456789-9876";

struct World {
    app: TestApp,
    cipher: KeyCipher,
    /// The SQLite primary database file.
    db_path: String,
    owner: reqwest::Client,
    users: Vec<User>,
}

/// A key as the LLM gateway resolves it for an editor of `slug`.
async fn resolve(
    store: &dyn services::ports::PrimaryStore,
    cipher: &KeyCipher,
    ctx: &RequestContext,
    slug: &str,
    key_id: &str,
) -> Result<ResolvedKey, ServiceError> {
    let access = services::playground::authorize_in(store, ctx, slug).await?;
    llm_gateway::resolve_key(store, cipher, &test_support::pid(&access.project.id), KeyChoice::Id(key_id)).await
}

fn ctx(user: &User) -> RequestContext {
    RequestContext {
        actor: Some(Actor { user_id: user.id.clone(), email: user.email.as_str().to_owned(), role: user.role }),
        ..Default::default()
    }
}

impl World {
    fn user(&self, email: &str) -> &User {
        self.users.iter().find(|u| u.email.as_str() == email).unwrap()
    }
}

/// A server with a known master key, an owner of two projects, an editor, an analyst, a
/// stranger and an admin.
async fn world() -> World {
    let master = KeyCipher::generate_encoded();
    let mut db_path = String::new();
    let app = spawn_with(
        |mut s| {
            s.llm.master_key = Secret::new(master.clone());
            db_path = s.stores.primary_url.trim_start_matches("sqlite://").to_owned();
            s
        },
        Vec::new(),
    )
    .await;
    let mut users = Vec::new();
    for (email, role) in [
        ("owner@example.com", GlobalRole::User),
        ("editor@example.com", GlobalRole::User),
        ("analyst@example.com", GlobalRole::User),
        ("stranger@example.com", GlobalRole::User),
        ("admin@example.com", GlobalRole::Admin),
    ] {
        users.push(add_user(&app, email, role).await);
    }
    let owner = sign_in(&app, "owner@example.com", PASSWORD).await;
    for (name, slug) in [("Keys demo", SLUG), ("Other", OTHER)] {
        owner.post(app.url("/projects")).form(&[("name", name), ("slug", slug)]).send().await.unwrap();
    }
    for (email, role) in [("analyst@example.com", "analyst"), ("editor@example.com", "editor")] {
        let res = owner.post(app.url(&format!("/projects/{SLUG}/members"))).form(&[("email", email), ("role", role)]).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    World { app, cipher: KeyCipher::from_encoded(&master).unwrap(), db_path, owner, users }
}

async fn post(app: &TestApp, client: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> String {
    let res = client.post(app.url(path)).form(form).send().await.unwrap();
    flash_after(app, client, res).await
}

fn key_form<'a>(name: &'a str, vendor: &'a str, base_url: &'a str, api_key: &'a str, model: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![("name", name), ("vendor", vendor), ("base_url", base_url), ("api_key", api_key), ("default_model", model)]
}

async fn audit(app: &TestApp, action: &str) -> Vec<AuditEntry> {
    let filter = AuditFilter { action: Some(action.into()), ..Default::default() };
    app.stores.primary.list_audit(&filter, None, 100).await.unwrap()
}

/// Every byte SQLite has written: the database and its write-ahead log.
fn database_bytes(path: &str) -> Vec<u8> {
    let mut bytes = std::fs::read(path).unwrap();
    bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

async fn project_id(app: &TestApp, slug: &str) -> String {
    app.stores.primary.project_by_slug(&domain::ProjectSlug::parse(slug).unwrap()).await.unwrap().unwrap().id
}

#[tokio::test]
async fn an_owner_adds_a_key_that_is_stored_encrypted_and_shown_by_its_last_4() {
    let w = world().await;
    let app = &w.app;
    let page = w.owner.get(app.url(&format!("/projects/{SLUG}/providers"))).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    // The form contract the browser specs rely on.
    for part in [
        r#"action="/projects/keys-demo/providers""#,
        r#"name="name""#,
        r#"<select name="vendor""#,
        r#"value="openai""#,
        r#"value="anthropic""#,
        r#"value="gemini""#,
        r#"value="xai""#,
        r#"value="openai_compatible""#,
        r#"name="base_url""#,
        r#"type="password" name="api_key""#,
        r#"name="default_model""#,
        "Save provider key",
    ] {
        assert!(html.contains(part), "missing {part} in the provider page");
    }

    let msg = post(app, &w.owner, &format!("/projects/{SLUG}/providers"), &key_form(" Main ", "openai", "", SECRET, "gpt-4o-mini")).await;
    assert_eq!(msg, "ok: Provider key “Main” saved (key ••••9876).");
    let html = w.owner.get(app.url(&format!("/projects/{SLUG}/providers"))).send().await.unwrap().text().await.unwrap();
    assert_eq!(html.matches(r#"data-testid="provider-row""#).count(), 1);
    assert!(html.contains("••••9876") && html.contains("gpt-4o-mini"));
    assert!(!html.contains("SECRETVALUE"), "the key is never shown again");

    // At rest: neither the database file nor its log holds the key; the row decrypts to it.
    let bytes = database_bytes(&w.db_path);
    assert!(contains(&bytes, "gpt-4o-mini"), "reading the right file");
    assert!(!contains(&bytes, SECRET) && !contains(&bytes, "SECRETVALUE"), "the key is in the database file in clear");
    let pid = project_id(app, SLUG).await;
    let rows = app.stores.primary.list_provider_keys(Some(&test_support::pid(&pid))).await.unwrap();
    let stored = rows[0].key_ciphertext.clone().unwrap();
    assert!(!contains(&stored, "SECRETVALUE"));
    assert_eq!(w.cipher.decrypt(Some(&pid), &rows[0].id, &stored).unwrap(), SECRET);

    // Audited with the last 4 only.
    let created = audit(app, "provider_key.create").await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].record.new_value.as_ref().unwrap()["key_last4"], "9876");
    assert_eq!(created[0].record.actor_label, "owner@example.com");
    let whole_trail = serde_json::to_string(
        &app.stores.primary.list_audit(&AuditFilter::default(), None, 500).await.unwrap().iter().map(|e| &e.record).collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(!whole_trail.contains("SECRETVALUE"));

    // Editors see it (without a form) and can use it; analysts see it but cannot.
    let editor = sign_in(app, "editor@example.com", PASSWORD).await;
    let html = editor.get(app.url(&format!("/projects/{SLUG}/providers"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("••••9876") && !html.contains("Save provider key"));
    let store = app.stores.primary.as_ref();
    let resolved = resolve(store, &w.cipher, &ctx(w.user("editor@example.com")), SLUG, &rows[0].id).await.unwrap();
    assert_eq!(resolved.config.api_key.as_ref().unwrap().expose(), SECRET);
    assert_eq!(resolved.config.vendor.as_str(), "openai");
    assert_eq!(resolved.key.key_last4.as_deref(), Some("9876"));
    let analyst = ctx(w.user("analyst@example.com"));
    assert_eq!(resolve(store, &w.cipher, &analyst, SLUG, &rows[0].id).await.err(), Some(ServiceError::Forbidden));
    assert_eq!(provider_keys::usable(store, &analyst, SLUG).await.unwrap().len(), 1);
    let stranger = ctx(w.user("stranger@example.com"));
    assert_eq!(resolve(store, &w.cipher, &stranger, SLUG, &rows[0].id).await.err(), Some(ServiceError::NotFound("project")));

    // An edit without a key keeps the stored one; a typed key replaces it.
    let edit = format!("/projects/{SLUG}/providers/{}", rows[0].id);
    let msg = post(app, &w.owner, &edit, &key_form("Renamed", "openai", "https://api.openai.com/v1/", "", "gpt-4o")).await;
    assert_eq!(msg, "ok: Provider key “Renamed” saved (key ••••9876).");
    let after = app.stores.primary.provider_key(&rows[0].id).await.unwrap().unwrap();
    assert_eq!(after.key_ciphertext.as_deref(), Some(stored.as_slice()));
    assert_eq!(after.base_url.as_deref(), Some("https://api.openai.com/v1"));
    let msg = post(app, &w.owner, &edit, &key_form("Renamed", "openai", "", "sk-new-key-4321", "gpt-4o")).await;
    assert_eq!(msg, "ok: Provider key “Renamed” saved (key ••••4321).");
    let updates = audit(app, "provider_key.update").await;
    assert_eq!(updates.len(), 2);
    assert_eq!(updates[0].record.old_value.as_ref().unwrap()["key_last4"], "9876");
    assert_eq!(updates[0].record.new_value.as_ref().unwrap()["key_last4"], "4321");
    assert!(!contains(&database_bytes(&w.db_path), "sk-new-key-4321"));

    let msg = post(app, &w.owner, &format!("{edit}/delete"), &[]).await;
    assert_eq!(msg, "ok: Provider key deleted.");
    assert!(app.stores.primary.provider_key(&rows[0].id).await.unwrap().is_none());
    assert_eq!(audit(app, "provider_key.delete").await.len(), 1);
    w.app.shutdown().await;
}

#[tokio::test]
async fn only_owners_manage_project_keys_and_only_admins_global_ones() {
    let w = world().await;
    let app = &w.app;
    let form = key_form("Main", "openai", "", SECRET, "gpt-4o-mini");
    let path = format!("/projects/{SLUG}/providers");
    for (email, expected) in [
        ("editor@example.com", "error: You do not have permission to do this"),
        ("analyst@example.com", "error: You do not have permission to do this"),
        ("stranger@example.com", "error: Project not found"),
        ("admin@example.com", "error: Project not found"),
    ] {
        let client = sign_in(app, email, PASSWORD).await;
        assert_eq!(post(app, &client, &path, &form).await, expected, "{email}");
        assert_eq!(post(app, &client, "/admin/providers", &form).await.starts_with("ok: "), email == "admin@example.com", "{email}");
    }
    let anonymous = common::browser(app);
    assert_eq!(anonymous.post(app.url(&path)).form(&form).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(post(app, &w.owner, "/admin/providers", &form).await, "error: You do not have permission to do this");
    let pid = project_id(app, SLUG).await;
    assert!(app.stores.primary.list_provider_keys(Some(&test_support::pid(&pid))).await.unwrap().is_empty());

    // The admin's global key is listed on the admin page and, read-only, on every project's.
    let admin = sign_in(app, "admin@example.com", PASSWORD).await;
    let html = admin.get(app.url("/admin/providers")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("••••9876") && html.contains("Save provider key") && !html.contains("SECRETVALUE"));
    let html = w.owner.get(app.url(&path)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"data-testid="global-provider-table""#) && html.contains("••••9876"));
    let global = app.stores.primary.list_provider_keys(None).await.unwrap();
    assert_eq!(global.len(), 1);
    let created = audit(app, "provider_key.create").await;
    assert_eq!(created[0].record.project_id, None);

    // A project's forms cannot touch a global key.
    let msg = post(app, &w.owner, &format!("{path}/{}/delete", global[0].id), &[]).await;
    assert_eq!(msg, "error: Provider key not found");
    assert_eq!(app.stores.primary.list_provider_keys(None).await.unwrap().len(), 1);
    let msg = post(app, &admin, &format!("/admin/providers/{}/delete", global[0].id), &[]).await;
    assert_eq!(msg, "ok: Global provider key deleted.");
    w.app.shutdown().await;
}

#[tokio::test]
async fn keys_resolve_only_in_the_projects_that_may_use_them() {
    let w = world().await;
    let app = &w.app;
    let store = app.stores.primary.as_ref();
    post(app, &w.owner, &format!("/projects/{OTHER}/providers"), &key_form("Theirs", "anthropic", "", SECRET, "claude-3-5-haiku")).await;
    let admin = sign_in(app, "admin@example.com", PASSWORD).await;
    let msg =
        post(app, &admin, "/admin/providers", &key_form("Local", "openai_compatible", "http://localhost:11434/v1", "", "llama3")).await;
    assert_eq!(msg, "ok: Provider key “Local” saved (no key).");
    let other_key = store.list_provider_keys(Some(&test_support::pid(&project_id(app, OTHER).await))).await.unwrap().remove(0);
    let global_key = store.list_provider_keys(None).await.unwrap().remove(0);

    // The owner of both projects asks through the wrong one: not found.
    let owner = ctx(w.user("owner@example.com"));
    let wrong = resolve(store, &w.cipher, &owner, SLUG, &other_key.id).await;
    assert_eq!(wrong.err(), Some(ServiceError::NotFound("provider key")));
    let right = resolve(store, &w.cipher, &owner, OTHER, &other_key.id).await.unwrap();
    assert_eq!(right.config.vendor.as_str(), "anthropic");
    let msg = post(app, &w.owner, &format!("/projects/{SLUG}/providers/{}", other_key.id), &key_form("X", "openai", "", "", "m")).await;
    assert_eq!(msg, "error: Provider key not found");

    // A global key is usable everywhere, after the project's own.
    let editor = ctx(w.user("editor@example.com"));
    let usable: Vec<_> = provider_keys::usable(store, &editor, SLUG).await.unwrap().into_iter().map(|k| k.name).collect();
    assert_eq!(usable, vec!["Local".to_owned()]);
    let local = resolve(store, &w.cipher, &editor, SLUG, &global_key.id).await.unwrap();
    assert_eq!(local.config.base_url.as_deref(), Some("http://localhost:11434/v1"));
    assert!(local.config.api_key.is_none());

    // A ciphertext copied onto another row does not decrypt there.
    let mut moved = global_key.clone();
    moved.key_ciphertext = other_key.key_ciphertext.clone();
    moved.key_last4 = other_key.key_last4.clone();
    store.update_provider_key(&moved).await.unwrap();
    match resolve(store, &w.cipher, &editor, SLUG, &global_key.id).await {
        Err(ServiceError::Invalid(m)) => assert!(m.contains("cannot be decrypted"), "{m}"),
        other => panic!("a moved ciphertext resolved: {:?}", other.map(|r| r.key)),
    }
    w.app.shutdown().await;
}

#[tokio::test]
async fn hostile_input_is_refused_with_a_reason_and_stores_nothing() {
    let w = world().await;
    let app = &w.app;
    let path = format!("/projects/{SLUG}/providers");
    let huge = "x".repeat(100_000);
    let huge_url = format!("https://example.com/{huge}");
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (key_form("Main", "bogus", "", SECRET, "gpt-4o"), "Choose a vendor among"),
        (key_form("Main", "", "", SECRET, "gpt-4o"), "Choose a vendor among"),
        (key_form("Main", "openai", "javascript:alert(1)", SECRET, "gpt-4o"), "must start with http:// or https://"),
        (key_form("Main", "openai", "file:///etc/passwd", SECRET, "gpt-4o"), "must start with http:// or https://"),
        (key_form("Main", "openai", "not a url", SECRET, "gpt-4o"), "is not a valid URL"),
        (key_form("Main", "openai", "https://user:pw@example.com/v1", SECRET, "gpt-4o"), "cannot contain a user name"),
        (key_form("Main", "openai_compatible", "", "", "llama3"), "needs a base URL"),
        (key_form("Main", "openai", "", "", "gpt-4o"), "Enter the API key for openai"),
        (key_form("Main", "openai", "", "short", "gpt-4o"), "API key has 8 to 1000"),
        (key_form("Main", "openai", "", &huge, "gpt-4o"), "API key has 8 to 1000"),
        (key_form(&huge, "openai", "", SECRET, "gpt-4o"), "name has 1 to 80"),
        (key_form("", "openai", "", SECRET, "gpt-4o"), "name has 1 to 80"),
        (key_form("Main", "openai", "", SECRET, ""), "Enter a default model"),
        (key_form("Main", "openai", "", SECRET, &huge), "at most 200 characters"),
        (key_form("Main", "openai", &huge_url, SECRET, "gpt-4o"), "at most 500 characters"),
    ];
    for (form, expected) in &cases {
        let msg = post(app, &w.owner, &path, form).await;
        assert!(msg.starts_with("error: ") && msg.contains(expected), "{expected:?} not in {msg:?}");
        assert!(!msg.contains("SECRETVALUE"));
    }
    let pid = project_id(app, SLUG).await;
    assert!(app.stores.primary.list_provider_keys(Some(&test_support::pid(&pid))).await.unwrap().is_empty(), "nothing half-written");
    assert!(audit(app, "provider_key.create").await.is_empty());

    assert!(post(app, &w.owner, &path, &key_form("Main", "openai", "", SECRET, "gpt-4o")).await.starts_with("ok: "));
    let msg = post(app, &w.owner, &path, &key_form("Main", "gemini", "", SECRET, "gemini-2.0-flash")).await;
    assert_eq!(msg, "error: A provider key with this name already exists");
    assert!(!contains(&database_bytes(&w.db_path), "SECRETVALUE"));
    w.app.shutdown().await;
}

#[tokio::test]
async fn rotating_the_master_key_re_encrypts_every_key() {
    let w = world().await;
    let app = &w.app;
    let store = app.stores.primary.as_ref();
    post(app, &w.owner, &format!("/projects/{SLUG}/providers"), &key_form("Main", "openai", "", SECRET, "gpt-4o")).await;
    let admin = sign_in(app, "admin@example.com", PASSWORD).await;
    post(app, &admin, "/admin/providers", &key_form("Shared", "xai", "", "xai-global-key-5555", "grok-3")).await;
    post(app, &admin, "/admin/providers", &key_form("Local", "openai_compatible", "http://127.0.0.1:1/v1", "", "llama3")).await;
    let pid = project_id(app, SLUG).await;
    let main = store.list_provider_keys(Some(&test_support::pid(&pid))).await.unwrap().remove(0);
    let before = database_bytes(&w.db_path);

    let new = KeyCipher::from_encoded(&KeyCipher::generate_encoded()).unwrap();
    assert_eq!(provider_keys::rotate_master_key(store, &w.cipher, &new).await.unwrap(), 2, "the two stored keys");
    let editor = ctx(w.user("editor@example.com"));
    let resolved = resolve(store, &new, &editor, SLUG, &main.id).await.unwrap();
    assert_eq!(resolved.config.api_key.unwrap().expose(), SECRET);
    match resolve(store, &w.cipher, &editor, SLUG, &main.id).await {
        Err(ServiceError::Invalid(m)) => assert!(m.contains("master key"), "{m}"),
        other => panic!("the old master key still works: {:?}", other.map(|r| r.key)),
    }
    let rotated = store.provider_key(&main.id).await.unwrap().unwrap();
    assert_ne!(rotated.key_ciphertext, main.key_ciphertext);
    assert_eq!(rotated.key_last4, main.key_last4);
    assert!(!contains(&database_bytes(&w.db_path), "SECRETVALUE") && !contains(&before, "xai-global-key"));

    // Interrupted or repeated: rows already under the new key are skipped.
    assert_eq!(provider_keys::rotate_master_key(store, &w.cipher, &new).await.unwrap(), 0);
    // A wrong "current" key changes nothing.
    let unrelated = KeyCipher::from_encoded(&KeyCipher::generate_encoded()).unwrap();
    let third = KeyCipher::from_encoded(&KeyCipher::generate_encoded()).unwrap();
    assert!(matches!(provider_keys::rotate_master_key(store, &unrelated, &third).await, Err(ServiceError::Invalid(_))));
    assert!(resolve(store, &new, &editor, SLUG, &main.id).await.is_ok());

    let rotations = audit(app, "provider_key.rotate_master_key").await;
    assert_eq!(rotations.len(), 2);
    let first = &rotations[1].record;
    assert_eq!((first.actor_label.as_str(), first.actor_user_id.as_ref()), ("system", None));
    assert_eq!(first.new_value.as_ref().unwrap()["keys_reencrypted"], 2);
    assert_eq!(first.new_value.as_ref().unwrap()["fingerprint"], new.fingerprint());
    w.app.shutdown().await;
}

mod cli {
    use super::*;
    use std::{
        io::Write,
        process::{Command, Stdio},
    };

    fn rotate(dir: &std::path::Path, env_key: Option<&str>, stdin: &str) -> std::process::Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_elasticdash"));
        cmd.arg("rotate-master-key")
            .env("ELASTICDASH_CONFIG", dir.join("absent.toml"))
            .env("ELASTICDASH__STORES__PRIMARY_URL", format!("sqlite://{}/p.db", dir.display()))
            .env("ELASTICDASH__STORES__ANALYTICS_URL", format!("sqlite://{}/a.db", dir.display()))
            .env("ELASTICDASH__STORES__BLOB_URL", format!("file://{}/blobs", dir.display()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(key) = env_key {
            cmd.env("ELASTICDASH__LLM__MASTER_KEY", key);
        }
        let mut child = cmd.spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    fn output(out: &std::process::Output) -> String {
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    }

    /// A database with one project key encrypted under `master` (written as the embedded file).
    async fn database(dir: &std::path::Path, master: &str) -> (std::sync::Arc<dyn services::ports::PrimaryStore>, String, String) {
        std::fs::write(dir.join("master.key"), format!("{master}\n")).unwrap();
        let store: std::sync::Arc<dyn services::ports::PrimaryStore> =
            std::sync::Arc::new(store_sqlite::SqlitePrimaryStore::connect(&format!("sqlite://{}/p.db", dir.display())).await.unwrap());
        store.migrate().await.unwrap();
        let new_user = services::ports::NewUser {
            email: domain::Email::parse("o@example.com").unwrap(),
            name: "O".into(),
            password_hash: "x".into(),
            role: GlobalRole::User,
            must_change_password: false,
        };
        let owner = store.create_user(new_user, 0).await.unwrap();
        let new_project = services::ports::NewProject {
            slug: domain::ProjectSlug::parse("cli-proj").unwrap(),
            name: "P".into(),
            description: String::new(),
        };
        let project = store.create_project(new_project, &owner.id, 0).await.unwrap();
        let cipher = KeyCipher::from_encoded(master).unwrap();
        let record = services::ports::ProviderKeyRecord {
            id: "key-1".into(),
            project_id: Some(project.id.clone()),
            name: "Main".into(),
            vendor: "openai".into(),
            base_url: None,
            default_model: "gpt-4o".into(),
            key_ciphertext: Some(cipher.encrypt(Some(&project.id), "key-1", SECRET)),
            key_last4: Some("9876".into()),
            created_by: None,
            created_at_ms: 0,
            updated_at_ms: 0,
        };
        store.insert_provider_key(&record).await.unwrap();
        (store, project.id, record.id)
    }

    #[tokio::test]
    async fn the_embedded_key_file_is_rotated_from_standard_input() {
        let dir = tempfile::tempdir().unwrap();
        let old = KeyCipher::generate_encoded();
        let (store, project_id, key_id) = database(dir.path(), &old).await;

        // An empty line generates the new key into the file.
        let out = rotate(dir.path(), None, "\n");
        assert!(out.status.success(), "{}", output(&out));
        assert!(output(&out).contains("re-encrypted 1 provider key(s)"), "{}", output(&out));
        let new = std::fs::read_to_string(dir.path().join("master.key")).unwrap();
        assert_ne!(new.trim(), old);
        assert!(!dir.path().join("master.key.new").exists());
        assert!(!output(&out).contains(new.trim()), "the key is never printed");
        let blob = store.provider_key(&key_id).await.unwrap().unwrap().key_ciphertext.unwrap();
        assert_eq!(KeyCipher::from_encoded(&new).unwrap().decrypt(Some(&project_id), &key_id, &blob).unwrap(), SECRET);
        assert!(KeyCipher::from_encoded(&old).unwrap().decrypt(Some(&project_id), &key_id, &blob).is_err());
        let trail = store
            .list_audit(&AuditFilter { action: Some("provider_key.rotate_master_key".into()), ..Default::default() }, None, 10)
            .await
            .unwrap();
        assert_eq!(trail.len(), 1);

        // A configured key: the new one is typed, and the operator is told to configure it.
        let next = KeyCipher::generate_encoded();
        let out = rotate(dir.path(), Some(new.trim()), &format!("{next}\n"));
        assert!(out.status.success(), "{}", output(&out));
        assert!(output(&out).contains("set ELASTICDASH__LLM__MASTER_KEY"), "{}", output(&out));
        assert!(!output(&out).contains(&next));
        let blob = store.provider_key(&key_id).await.unwrap().unwrap().key_ciphertext.unwrap();
        assert!(KeyCipher::from_encoded(&next).unwrap().decrypt(Some(&project_id), &key_id, &blob).is_ok());

        // Refused: a malformed new key (not echoed), an empty one with a configured key.
        let out = rotate(dir.path(), Some(&next), "not-a-valid-master-key\n");
        assert!(!out.status.success());
        assert!(output(&out).contains("32 bytes") && !output(&out).contains("not-a-valid-master-key"), "{}", output(&out));
        assert!(!rotate(dir.path(), Some(&next), "\n").status.success());
    }
}
