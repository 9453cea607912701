//! Every page, server function, form, JSON route and API-key route, tried by every kind of
//! caller: anonymous, a signed-in stranger, each project role, and an admin who is not a member
//! (API-key routes: no key, a malformed one, another project's key, a key without the scope,
//! the right key). The route lists come from the app itself (`generate_route_list`,
//! `server_fn_paths`, `elasticdash::http::route_table`): a route missing from these tables fails
//! the test, so a new route cannot ship without its access rule.

mod common;

use common::{add_user, browser, sign_in, spawn_app, TestApp, PASSWORD};
use domain::{GlobalRole, ProjectRole};
use reqwest::StatusCode;
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Rule {
    Public,
    SignedIn,
    Admin,
    Member(ProjectRole),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Anonymous,
    Stranger,
    Analyst,
    Editor,
    Owner,
    Admin,
}

const EVERYONE: [Who; 6] = [Who::Anonymous, Who::Stranger, Who::Analyst, Who::Editor, Who::Owner, Who::Admin];

impl Who {
    fn email(self) -> Option<&'static str> {
        match self {
            Who::Anonymous => None,
            Who::Stranger => Some("stranger@example.com"),
            Who::Analyst => Some("analyst@example.com"),
            Who::Editor => Some("editor@example.com"),
            Who::Owner => Some("owner@example.com"),
            Who::Admin => Some("admin@example.com"),
        }
    }

    fn role(self) -> Option<ProjectRole> {
        match self {
            Who::Analyst => Some(ProjectRole::Analyst),
            Who::Editor => Some(ProjectRole::Editor),
            Who::Owner => Some(ProjectRole::Owner),
            _ => None,
        }
    }
}

fn allowed(rule: Rule, who: Who) -> bool {
    match rule {
        Rule::Public => true,
        Rule::SignedIn => who != Who::Anonymous,
        Rule::Admin => who == Who::Admin,
        Rule::Member(needed) => who.role().is_some_and(|r| r.allows(needed)),
    }
}

const SLUG: &str = "matrix";
/// A trace seeded in the project (see `setup`), for the explorer's pages (`{trace_id}` etc.).
const TRACE: &str = "0123456789abcdef0123456789abcdef";
const SPAN: &str = "0123456789abcdef";
const SESSION: &str = "matrix-session";
/// The id of the seeded dataset, test case, run, suite and suite run (the pages that show one);
/// `{id}` is filled with it too.
const SEEDED: &str = "nobody";

/// Leptos pages (GET).
const PAGES: &[(&str, Rule)] = &[
    ("/", Rule::Public),
    ("/login", Rule::Public),
    ("/setup", Rule::Public),
    ("/forgot-password", Rule::Public),
    ("/reset-password", Rule::Public),
    ("/status", Rule::Public),
    ("/account", Rule::SignedIn),
    ("/account/usage", Rule::SignedIn),
    ("/projects", Rule::SignedIn),
    ("/projects/{slug}", Rule::Member(ProjectRole::Analyst)),
    ("/projects/{slug}/settings", Rule::Member(ProjectRole::Analyst)),
    ("/traces", Rule::SignedIn),
    ("/tests", Rule::SignedIn),
    ("/knowledge-base", Rule::SignedIn),
    ("/datasets", Rule::SignedIn),
    ("/dashboards", Rule::SignedIn),
    ("/admin", Rule::Admin),
    ("/admin/plans", Rule::Admin),
    ("/admin/audit", Rule::Admin),
    ("/projects/{slug}/traces", Rule::Member(ProjectRole::Analyst)),
    ("/projects/{slug}/traces/{trace_id}", Rule::Member(ProjectRole::Analyst)),
    ("/projects/{slug}/traces/{trace_id}/spans/{span_id}", Rule::Member(ProjectRole::Analyst)),
    ("/projects/{slug}/sessions", Rule::Member(ProjectRole::Analyst)),
    ("/projects/{slug}/sessions/{session_id}", Rule::Member(ProjectRole::Analyst)),
    ("/projects/{slug}/analytics", Rule::Member(ProjectRole::Analyst)),
    ("/admin/prices", Rule::Admin),
    ("/projects/{slug}/providers", Rule::Member(ProjectRole::Analyst)),
    ("/projects/{slug}/personas", Rule::Member(ProjectRole::Analyst)),
    ("/projects/{slug}/playground", Rule::Member(ProjectRole::Analyst)),
    ("/admin/providers", Rule::Admin),
    ("/projects/{slug}/dashboards", Rule::Member(ProjectRole::Analyst)),
    ("/projects/{slug}/dashboards?drill=1", Rule::Member(ProjectRole::Analyst)),
    ("/projects/{slug}/datasets", Rule::Member(ProjectRole::Analyst)),
    ("/projects/{slug}/datasets/{id}", Rule::Member(ProjectRole::Analyst)),
    ("/projects/{slug}/tests", Rule::Member(ProjectRole::Analyst)),
    ("/projects/{slug}/tests/{id}", Rule::Member(ProjectRole::Analyst)),
    ("/projects/{slug}/tests/runs/{run_id}", Rule::Member(ProjectRole::Analyst)),
    ("/projects/{slug}/tests/suite-runs/{id}", Rule::Member(ProjectRole::Analyst)),
    ("/projects/{slug}/tests/compare", Rule::Member(ProjectRole::Analyst)),
    ("/projects/{slug}/tests/generate", Rule::Member(ProjectRole::Editor)),
    ("/projects/{slug}/kb", Rule::Member(ProjectRole::Analyst)),
    ("/projects/{slug}/kb/entry", Rule::Member(ProjectRole::Analyst)),
    ("/projects/{slug}/kb/new", Rule::Member(ProjectRole::Analyst)),
    ("/projects/{slug}/kb/drafts", Rule::Member(ProjectRole::Analyst)),
    ("/projects/{slug}/kb/drafts/{id}", Rule::Member(ProjectRole::Analyst)),
    ("/projects/{slug}/kb/releases", Rule::Member(ProjectRole::Analyst)),
    ("/projects/{slug}/kb/releases/diff", Rule::Member(ProjectRole::Analyst)),
    ("/projects/{slug}/kb/imports", Rule::Member(ProjectRole::Analyst)),
    ("/projects/{slug}/kb/imports/{id}", Rule::Member(ProjectRole::Analyst)),
    ("/projects/{slug}/kb/search", Rule::Member(ProjectRole::Analyst)),
];

/// Server functions by name, with arguments (form-encoded).
/// (path or name, rule, form arguments).
type Row = (&'static str, Rule, &'static [(&'static str, &'static str)]);

const SERVER_FNS: &[Row] = &[
    ("check_readiness", Rule::Public, &[]),
    ("status_overview", Rule::Public, &[]),
    ("first_run_needed", Rule::Public, &[]),
    ("my_projects", Rule::SignedIn, &[]),
    ("load_account", Rule::SignedIn, &[]),
    ("load_usage", Rule::SignedIn, &[]),
    ("load_project", Rule::Member(ProjectRole::Analyst), &[("slug", SLUG)]),
    ("admin_users", Rule::Admin, &[]),
    ("admin_plans", Rule::Admin, &[]),
    ("audit_page", Rule::Admin, &[("filter[action]", "")]),
    ("verify_audit_chain", Rule::Admin, &[]),
    ("load_traces", Rule::Member(ProjectRole::Analyst), &[("slug", SLUG)]),
    ("load_trace", Rule::Member(ProjectRole::Analyst), &[("slug", SLUG), ("trace_id", TRACE)]),
    ("load_span", Rule::Member(ProjectRole::Analyst), &[("slug", SLUG), ("trace_id", TRACE), ("span_id", SPAN)]),
    ("load_sessions", Rule::Member(ProjectRole::Analyst), &[("slug", SLUG)]),
    ("load_session", Rule::Member(ProjectRole::Analyst), &[("slug", SLUG), ("session_id", SESSION)]),
    ("load_analytics", Rule::Member(ProjectRole::Analyst), &[("slug", SLUG)]),
    ("admin_prices", Rule::Admin, &[]),
    ("project_retention", Rule::Member(ProjectRole::Analyst), &[("slug", SLUG)]),
    ("project_provider_keys", Rule::Member(ProjectRole::Analyst), &[("slug", SLUG)]),
    ("global_provider_keys", Rule::Admin, &[]),
    ("project_personas", Rule::Member(ProjectRole::Analyst), &[("slug", SLUG)]),
    ("load_playground", Rule::Member(ProjectRole::Analyst), &[("slug", SLUG)]),
    ("load_dashboard", Rule::Member(ProjectRole::Analyst), &[("slug", SLUG)]),
    // Allowed callers save one small conversation (harmless to the other checks).
    ("save_conversation", Rule::Member(ProjectRole::Editor), &[("slug", SLUG), ("conversation", SAVED_CHAT)]),
    ("load_datasets", Rule::Member(ProjectRole::Analyst), &[("slug", SLUG)]),
    ("load_dataset", Rule::Member(ProjectRole::Analyst), &[("slug", SLUG), ("id", SEEDED)]),
    (
        "load_cases",
        Rule::Member(ProjectRole::Analyst),
        &[("slug", SLUG), ("filter[status]", ""), ("filter[tag]", ""), ("filter[feature]", ""), ("filter[search]", "")],
    ),
    ("load_case", Rule::Member(ProjectRole::Analyst), &[("slug", SLUG), ("id", SEEDED)]),
    ("load_run", Rule::Member(ProjectRole::Analyst), &[("slug", SLUG), ("run_id", SEEDED)]),
    ("load_suite_run", Rule::Member(ProjectRole::Analyst), &[("slug", SLUG), ("id", SEEDED)]),
    ("load_comparison", Rule::Member(ProjectRole::Analyst), &[("slug", SLUG), ("a", SEEDED), ("b", SEEDED)]),
    ("load_generate", Rule::Member(ProjectRole::Editor), &[("slug", SLUG)]),
    ("load_kb_entries", Rule::Member(ProjectRole::Analyst), &[("slug", SLUG), ("kind", ""), ("q", ""), ("page_number", "")]),
    ("load_kb_entry", Rule::Member(ProjectRole::Analyst), &[("slug", SLUG), ("kind", "table"), ("key", KB_ENTRY)]),
    ("load_kb_head", Rule::Member(ProjectRole::Analyst), &[("slug", SLUG)]),
    ("load_kb_drafts", Rule::Member(ProjectRole::Analyst), &[("slug", SLUG), ("list", "all")]),
    ("load_kb_draft", Rule::Member(ProjectRole::Analyst), &[("slug", SLUG), ("id", SEEDED)]),
    ("load_kb_releases", Rule::Member(ProjectRole::Analyst), &[("slug", SLUG)]),
    ("load_kb_diff", Rule::Member(ProjectRole::Analyst), &[("slug", SLUG), ("from", "1"), ("to", "1")]),
    ("load_kb_imports", Rule::Member(ProjectRole::Analyst), &[("slug", SLUG)]),
    ("load_kb_import", Rule::Member(ProjectRole::Analyst), &[("slug", SLUG), ("id", SEEDED)]),
    ("load_kb_search", Rule::Member(ProjectRole::Analyst), &[("slug", SLUG), ("q", "nobody"), ("kind", "")]),
];

/// The table in the seeded knowledge-base release (see `seed_kb`).
const KB_ENTRY: &str = "public.nobody";
/// A valid entry for the edit form (the seeded draft is withdrawn: nothing is saved).
const KB_ENTRY_JSON: &str = r#"{"kind":"table","schema":"public","name":"nobody","columns":[{"name":"id","data_type":"bigint"}]}"#;

const SAVED_CHAT: &str = r#"{"title":"matrix","provider_key_id":null,"model":"m","system_prompt":"","persona_id":null,"messages":[{"role":"user","content":"hi"}],"params":null}"#;

/// Form posts with harmless inputs: allowed callers get a validation error
/// or a no-op, never a change that would disturb the other checks.
const FORMS: &[Row] = &[
    ("/auth/login", Rule::Public, &[("email", "nobody@example.com"), ("password", "not the password")]),
    ("/auth/logout", Rule::SignedIn, &[]),
    ("/auth/first-run", Rule::Public, &[("email", ""), ("name", ""), ("password", "x"), ("password_repeat", "y")]),
    ("/auth/forgot-password", Rule::Public, &[("email", "nobody@example.com")]),
    ("/auth/reset-password", Rule::Public, &[("token", "nobody"), ("password", "x"), ("password_repeat", "y")]),
    ("/account/profile", Rule::SignedIn, &[("name", "")]),
    ("/account/password", Rule::SignedIn, &[("current", "wrong"), ("new", "x"), ("repeat", "x")]),
    ("/account/sessions/revoke", Rule::SignedIn, &[("session", "nobody")]),
    ("/projects", Rule::SignedIn, &[("name", "")]),
    ("/projects/{slug}/settings", Rule::Member(ProjectRole::Owner), &[("name", ""), ("description", "")]),
    ("/projects/{slug}/delete", Rule::Member(ProjectRole::Owner), &[("confirm", "not-the-slug")]),
    ("/projects/{slug}/members", Rule::Member(ProjectRole::Owner), &[("email", ""), ("role", "editor")]),
    ("/projects/{slug}/members/remove", Rule::Member(ProjectRole::Owner), &[("user_id", "nobody")]),
    ("/projects/{slug}/members/transfer", Rule::Member(ProjectRole::Owner), &[("user_id", "nobody")]),
    ("/projects/{slug}/keys", Rule::Member(ProjectRole::Owner), &[("name", "")]),
    ("/projects/{slug}/keys/revoke", Rule::Member(ProjectRole::Owner), &[("key_id", "nobody")]),
    ("/admin/users", Rule::Admin, &[("email", ""), ("password", "x"), ("role", "user")]),
    ("/admin/users/{id}", Rule::Admin, &[("action", "no-such-action")]),
    ("/admin/plans", Rule::Admin, &[("name", "")]),
    ("/admin/plans/{id}", Rule::Admin, &[("name", "")]),
    // `{id}` is no trace: owners get "trace not found", nothing is deleted.
    ("/projects/{slug}/traces/{id}/delete", Rule::Member(ProjectRole::Owner), &[]),
    ("/admin/prices", Rule::Admin, &[("model", ""), ("input", "1"), ("output", "1")]),
    ("/admin/prices/delete", Rule::Admin, &[("model", "no-such-model")]),
    ("/projects/{slug}/retention", Rule::Member(ProjectRole::Owner), &[("days", "0")]),
    // No vendor / no such key: owners get a validation error or "provider key not found".
    ("/projects/{slug}/providers", Rule::Member(ProjectRole::Owner), &[("name", "")]),
    ("/projects/{slug}/providers/{id}", Rule::Member(ProjectRole::Owner), &[("name", "")]),
    ("/projects/{slug}/providers/{id}/delete", Rule::Member(ProjectRole::Owner), &[]),
    ("/admin/providers", Rule::Admin, &[("name", "")]),
    ("/admin/providers/{id}", Rule::Admin, &[("name", "")]),
    ("/admin/providers/{id}/delete", Rule::Admin, &[]),
    ("/projects/{slug}/personas", Rule::Member(ProjectRole::Editor), &[("name", "")]),
    ("/projects/{slug}/personas/{id}", Rule::Member(ProjectRole::Editor), &[("name", "")]),
    ("/projects/{slug}/personas/{id}/delete", Rule::Member(ProjectRole::Editor), &[]),
    // An empty mapping form on the seeded upload (the editor's): allowed callers get "not waiting".
    ("/projects/{slug}/datasets/{id}/imports/{import_id}/mapping", Rule::Member(ProjectRole::Editor), &[]),
    // Without confirmation nothing is deleted.
    ("/projects/{slug}/datasets/{id}/delete", Rule::Member(ProjectRole::Editor), &[]),
    ("/projects/{slug}/tests", Rule::Member(ProjectRole::Editor), &[("name", "")]),
    ("/projects/{slug}/tests/generate", Rule::Member(ProjectRole::Editor), &[("prompt", "")]),
    ("/projects/{slug}/tests/from-trace/{trace_id}", Rule::Member(ProjectRole::Editor), &[]),
    ("/projects/{slug}/tests/from-conversation/{id}", Rule::Member(ProjectRole::Editor), &[]),
    ("/projects/{slug}/tests/{id}", Rule::Member(ProjectRole::Editor), &[("name", "")]),
    ("/projects/{slug}/tests/{id}/duplicate", Rule::Member(ProjectRole::Editor), &[]),
    ("/projects/{slug}/tests/{id}/delete", Rule::Member(ProjectRole::Editor), &[]),
    ("/projects/{slug}/tests/{id}/status", Rule::Member(ProjectRole::Editor), &[("status", "nonsense")]),
    ("/projects/{slug}/tests/{id}/comments", Rule::Member(ProjectRole::Editor), &[("body", "")]),
    ("/projects/{slug}/tests/{id}/run", Rule::Member(ProjectRole::Editor), &[]),
    ("/projects/{slug}/tests/runs/{run_id}/cancel", Rule::Member(ProjectRole::Editor), &[]),
    ("/projects/{slug}/tests/runs/{run_id}/override", Rule::Member(ProjectRole::Editor), &[("step", "999")]),
    ("/projects/{slug}/tests/suite-runs/{id}/cancel", Rule::Member(ProjectRole::Editor), &[]),
    ("/projects/{slug}/suites", Rule::Member(ProjectRole::Editor), &[("name", "")]),
    ("/projects/{slug}/suites/{id}", Rule::Member(ProjectRole::Editor), &[("name", "")]),
    ("/projects/{slug}/suites/{id}/delete", Rule::Member(ProjectRole::Editor), &[]),
    ("/projects/{slug}/suites/{id}/run", Rule::Member(ProjectRole::Editor), &[]),
    // The knowledge base (see `seed_kb`): deleting an absent entry is refused; the seeded draft is
    // withdrawn (editing at a wrong version, submitting, withdrawing, rejecting and publishing it
    // are refused after the access check); release 1 is the latest (no rollback to it); the seeded
    // import failed (nothing to apply). The review rule is saved as it is (off), and so is vector
    // search (no embedding key).
    ("/projects/{slug}/kb/drafts", Rule::Member(ProjectRole::Editor), &[("change", "delete"), ("kind", "table"), ("key", "public.absent")]),
    ("/projects/{slug}/kb/drafts/{id}", Rule::Member(ProjectRole::Editor), &[("version", "999"), ("entry", KB_ENTRY_JSON)]),
    ("/projects/{slug}/kb/drafts/{id}/submit", Rule::Member(ProjectRole::Editor), &[]),
    ("/projects/{slug}/kb/drafts/{id}/withdraw", Rule::Member(ProjectRole::Editor), &[]),
    ("/projects/{slug}/kb/drafts/{id}/reject", Rule::Member(ProjectRole::Owner), &[("comment", "no")]),
    ("/projects/{slug}/kb/publish", Rule::Member(ProjectRole::Owner), &[("draft", SEEDED), ("summary", "")]),
    ("/projects/{slug}/kb/releases/{number}/rollback", Rule::Member(ProjectRole::Owner), &[]),
    ("/projects/{slug}/kb/settings", Rule::Member(ProjectRole::Owner), &[]),
    ("/projects/{slug}/kb/embeddings", Rule::Member(ProjectRole::Owner), &[("key_id", "")]),
    ("/projects/{slug}/kb/imports/{id}/apply", Rule::Member(ProjectRole::Editor), &[("choose", "table|public.nobody")]),
    // Not multipart: editors get "the upload could not be read" after the access check.
    ("/projects/{slug}/kb/imports/upload", Rule::Member(ProjectRole::Editor), &[("format", "openapi")]),
];

/// What a JSON or file route is sent.
#[derive(Debug, Clone, Copy)]
enum Body {
    Empty,
    Json(&'static str),
    Bytes(usize),
}

/// Cookie-session routes outside Leptos that are not forms: (method, path, rule, body, the
/// status an allowed caller gets). Inputs are harmless: allowed callers get a refusal that comes
/// after the access check (422, 409, …) or a read.
type JsonRow = (&'static str, &'static str, Rule, Body, u16);

const JSON: &[JsonRow] = &[
    ("GET", "/healthz", Rule::Public, Body::Empty, 200),
    ("GET", "/readyz", Rule::Public, Body::Empty, 200),
    // From loopback without `server.metrics_token` (tests/api_shell.rs checks the token).
    ("GET", "/metrics", Rule::Public, Body::Empty, 200),
    ("GET", "/admin/audit.csv", Rule::Admin, Body::Empty, 200),
    ("GET", "/projects/{slug}/dashboards/export.csv", Rule::Member(ProjectRole::Analyst), Body::Empty, 200),
    ("GET", "/projects/{slug}/dashboards/export.xlsx", Rule::Member(ProjectRole::Analyst), Body::Empty, 200),
    // Not a chat: editors get 400 after the access check.
    ("POST", "/projects/{slug}/playground/chat", Rule::Member(ProjectRole::Editor), Body::Json("[]"), 400),
    // An empty file: editors get 422 "the file is empty", nothing is created.
    (
        "POST",
        "/projects/{slug}/datasets/uploads",
        Rule::Member(ProjectRole::Editor),
        Body::Json(r#"{"file_name":"matrix.csv","size_bytes":0,"mode":"create"}"#),
        422,
    ),
    ("GET", "/projects/{slug}/datasets/uploads/{id}", Rule::Member(ProjectRole::Analyst), Body::Empty, 200),
    // The seeded upload is the editor's, 10 bytes: 3 bytes are the wrong size (422).
    ("PUT", "/projects/{slug}/datasets/uploads/{id}/chunks/{index}", Rule::Member(ProjectRole::Editor), Body::Bytes(3), 422),
    // No chunk yet (409), not waiting for a mapping (409).
    ("POST", "/projects/{slug}/datasets/uploads/{id}/complete", Rule::Member(ProjectRole::Editor), Body::Empty, 409),
    ("POST", "/projects/{slug}/datasets/uploads/{id}/mapping", Rule::Member(ProjectRole::Editor), Body::Json("{}"), 409),
    ("GET", "/projects/{slug}/datasets/uploads/{id}/rejections.csv", Rule::Member(ProjectRole::Analyst), Body::Empty, 200),
    ("GET", "/projects/{slug}/kb/export.openapi.json", Rule::Member(ProjectRole::Analyst), Body::Empty, 200),
    ("GET", "/projects/{slug}/kb/export.sql", Rule::Member(ProjectRole::Analyst), Body::Empty, 200),
];

/// Who an API-key route lets in.
#[derive(Debug, Clone, Copy, PartialEq)]
enum KeyRule {
    Public,
    /// A key with one of these scopes; `scoped`: the path names a thing of the key's project (another
    /// project's key gets 404).
    Scope {
        scopes: &'static [&'static str],
        scoped: bool,
    },
}

/// API-key routes: (method, path, rule, content type and body, the status the right key gets).
type KeyRow = (&'static str, &'static str, KeyRule, Option<(&'static str, &'static str)>, u16);

const INGEST: KeyRule = KeyRule::Scope { scopes: &["ingest"], scoped: false };
const READ: KeyRule = KeyRule::Scope { scopes: &["read"], scoped: false };
const OTLP_EMPTY: Option<(&str, &str)> = Some(("application/json", "{}"));

const KEY_ROUTES: &[KeyRow] = &[
    ("POST", "/v1/traces", INGEST, OTLP_EMPTY, 200),
    ("POST", "/api/public/otel/v1/traces", INGEST, OTLP_EMPTY, 200),
    ("POST", "/api/public/ingest/spans", INGEST, Some(("application/json", r#"{"spans":[]}"#)), 200),
    ("GET", "/api/public/openapi.json", KeyRule::Public, None, 200),
    // The seeded suite's only case is a draft: nothing to run (422).
    ("POST", "/api/public/suites/{suite_id}/runs", KeyRule::Scope { scopes: &["ingest"], scoped: true }, None, 422),
    ("GET", "/api/public/suite-runs/{id}", KeyRule::Scope { scopes: &["read", "ingest"], scoped: true }, None, 200),
    ("GET", "/api/public/suite-runs/{id}/junit.xml", KeyRule::Scope { scopes: &["read", "ingest"], scoped: true }, None, 200),
    // The knowledge base for agents: `read` keys only, always of the key's own project.
    ("POST", "/api/public/kb/search", READ, Some(("application/json", r#"{"query":"nobody"}"#)), 200),
    ("GET", "/api/public/kb/releases/latest", READ, None, 200),
    ("POST", "/mcp", READ, Some(("application/json", r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)), 200),
    // No server-sent stream: 405 for everyone, before any key is read.
    ("GET", "/mcp", KeyRule::Public, None, 405),
];

fn fill(path: &str) -> String {
    let path = if path.ends_with("/tests/compare") { format!("{path}?a={SEEDED}&b={SEEDED}") } else { path.to_owned() };
    let path = if path.ends_with("/kb/entry") { format!("{path}?kind=table&key={KB_ENTRY}") } else { path };
    path.replace("{slug}", SLUG)
        .replace("{id}", "nobody")
        .replace("{run_id}", SEEDED)
        .replace("{import_id}", "nobody")
        .replace("{suite_id}", SEEDED)
        .replace("{index}", "0")
        .replace("{trace_id}", TRACE)
        .replace("{span_id}", SPAN)
        .replace("{session_id}", SESSION)
        .replace("{number}", "1")
}

async fn setup() -> TestApp {
    let app = spawn_app().await;
    for who in EVERYONE {
        if let Some(email) = who.email() {
            let role = if who == Who::Admin { GlobalRole::Admin } else { GlobalRole::User };
            add_user(&app, email, role).await;
        }
    }
    let owner = sign_in(&app, "owner@example.com", PASSWORD).await;
    owner.post(app.url("/projects")).form(&[("name", "Matrix"), ("slug", SLUG)]).send().await.unwrap();
    for (email, role) in [("analyst@example.com", "analyst"), ("editor@example.com", "editor")] {
        owner.post(app.url(&format!("/projects/{SLUG}/members"))).form(&[("email", email), ("role", role)]).send().await.unwrap();
    }
    seed_trace(&app).await;
    seed_datasets_and_tests(&app).await;
    seed_kb(&app).await;
    app
}

/// Knowledge base: release 1 holding the table `KB_ENTRY`, a withdrawn draft of the editor and a
/// failed import, both with the id `SEEDED`.
async fn seed_kb(app: &TestApp) {
    use domain::kb::{Draft, DraftChange, DraftSource, Entry, ImportFormat, ImportStatus, KbImport, Release, ReleaseEntry};
    let project_id = app.stores.primary.project_by_slug(&domain::ProjectSlug::parse(SLUG).unwrap()).await.unwrap().unwrap().id;
    let editor = app.stores.primary.user_by_email(&domain::Email::parse("editor@example.com").unwrap()).await.unwrap().unwrap();
    let now = services::clock::now_ms();
    let entry: Entry = serde_json::from_str(KB_ENTRY_JSON).unwrap();
    let release = Release {
        project_id: project_id.clone(),
        number: 1,
        created_by: editor.id.clone(),
        created_at_ms: now,
        summary: "Seeded".into(),
        entries: vec![ReleaseEntry::new(entry.clone(), 1)],
        rolled_back_to: None,
    };
    app.stores.primary.publish_release(&release, &[]).await.unwrap();
    let mut draft =
        Draft::new(SEEDED, project_id.clone(), DraftChange::Upsert(entry), Some(1), editor.id.clone(), DraftSource::Manual, now);
    draft.withdraw(now).unwrap();
    app.stores.primary.insert_drafts(&[draft]).await.unwrap();
    let import = KbImport {
        id: SEEDED.into(),
        project_id,
        format: ImportFormat::OpenApi,
        file_name: "matrix.json".into(),
        blob_key: "kb/matrix/source".into(),
        size_bytes: 2,
        status: ImportStatus::Failed,
        done: 0,
        total: 0,
        error: Some("seeded".into()),
        warnings: Vec::new(),
        result_blob_key: None,
        entries: 0,
        drafts_made: 0,
        created_by: editor.id,
        created_at_ms: now,
        updated_at_ms: now,
    };
    app.stores.primary.insert_kb_import(&import).await.unwrap();
}

/// A dataset, a test case with a run, and a suite with a run, all with the id `SEEDED`.
async fn seed_datasets_and_tests(app: &TestApp) {
    use domain::testcases::{CaseStatus, ModelTarget, RunStatus, Suite, SuiteRun, Target, TestCase, TestRun};
    let project_id = app.stores.primary.project_by_slug(&domain::ProjectSlug::parse(SLUG).unwrap()).await.unwrap().unwrap().id;
    let now = services::clock::now_ms();
    let dataset = domain::datasets::Dataset {
        id: SEEDED.into(),
        project_id: project_id.clone(),
        name: "Matrix ledger".into(),
        rows: 0,
        size_bytes: 0,
        created_by: None,
        created_at_ms: now,
        updated_at_ms: now,
    };
    app.stores.primary.insert_dataset(&dataset).await.unwrap();
    // An upload the editor started: 10 bytes, nothing received yet; its rejected rows are a file.
    let editor = app.stores.primary.user_by_email(&domain::Email::parse("editor@example.com").unwrap()).await.unwrap().unwrap();
    let import = domain::datasets::DatasetImport {
        id: SEEDED.into(),
        project_id: project_id.clone(),
        dataset_id: SEEDED.into(),
        mode: domain::datasets::ImportMode::Create,
        status: domain::datasets::ImportStatus::Uploading,
        file_name: "matrix.csv".into(),
        size_bytes: 10,
        chunk_size: 8 << 20,
        chunks_received: 0,
        bytes_received: 0,
        settings: serde_json::json!({}),
        mapping: None,
        preview: None,
        analytics_import_id: None,
        rows_read: 0,
        rows_accepted: 0,
        rows_rejected: 0,
        error: None,
        uploaded_by: Some(editor.id),
        created_at_ms: now,
        updated_at_ms: now,
        finished_at_ms: None,
    };
    app.stores.primary.insert_import(&import).await.unwrap();
    let csv = bytes::Bytes::from_static(b"row,column,reason\n");
    let body: services::ports::ByteStream = Box::pin(futures::stream::once(async move { Ok::<_, std::io::Error>(csv) }));
    app.stores.blob.put(&services::datasets::rejections_key(&import).unwrap(), body, Some("text/csv")).await.unwrap();
    let case = TestCase {
        id: SEEDED.into(),
        project_id: project_id.clone(),
        name: "Matrix case".into(),
        feature: String::new(),
        source_trace_id: None,
        target: Target::Model(ModelTarget {
            provider_key_id: None,
            model: "m".into(),
            system_prompt: String::new(),
            temperature: None,
            max_tokens: None,
        }),
        steps: Vec::new(),
        tags: Vec::new(),
        status: CaseStatus::Draft,
        version: 1,
        created_by: None,
        created_at_ms: now,
        updated_at_ms: now,
    };
    app.stores.primary.insert_case(&case, None).await.unwrap();
    let suite = Suite {
        id: SEEDED.into(),
        project_id: project_id.clone(),
        name: "Matrix suite".into(),
        description: String::new(),
        case_ids: vec![SEEDED.into()],
        created_at_ms: now,
        updated_at_ms: now,
    };
    app.stores.primary.insert_suite(&suite).await.unwrap();
    let suite_run = SuiteRun {
        id: SEEDED.into(),
        project_id: project_id.clone(),
        suite_id: SEEDED.into(),
        status: RunStatus::Success,
        total: 1,
        created_by: None,
        trigger: "ui".into(),
        created_at_ms: now,
        finished_at_ms: Some(now),
    };
    app.stores.primary.insert_suite_run(&suite_run).await.unwrap();
    let run = TestRun {
        id: SEEDED.into(),
        project_id,
        case_id: SEEDED.into(),
        case_version: 1,
        suite_run_id: Some(SEEDED.into()),
        status: RunStatus::Success,
        trace_id: TRACE.into(),
        prompt_fingerprint: None,
        steps: Vec::new(),
        error: None,
        created_by: None,
        created_at_ms: now,
        started_at_ms: Some(now),
        finished_at_ms: Some(now),
    };
    app.stores.primary.insert_run(&run).await.unwrap();
}

/// One span (trace `TRACE`, session `SESSION`) so the explorer's pages have something to show.
async fn seed_trace(app: &TestApp) {
    let project = app.stores.primary.project_by_slug(&domain::ProjectSlug::parse(SLUG).unwrap()).await.unwrap().unwrap();
    let start = services::clock::now_ms() as u64 * 1_000_000 - 60_000_000_000;
    let span = domain::traces::SpanRow {
        service_name: "matrix".into(),
        session_id: Some(SESSION.into()),
        input: Some("hello".into()),
        ..domain::traces::SpanRow::new(TRACE, SPAN, None, "matrix", start, 1_000_000)
    };
    app.stores.analytics.insert_spans(&test_support::pid(&project.id), &[span]).await.unwrap();
}

async fn client_for(app: &TestApp, who: Who) -> reqwest::Client {
    match who.email() {
        None => browser(app),
        Some(email) => sign_in(app, email, PASSWORD).await,
    }
}

#[test]
fn every_route_and_server_function_has_an_access_rule() {
    let listed: BTreeSet<String> = PAGES.iter().map(|(p, _)| p.to_string()).collect();
    let pages: BTreeSet<String> =
        leptos_axum::generate_route_list(app::App).iter().map(|r| r.path().replace(":slug", "{slug}")).filter(|p| !p.is_empty()).collect();
    let missing: Vec<_> = pages.iter().filter(|p| !listed.contains(*p)).collect();
    assert!(missing.is_empty(), "pages without an access rule in tests/access_matrix.rs: {missing:?}");

    let fns: Vec<String> = leptos::server_fn::axum::server_fn_paths().map(|(p, _)| p.to_owned()).collect();
    let unlisted: Vec<_> = fns.iter().filter(|p| server_fn_rule(p).is_none()).collect();
    assert!(unlisted.is_empty(), "server functions without an access rule: {unlisted:?}");
    assert_eq!(fns.len(), SERVER_FNS.len(), "every listed server function exists: {fns:?}");

    // Every route the server registers outside Leptos: forms, JSON routes and API-key routes.
    let served: BTreeSet<(&str, &str)> = elasticdash::http::route_table().iter().map(|r| (r.method, r.path)).collect();
    let mut ruled: BTreeSet<(&str, &str)> = FORMS.iter().map(|(p, _, _)| ("POST", *p)).collect();
    ruled.extend(JSON.iter().map(|(m, p, ..)| (*m, *p)));
    ruled.extend(KEY_ROUTES.iter().map(|(m, p, ..)| (*m, *p)));
    let unruled: Vec<_> = served.difference(&ruled).collect();
    assert!(unruled.is_empty(), "routes without an access rule in tests/access_matrix.rs: {unruled:?}");
    let gone: Vec<_> = ruled.difference(&served).collect();
    assert!(gone.is_empty(), "rules for routes the server does not serve: {gone:?}");
}

/// `/api/load_project1234…` → the row for `load_project`.
fn server_fn_rule(path: &str) -> Option<&'static Row> {
    let name = path.strip_prefix("/api/")?.trim_end_matches(|c: char| c.is_ascii_digit());
    SERVER_FNS.iter().find(|(n, _, _)| *n == name)
}

/// Denied: anonymous callers are sent to sign in (pages) or get 401; everyone else 403 or 404.
fn denied(who: Who, status: StatusCode, location: Option<&str>) -> bool {
    if who == Who::Anonymous {
        status == StatusCode::UNAUTHORIZED || (status == StatusCode::SEE_OTHER && location.is_some_and(|l| l.starts_with("/login")))
    } else {
        status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND
    }
}

#[tokio::test]
async fn pages_allow_exactly_their_callers() {
    let app = setup().await;
    let mut failures = Vec::new();
    for who in EVERYONE {
        let client = client_for(&app, who).await;
        for (path, rule) in PAGES {
            let res = client.get(app.url(&fill(path))).send().await.unwrap();
            let status = res.status();
            let location = res.headers().get("location").and_then(|l| l.to_str().ok());
            let ok = if allowed(*rule, who) { status == StatusCode::OK } else { denied(who, status, location) };
            if !ok {
                failures.push(format!("{who:?} GET {path} → {status} (rule {rule:?})"));
            }
        }
    }
    assert!(failures.is_empty(), "access leaks or wrong denials:\n{}", failures.join("\n"));
    app.shutdown().await;
}

#[tokio::test]
async fn json_routes_allow_exactly_their_callers() {
    let app = setup().await;
    let mut failures = Vec::new();
    for who in EVERYONE {
        let client = client_for(&app, who).await;
        for (method, path, rule, body, ok_status) in JSON {
            let mut req = client.request(method.parse().unwrap(), app.url(&fill(path)));
            req = match body {
                Body::Empty => req,
                Body::Json(j) => req.header("content-type", "application/json").body(*j),
                Body::Bytes(n) => req.header("content-type", "application/octet-stream").body(vec![b'x'; *n]),
            };
            let res = req.send().await.unwrap();
            let status = res.status();
            let location = res.headers().get("location").and_then(|l| l.to_str().ok()).map(str::to_owned);
            let ok = if allowed(*rule, who) { status.as_u16() == *ok_status } else { denied(who, status, location.as_deref()) };
            if !ok {
                let text: String = res.text().await.unwrap_or_default().chars().take(200).collect();
                failures.push(format!("{who:?} {method} {path} → {status} (rule {rule:?}): {text}"));
            }
        }
    }
    assert!(failures.is_empty(), "access leaks or wrong denials:\n{}", failures.join("\n"));
    // The seeded upload got no chunk from anyone (the wrong-sized ones were refused).
    let project = app.stores.primary.project_by_slug(&domain::ProjectSlug::parse(SLUG).unwrap()).await.unwrap().unwrap();
    let import = app.stores.primary.dataset_import(&test_support::pid(&project.id), SEEDED).await.unwrap().unwrap();
    assert_eq!((import.chunks_received, import.status), (0, domain::datasets::ImportStatus::Uploading));
    app.shutdown().await;
}

/// Callers of the API-key routes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum KeyCaller {
    NoKey,
    Malformed,
    OtherProject,
    ReadOnly,
    Ingest,
}

#[tokio::test]
async fn api_key_routes_allow_exactly_their_keys() {
    let app = setup().await;
    let owner = owner_ctx(&app, "owner@example.com").await;
    let store = app.stores.primary.as_ref();
    let key = |slug: &'static str, scope: &'static str| {
        let owner = owner.clone();
        async move {
            let k = services::api_keys::create(store, &owner, slug, scope, &[scope.to_owned()]).await.unwrap();
            format!("Bearer {}:{}", k.record.public_id, k.secret)
        }
    };
    let input = services::projects::ProjectInput { name: "Elsewhere".into(), slug: "elsewhere".into(), description: String::new() };
    services::projects::create(store, &owner, input).await.unwrap();
    let callers = [
        (KeyCaller::NoKey, None),
        (KeyCaller::Malformed, Some("Bearer pk-ed-nothing".to_owned())),
        (KeyCaller::OtherProject, Some(key("elsewhere", "ingest").await)),
        (KeyCaller::ReadOnly, Some(key(SLUG, "read").await)),
        (KeyCaller::Ingest, Some(key(SLUG, "ingest").await)),
    ];
    let mut failures = Vec::new();
    for (caller, auth) in &callers {
        for (method, path, rule, body, ok_status) in KEY_ROUTES {
            let mut req = app.client.request(method.parse().unwrap(), app.url(&fill(path)));
            if let Some(a) = auth {
                req = req.header("authorization", a);
            }
            if let Some((content_type, b)) = body {
                req = req.header("content-type", *content_type).body(*b);
            }
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let expected: &[u16] = match (rule, caller) {
                (KeyRule::Public, _) => &[*ok_status],
                (KeyRule::Scope { .. }, KeyCaller::NoKey | KeyCaller::Malformed) => &[401],
                (KeyRule::Scope { scopes, .. }, KeyCaller::ReadOnly) if !scopes.contains(&"read") => &[403],
                (KeyRule::Scope { scopes, .. }, KeyCaller::Ingest | KeyCaller::OtherProject) if !scopes.contains(&"ingest") => &[403],
                (KeyRule::Scope { scoped: true, .. }, KeyCaller::OtherProject) => &[404],
                _ => &[*ok_status],
            };
            if !expected.contains(&status) {
                let text: String = res.text().await.unwrap_or_default().chars().take(200).collect();
                failures.push(format!("{caller:?} {method} {path} → {status}, expected {expected:?}: {text}"));
            }
        }
    }
    assert!(failures.is_empty(), "API-key access leaks or wrong denials:\n{}", failures.join("\n"));
    app.shutdown().await;
}

async fn owner_ctx(app: &TestApp, email: &str) -> services::RequestContext {
    let user = app.stores.primary.user_by_email(&domain::Email::parse(email).unwrap()).await.unwrap().unwrap();
    services::RequestContext {
        actor: Some(services::Actor { user_id: user.id, email: user.email.to_string(), role: user.role }),
        ..Default::default()
    }
}

#[tokio::test]
async fn server_functions_allow_exactly_their_callers() {
    let app = setup().await;
    let paths: Vec<String> = leptos::server_fn::axum::server_fn_paths().map(|(p, _)| p.to_owned()).collect();
    let mut failures = Vec::new();
    for who in EVERYONE {
        let client = client_for(&app, who).await;
        for path in &paths {
            let (_, rule, args) = server_fn_rule(path).expect("listed (checked by the other test)");
            let res = client.post(app.url(path)).header("accept", "application/json").form(args).send().await.unwrap();
            let status = res.status();
            let ok = if allowed(*rule, who) {
                status == StatusCode::OK
            } else {
                [StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN, StatusCode::NOT_FOUND].contains(&status)
            };
            if !ok {
                failures.push(format!("{who:?} POST {path} → {status} (rule {rule:?}): {}", res.text().await.unwrap_or_default()));
            }
        }
    }
    assert!(failures.is_empty(), "access leaks or wrong denials:\n{}", failures.join("\n"));
    app.shutdown().await;
}

#[tokio::test]
async fn forms_allow_exactly_their_callers() {
    let app = setup().await;
    let mut failures = Vec::new();
    for who in EVERYONE {
        for (path, rule, args) in FORMS {
            // A fresh session per form: a sign-out must not spoil the next check.
            let client = client_for(&app, who).await;
            let res = client.post(app.url(&fill(path))).form(args).send().await.unwrap();
            let status = res.status();
            let mut last_message = String::new();
            let ok = if who == Who::Anonymous && !allowed(*rule, who) {
                status == StatusCode::UNAUTHORIZED
            } else if status != StatusCode::SEE_OTHER {
                false
            } else {
                let message = common::flash_after(&app, &client, res).await.to_lowercase();
                last_message = message.clone();
                let denied = message.contains("permission") || message.contains("project not found");
                denied != allowed(*rule, who)
            };
            if !ok {
                failures.push(format!("{who:?} POST {path} → {status} (rule {rule:?}) {}", last_message));
            }
        }
    }
    assert!(failures.is_empty(), "access leaks or wrong denials:\n{}", failures.join("\n"));
    let project = app.stores.primary.project_by_slug(&domain::ProjectSlug::parse(SLUG).unwrap()).await.unwrap();
    assert!(project.is_some_and(|p| p.name == "Matrix"), "the harmless inputs changed nothing");
    app.shutdown().await;
}
