//! Personas through the forms (editors and owners change them, every member reads them,
//! validated, audited) and saved playground conversations through the service.

mod common;

use common::{add_user, flash_after, sign_in, spawn_app, TestApp, PASSWORD};
use domain::GlobalRole;
use reqwest::StatusCode;
use serde_json::json;
use services::{
    conversations::{self, ChatTurn, ConversationInput},
    personas,
    ports::{AuditEntry, AuditFilter, User},
    Actor, RequestContext, ServiceError,
};

const SLUG: &str = "persona-demo";
const OTHER: &str = "other-proj";

async fn post(app: &TestApp, client: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> String {
    let res = client.post(app.url(path)).form(form).send().await.unwrap();
    flash_after(app, client, res).await
}

async fn audit(app: &TestApp, action: &str) -> Vec<AuditEntry> {
    let filter = AuditFilter { action: Some(action.into()), ..Default::default() };
    app.stores.primary.list_audit(&filter, None, 100).await.unwrap()
}

fn ctx(user: &User) -> RequestContext {
    RequestContext {
        actor: Some(Actor { user_id: user.id.clone(), email: user.email.as_str().to_owned(), role: user.role }),
        ..Default::default()
    }
}

/// An owner (of two projects), an editor and an analyst of `SLUG`, and a stranger.
async fn world() -> (TestApp, Vec<User>) {
    let app = spawn_app().await;
    let mut users = Vec::new();
    for email in ["owner@example.com", "editor@example.com", "analyst@example.com", "stranger@example.com"] {
        users.push(add_user(&app, email, GlobalRole::User).await);
    }
    let owner = sign_in(&app, "owner@example.com", PASSWORD).await;
    for (name, slug) in [("Persona demo", SLUG), ("Other", OTHER)] {
        owner.post(app.url("/projects")).form(&[("name", name), ("slug", slug)]).send().await.unwrap();
    }
    for (email, role) in [("analyst@example.com", "analyst"), ("editor@example.com", "editor")] {
        owner.post(app.url(&format!("/projects/{SLUG}/members"))).form(&[("email", email), ("role", role)]).send().await.unwrap();
    }
    (app, users)
}

fn persona_form<'a>(name: &'a str, traits: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("name", name),
        ("description", "Runs a bakery; not technical."),
        ("goals", "Get a refund for a double charge"),
        ("tone", "curt"),
        ("language", "English"),
        ("traits", traits),
    ]
}

#[tokio::test]
async fn editors_create_change_and_delete_personas_that_members_read() {
    let (app, users) = world().await;
    let editor = sign_in(&app, "editor@example.com", PASSWORD).await;
    let path = format!("/projects/{SLUG}/personas");
    let html = editor.get(app.url(&path)).send().await.unwrap().text().await.unwrap();
    for part in [
        r#"action="/projects/persona-demo/personas""#,
        r#"name="name""#,
        r#"name="description""#,
        r#"name="goals""#,
        r#"name="tone""#,
        r#"name="language""#,
        r#"name="traits""#,
        "Create persona",
    ] {
        assert!(html.contains(part), "missing {part} in the personas page");
    }

    let msg = post(&app, &editor, &path, &persona_form(" Impatient Ian ", "impatient, skeptical,, Impatient ")).await;
    assert_eq!(msg, "ok: Persona “Impatient Ian” created.");
    let owner_ctx = ctx(&users[0]);
    let store = app.stores.primary.as_ref();
    let list = personas::list(store, &owner_ctx, SLUG).await.unwrap();
    assert_eq!(list.len(), 1);
    let ian = &list[0];
    assert_eq!(ian.traits, vec!["impatient".to_owned(), "skeptical".to_owned()]);
    assert!(ian.system_prompt().contains("Impatient Ian") && ian.system_prompt().contains("Your traits: impatient, skeptical"));
    let created = audit(&app, "persona.create").await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].record.actor_label, "editor@example.com");
    assert_eq!(created[0].record.new_value.as_ref().unwrap()["tone"], "curt");

    // Analysts read them, without forms, and cannot change them.
    let analyst = sign_in(&app, "analyst@example.com", PASSWORD).await;
    let page = analyst.get(app.url(&path)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Impatient Ian") && !html.contains("Create persona"));
    let msg = post(&app, &analyst, &path, &persona_form("Sneaky", "")).await;
    assert_eq!(msg, "error: You do not have permission to do this");
    let msg = post(&app, &analyst, &format!("{path}/{}/delete", ian.id), &[]).await;
    assert_eq!(msg, "error: You do not have permission to do this");
    // Strangers do not learn the project exists.
    let stranger = sign_in(&app, "stranger@example.com", PASSWORD).await;
    assert_eq!(post(&app, &stranger, &path, &persona_form("Sneaky", "")).await, "error: Project not found");
    assert_eq!(stranger.get(app.url(&path)).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(personas::get(store, &ctx(&users[3]), SLUG, &ian.id).await.err(), Some(ServiceError::NotFound("project")));
    assert_eq!(personas::list(store, &owner_ctx, SLUG).await.unwrap().len(), 1);

    // Edit, then delete.
    let msg = post(&app, &editor, &format!("{path}/{}", ian.id), &persona_form("Patient Ian", "patient")).await;
    assert_eq!(msg, "ok: Persona “Patient Ian” saved.");
    let changed = personas::get(store, &owner_ctx, SLUG, &ian.id).await.unwrap();
    assert_eq!(
        (changed.name.as_str(), changed.traits.clone(), changed.created_at_ms),
        ("Patient Ian", vec!["patient".to_owned()], ian.created_at_ms)
    );
    let updated = audit(&app, "persona.update").await;
    assert_eq!(updated[0].record.old_value.as_ref().unwrap()["name"], "Impatient Ian");
    assert_eq!(updated[0].record.new_value.as_ref().unwrap()["name"], "Patient Ian");
    // Another project's path does not reach it.
    let msg =
        post(&app, &sign_in(&app, "owner@example.com", PASSWORD).await, &format!("/projects/{OTHER}/personas/{}/delete", ian.id), &[])
            .await;
    assert_eq!(msg, "error: Persona not found");
    assert_eq!(post(&app, &editor, &format!("{path}/{}/delete", ian.id), &[]).await, "ok: Persona deleted.");
    assert!(personas::list(store, &owner_ctx, SLUG).await.unwrap().is_empty());
    assert_eq!(audit(&app, "persona.delete").await.len(), 1);
    app.shutdown().await;
}

#[tokio::test]
async fn hostile_personas_are_refused_with_a_reason_and_store_nothing() {
    let (app, users) = world().await;
    let editor = sign_in(&app, "editor@example.com", PASSWORD).await;
    let path = format!("/projects/{SLUG}/personas");
    let huge = "x".repeat(100_000);
    let many_traits = (0..30).map(|i| format!("t{i}")).collect::<Vec<_>>().join(",");
    let long_trait = "t".repeat(51);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (persona_form("", ""), "name has 1 to 80"),
        (persona_form(&huge, ""), "name has 1 to 80"),
        (persona_form("a\u{1b}[31m", ""), "name has 1 to 80"),
        (vec![("name", "Ada"), ("description", &huge)], "description has at most 2000"),
        (vec![("name", "Ada"), ("goals", "bell\u{7}")], "goals contains control"),
        (vec![("name", "Ada"), ("tone", &huge)], "tone has at most 200"),
        (persona_form("Ada", &many_traits), "at most 20 traits"),
        (persona_form("Ada", &long_trait), "trait has 1 to 50"),
    ];
    for (form, expected) in &cases {
        let msg = post(&app, &editor, &path, form).await;
        assert!(msg.starts_with("error: ") && msg.contains(expected), "{expected:?} not in {msg:?}");
    }
    let store = app.stores.primary.as_ref();
    assert!(personas::list(store, &ctx(&users[0]), SLUG).await.unwrap().is_empty(), "nothing half-written");
    assert!(audit(&app, "persona.create").await.is_empty());
    assert!(post(&app, &editor, &path, &persona_form("Ada", "")).await.starts_with("ok: "));
    assert_eq!(post(&app, &editor, &path, &persona_form("Ada", "")).await, "error: A persona with this name already exists");
    app.shutdown().await;
}

fn chat(persona_id: Option<String>) -> ConversationInput {
    ConversationInput {
        title: String::new(),
        provider_key_id: None,
        model: "gpt-4o-mini".into(),
        system_prompt: "Be brief.".into(),
        persona_id,
        messages: vec![
            ChatTurn { role: "user".into(), content: "PRIVATE-QUESTION about refunds".into() },
            ChatTurn { role: "assistant".into(), content: "PRIVATE-ANSWER".into() },
        ],
        params: json!({ "temperature": 0.2 }),
    }
}

#[tokio::test]
async fn conversations_are_saved_by_editors_read_by_members_and_audited_without_messages() {
    let (app, users) = world().await;
    let store = app.stores.primary.as_ref();
    let (owner, editor, analyst, stranger) = (ctx(&users[0]), ctx(&users[1]), ctx(&users[2]), ctx(&users[3]));
    let input = personas::PersonaInput { name: "Ada".into(), ..Default::default() };
    let ada = personas::create(store, &editor, SLUG, &input).await.unwrap();
    let elsewhere = personas::create(store, &owner, OTHER, &input).await.unwrap();

    let saved = conversations::save(store, &editor, SLUG, chat(Some(ada.id.clone()))).await.unwrap();
    assert_eq!(saved.title, "PRIVATE-QUESTION about refunds");
    assert_eq!(saved.created_by.as_deref(), Some(users[1].id.as_str()));
    let list = conversations::list(store, &analyst, SLUG).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].turns, list[0].model.as_str()), (2, "gpt-4o-mini"));
    assert_eq!(conversations::get(store, &analyst, SLUG, &saved.id).await.unwrap(), saved);

    assert_eq!(conversations::save(store, &analyst, SLUG, chat(None)).await.err(), Some(ServiceError::Forbidden));
    assert_eq!(conversations::list(store, &stranger, SLUG).await.err(), Some(ServiceError::NotFound("project")));
    assert_eq!(conversations::get(store, &owner, OTHER, &saved.id).await.err(), Some(ServiceError::NotFound("conversation")));
    // References must be the project's own.
    let foreign = conversations::save(store, &editor, SLUG, chat(Some(elsewhere.id.clone()))).await;
    assert_eq!(foreign.err(), Some(ServiceError::NotFound("persona")));
    let unknown_key = ConversationInput { provider_key_id: Some("no-such-key".into()), ..chat(None) };
    assert_eq!(conversations::save(store, &editor, SLUG, unknown_key).await.err(), Some(ServiceError::NotFound("provider key")));
    let bad = ConversationInput { messages: vec![ChatTurn { role: "system".into(), content: "x".into() }], ..chat(None) };
    assert!(matches!(conversations::save(store, &editor, SLUG, bad).await, Err(ServiceError::Invalid(_))));
    assert_eq!(conversations::list(store, &owner, SLUG).await.unwrap().len(), 1, "nothing half-written");

    let trail = audit(&app, "conversation.create").await;
    assert_eq!(trail.len(), 1);
    let text = serde_json::to_string(&trail[0].record).unwrap();
    assert!(!text.contains("PRIVATE-ANSWER") && !text.contains("Be brief"), "{text}");
    assert_eq!(trail[0].record.new_value.as_ref().unwrap()["turns"], 2);

    assert_eq!(conversations::delete(store, &analyst, SLUG, &saved.id).await.err(), Some(ServiceError::Forbidden));
    conversations::delete(store, &editor, SLUG, &saved.id).await.unwrap();
    assert!(conversations::list(store, &owner, SLUG).await.unwrap().is_empty());
    assert_eq!(audit(&app, "conversation.delete").await.len(), 1);
    app.shutdown().await;
}
