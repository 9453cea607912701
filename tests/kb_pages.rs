//! The knowledge-base pages and their forms through a real server (embedded SQLite) and a
//! browser-like client: an editor drafts an operation (a JSON mistake is named), submits it, an
//! owner publishes it, it shows on the entries and entry pages; a second release changes and adds
//! entries; a save against an old version is refused, a rejection needs a comment; a rollback
//! publishes release 3 equal to release 1; the diff page shows the changes; an import previews
//! a file and re-importing it finds nothing new; analysts read everything and may change nothing.

mod common;

use common::{add_user, browser, flash_of, sign_in, spawn_app, TestApp, PASSWORD};
use domain::GlobalRole;
use reqwest::{Client, StatusCode};
use std::time::Duration;

const SLUG: &str = "shop";

/// Posts a form; returns where it redirects and the flash shown there.
async fn post(app: &TestApp, client: &Client, path: &str, form: &[(&str, &str)]) -> (String, String) {
    let res = client.post(app.url(path)).form(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "POST {path}");
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    let html = page(app, client, &to).await;
    (to, flash_of(&html))
}

async fn page(app: &TestApp, client: &Client, path: &str) -> String {
    let res = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "GET {path}");
    res.text().await.unwrap()
}

fn last_segment(path: &str) -> String {
    path.rsplit('/').next().unwrap().to_owned()
}

fn users_op(summary: &str) -> String {
    serde_json::json!({
        "kind": "api_operation",
        "method": "GET",
        "path": "/users/{id}",
        "summary": summary,
        "parameters": [{"name": "id", "location": "path", "required": true, "schema": {"type": "integer"}}],
        "responses": [{"status": "200", "description": "The user", "content": [{"content_type": "application/json", "schema": {
            "type": "object", "required": ["email"],
            "properties": {"email": {"type": "string", "description": "Where mail goes"}, "status": {"type": "string", "enum": ["active", "blocked"]}}
        }}]}]
    })
    .to_string()
}

const ORDERS: &str = r#"{"kind":"table","schema":"public","name":"orders","description":"What people bought.","columns":[{"name":"id","data_type":"bigint","nullable":false},{"name":"total","data_type":"numeric(12,2)"}],"primary_key":["id"]}"#;

/// Drafts `entry` as `who`, submits it; returns the draft's id.
async fn draft_and_submit(app: &TestApp, who: &Client, kind: &str, entry: &str) -> String {
    let (to, flash) =
        post(app, who, &format!("/projects/{SLUG}/kb/drafts"), &[("change", "upsert"), ("kind", kind), ("entry", entry)]).await;
    assert!(flash.starts_with("ok: Draft saved"), "{flash}");
    let id = last_segment(&to);
    let (_, flash) = post(app, who, &format!("/projects/{SLUG}/kb/drafts/{id}/submit"), &[]).await;
    assert!(flash.contains("submitted for review"), "{flash}");
    id
}

/// A multipart body with `format` and `file`.
fn multipart(format: &str, name: &str, content: &str) -> (String, Vec<u8>) {
    let boundary = "kbpagesboundary7d93";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"format\"\r\n\r\n{format}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n{content}\r\n--{boundary}--\r\n"
    );
    (format!("multipart/form-data; boundary={boundary}"), body.into_bytes())
}

/// Uploads `content` and waits for its preview; returns the import page's path and HTML.
async fn import(app: &TestApp, who: &Client, format: &str, name: &str, content: &str) -> (String, String) {
    let (content_type, body) = multipart(format, name, content);
    let res = who
        .post(app.url(&format!("/projects/{SLUG}/kb/imports/upload")))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with(&format!("/projects/{SLUG}/kb/imports/")), "{to}");
    for _ in 0..200 {
        let html = page(app, who, &to).await;
        if !html.contains("data-testid=\"kb-import-progress\"") {
            return (to, html);
        }
        assert!(html.contains("http-equiv=\"refresh\""), "a running import refreshes its page");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the import {to} was never read");
}

fn count(html: &str, testid: &str) -> String {
    let at = html.find(&format!("data-testid=\"{testid}\"")).unwrap_or_else(|| panic!("{testid} missing"));
    let rest = &html[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest[start..].find('<').unwrap() + start;
    rest[start..end].trim().to_owned()
}

#[tokio::test]
async fn drafts_are_reviewed_published_compared_rolled_back_and_imported_through_the_pages() {
    let app = spawn_app().await;
    for email in ["owner@example.com", "editor@example.com", "analyst@example.com"] {
        add_user(&app, email, GlobalRole::User).await;
    }
    let owner = sign_in(&app, "owner@example.com", PASSWORD).await;
    owner.post(app.url("/projects")).form(&[("name", "Shop"), ("slug", SLUG)]).send().await.unwrap();
    for (email, role) in [("editor@example.com", "editor"), ("analyst@example.com", "analyst")] {
        owner.post(app.url(&format!("/projects/{SLUG}/members"))).form(&[("email", email), ("role", role)]).send().await.unwrap();
    }
    let editor = sign_in(&app, "editor@example.com", PASSWORD).await;
    let analyst = sign_in(&app, "analyst@example.com", PASSWORD).await;
    let kb = format!("/projects/{SLUG}/kb");

    // The chooser links to the project's knowledge base; before any release, it says so.
    assert!(page(&app, &editor, "/knowledge-base").await.contains(&format!("href=\"{kb}\"")));
    let empty = page(&app, &editor, &kb).await;
    assert!(empty.contains("data-testid=\"no-release\"") && empty.contains("data-testid=\"new-api\""));
    let template = page(&app, &editor, &format!("{kb}/new?kind=table")).await;
    assert!(template.contains("&quot;columns&quot;") || template.contains("\"columns\""), "the new-table form has a template");

    // A JSON mistake is named, with where it is; nothing is drafted.
    let (to, flash) = post(
        &app,
        &editor,
        &format!("{kb}/drafts"),
        &[
            ("change", "upsert"),
            ("kind", "api_operation"),
            ("entry", "{\n\"method\": \"GET\",\n\"path\": }"),
            ("back", &format!("{kb}/new?kind=api_operation")),
        ],
    )
    .await;
    assert!(flash.starts_with("error: The entry is not valid JSON") && flash.contains("line 3"), "{flash}");
    assert_eq!(to, format!("{kb}/new?kind=api_operation"));

    // Release 1: one operation, drafted, submitted, published by the owner.
    let first = draft_and_submit(&app, &editor, "api_operation", &users_op("Get a user")).await;
    let review = page(&app, &owner, &format!("{kb}/drafts?list=review")).await;
    assert!(
        review.contains(&format!("value=\"{first}\"")) && review.contains("data-testid=\"kb-publish-form\""),
        "owners tick drafts to publish"
    );
    let (to, flash) = post(&app, &owner, &format!("{kb}/publish"), &[("draft", &first), ("summary", "")]).await;
    assert_eq!((to.as_str(), flash.as_str()), (kb.as_str(), "ok: Release 1 published: 1 added."));
    let entries = page(&app, &analyst, &kb).await;
    assert!(
        entries.contains("Release 1") && entries.contains("/users/{id}") && entries.contains("Get a user"),
        "the entries page lists it"
    );
    assert!(!entries.contains("data-testid=\"new-api\""), "analysts get no editing buttons");
    let entry_path = format!("{kb}/entry?kind=api_operation&key=GET%20%2Fusers%2F%7Bid%7D");
    let entry = page(&app, &analyst, &entry_path).await;
    assert!(
        entry.contains("data-testid=\"schema-tree\"") && entry.contains("Where mail goes") && entry.contains("blocked"),
        "schemas read as trees"
    );
    assert!(!entry.contains("data-testid=\"edit-as-draft\""));
    assert!(page(&app, &editor, &entry_path).await.contains("data-testid=\"edit-as-draft\""));

    // Release 2: the operation changed, a table added.
    let changed = draft_and_submit(&app, &editor, "api_operation", &users_op("Get one user by id")).await;
    let draft_page = page(&app, &owner, &format!("{kb}/drafts/{changed}")).await;
    assert!(
        draft_page.contains("data-testid=\"field-diff\"") && draft_page.contains("Get one user by id") && draft_page.contains("Get a user"),
        "the draft shows before and after"
    );
    let orders = draft_and_submit(&app, &editor, "table", ORDERS).await;
    let (_, flash) = post(
        &app,
        &owner,
        &format!("{kb}/publish"),
        &[("draft", &changed), ("draft", &orders), ("summary", "Orders and a better summary")],
    )
    .await;
    assert_eq!(flash, "ok: Release 2 published: 1 added, 1 changed.");
    let table = page(&app, &analyst, &format!("{kb}/entry?kind=table&key=public.orders")).await;
    assert!(table.contains("data-testid=\"kb-columns\"") && table.contains("numeric(12,2)"));

    // A save against an old version is refused with the conflict's message.
    let (to, _) =
        post(&app, &editor, &format!("{kb}/drafts"), &[("change", "upsert"), ("kind", "api_operation"), ("entry", &users_op("Third try"))])
            .await;
    let stale = last_segment(&to);
    let (_, flash) = post(&app, &editor, &format!("{kb}/drafts/{stale}"), &[("version", "1"), ("entry", &users_op("Fourth try"))]).await;
    assert!(flash.starts_with("ok: Draft of GET /users/{id} saved (version 2)"), "{flash}");
    let (_, flash) = post(&app, &editor, &format!("{kb}/drafts/{stale}"), &[("version", "1"), ("entry", &users_op("Fifth try"))]).await;
    assert!(flash.starts_with("error: Someone saved this draft after you opened it"), "{flash}");

    // A rejection needs a comment, which its author then reads.
    post(&app, &editor, &format!("{kb}/drafts/{stale}/submit"), &[]).await;
    let (_, flash) = post(&app, &owner, &format!("{kb}/drafts/{stale}/reject"), &[("comment", " ")]).await;
    assert!(flash.starts_with("error: Say why"), "{flash}");
    let (_, flash) = post(&app, &owner, &format!("{kb}/drafts/{stale}/reject"), &[("comment", "Too vague")]).await;
    assert!(flash.contains("rejected"), "{flash}");
    let rejected = page(&app, &editor, &format!("{kb}/drafts/{stale}")).await;
    assert!(rejected.contains("data-testid=\"kb-review-comment\"") && rejected.contains("Too vague"));
    assert!(page(&app, &editor, &format!("{kb}/drafts?list=mine")).await.contains(&stale), "the author's list has it");

    // Analysts may change nothing.
    for (path, form) in [
        (format!("{kb}/drafts"), vec![("change", "upsert"), ("kind", "table"), ("entry", ORDERS)]),
        (format!("{kb}/drafts/{stale}/submit"), vec![]),
        (format!("{kb}/publish"), vec![("draft", stale.as_str())]),
        (format!("{kb}/releases/1/rollback"), vec![]),
        (format!("{kb}/settings"), vec![("require_other_approver", "on")]),
    ] {
        let (_, flash) = post(&app, &analyst, &path, &form).await;
        assert!(flash.starts_with("error: You do not have permission"), "{path}: {flash}");
    }

    // The diff page shows what release 2 changed.
    let diff = page(&app, &analyst, &format!("{kb}/releases/diff?from=1&to=2")).await;
    assert!(diff.contains("data-testid=\"kb-added\"") && diff.contains("public.orders"), "added");
    assert!(diff.contains("data-testid=\"kb-changed\"") && diff.contains(">summary<"), "the changed field is named");

    // Roll back: release 3 has release 1's content.
    let (_, flash) = post(&app, &owner, &format!("{kb}/releases/1/rollback"), &[]).await;
    assert_eq!(flash, "ok: Release 3 published with the content of release 1.");
    let same = page(&app, &analyst, &format!("{kb}/releases/diff?from=1&to=3")).await;
    assert!(same.contains("data-testid=\"kb-no-diff\""), "release 3 equals release 1");
    let history = page(&app, &analyst, &format!("{kb}/releases")).await;
    assert!(history.contains("rolled back to 1") && history.contains("Orders and a better summary"));

    // An import previews the file against the knowledge base; the same file again finds nothing new.
    let openapi = r#"{"openapi":"3.0.3","info":{"title":"Shop","version":"1"},"paths":{"/users/{id}":{"get":{"summary":"Get a user","parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"integer"}}],"responses":{"200":{"description":"The user"}}}},"/orders":{"post":{"summary":"Place an order","responses":{"201":{"description":"Placed"}}}}}}"#;
    let (import_path, preview) = import(&app, &editor, "openapi", "shop.json", openapi).await;
    assert_eq!(count(&preview, "count-new"), "1", "POST /orders is new");
    assert_eq!(count(&preview, "count-changed"), "1", "GET /users/{{id}} differs from the file");
    assert!(preview.contains("data-testid=\"kb-apply-form\""));
    let chosen = [("choose", "api_operation|POST /orders"), ("choose", "api_operation|GET /users/{id}")];
    let (_, flash) = post(&app, &editor, &format!("{import_path}/apply"), &chosen).await;
    assert!(flash.starts_with("ok: 2 drafts made"), "{flash}");
    let mine = page(&app, &editor, &format!("{kb}/drafts?list=mine")).await;
    assert!(mine.contains("OpenAPI import") && mine.contains("/orders"));
    let imported: Vec<String> =
        mine.split("data-id=\"").skip(1).map(|s| s[..s.find('"').unwrap()].to_owned()).filter(|id| *id != stale).collect();
    assert_eq!(imported.len(), 2, "both imported drafts are listed");
    for id in &imported {
        post(&app, &editor, &format!("{kb}/drafts/{id}/submit"), &[]).await;
    }
    let publish: Vec<(&str, &str)> = imported.iter().map(|id| ("draft", id.as_str())).collect();
    let (_, flash) = post(&app, &owner, &format!("{kb}/publish"), &publish).await;
    assert_eq!(flash, "ok: Release 4 published: 1 added, 1 changed.");
    let (_, again) = import(&app, &editor, "openapi", "shop.json", openapi).await;
    assert!(
        count(&again, "count-new") == "0" && count(&again, "count-changed") == "0" && again.contains("data-testid=\"kb-import-nothing\""),
        "re-importing the same document changes nothing: new {}, changed {}",
        count(&again, "count-new"),
        count(&again, "count-changed")
    );

    // The search preview answers once an index is built (or says none is ready).
    let search = page(&app, &analyst, &format!("{kb}/search?q=user")).await;
    assert!(search.contains("data-testid=\"kb-answered-by\"") || search.contains("data-testid=\"kb-no-index\""));

    // Strangers see nothing.
    let stranger = browser(&app);
    let res = stranger.get(app.url(&kb)).send().await.unwrap();
    assert_ne!(res.status(), StatusCode::OK);
    app.shutdown().await;
}
