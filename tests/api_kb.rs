//! The knowledge base end to end on a started server with its worker: an OpenAPI file and a
//! DDL script uploaded through the import form, parsed by the job into a preview, applied as
//! drafts, reviewed and published; the release indexed by its job and searched through the
//! public API with an API key (`read` scope); re-import changes nothing; rollback; export that
//! imports back to the same entries; hostile files end as failed imports with a reason.

mod common;

use common::{add_user, sign_in, spawn_app, TestApp, PASSWORD};
use domain::{
    kb::{EntryKey, EntryKind, ImportStatus, IndexStatus},
    GlobalRole, ProjectRole,
};
use reqwest::{multipart, Client, StatusCode};
use serde_json::{json, Value};
use services::{
    kb::{drafts, imports, releases},
    projects::{self, ProjectInput},
    Actor, RequestContext,
};
use std::time::Duration;

const SLUG: &str = "shop";

const SPEC: &str = r##"
openapi: 3.0.3
info: {title: Shop, version: "1"}
paths:
  /orders:
    get:
      summary: List orders
      tags: [orders]
      parameters:
        - {name: status, in: query, schema: {type: string, enum: [open, shipped]}}
      responses:
        "200":
          description: The orders
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Order"}}
    post:
      summary: Place an order
      tags: [orders]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Order"}
      responses:
        "201": {description: Created}
  /orders/{id}/refund:
    post:
      summary: Refund an order
      description: Sends the money back to the customer's card.
      tags: [payments]
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}}
      responses:
        "202": {description: Refund started}
components:
  schemas:
    Order:
      type: object
      required: [id]
      properties:
        id: {type: integer}
        total: {type: number}
        lines: {type: array, items: {$ref: "#/components/schemas/Order"}}
"##;

const DDL: &str = "
CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL);
CREATE TABLE invoices (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers(id), total numeric(12,2));
COMMENT ON TABLE invoices IS 'Bills sent to customers';
";

struct World {
    app: TestApp,
    owner: Client,
    editor: Client,
    owner_ctx: RequestContext,
    editor_ctx: RequestContext,
    key: String,
}

fn ctx(user: &services::ports::User) -> RequestContext {
    RequestContext {
        actor: Some(Actor { user_id: user.id.clone(), email: user.email.as_str().to_owned(), role: user.role }),
        ..Default::default()
    }
}

async fn world() -> World {
    let app = spawn_app().await;
    let owner = add_user(&app, "owner@example.com", GlobalRole::User).await;
    let editor = add_user(&app, "editor@example.com", GlobalRole::User).await;
    let store = app.stores.primary.as_ref();
    let input = ProjectInput { name: "Shop".into(), slug: SLUG.into(), description: String::new() };
    let project = projects::create(store, &ctx(&owner), input).await.unwrap();
    store.set_member(&test_support::pid(&project.id), &editor.id, ProjectRole::Editor, services::clock::now_ms()).await.unwrap();
    let created = services::api_keys::create(store, &ctx(&owner), SLUG, "agents", &["read".to_owned()]).await.unwrap();
    let key = format!("{}:{}", created.record.public_id, created.secret);
    World {
        owner: sign_in(&app, "owner@example.com", PASSWORD).await,
        editor: sign_in(&app, "editor@example.com", PASSWORD).await,
        owner_ctx: ctx(&owner),
        editor_ctx: ctx(&editor),
        key,
        app,
    }
}

/// Upload through the import form; returns the import id (from the redirect).
async fn upload(w: &World, format: &str, name: &str, body: Vec<u8>) -> String {
    let form =
        multipart::Form::new().text("format", format.to_owned()).part("file", multipart::Part::bytes(body).file_name(name.to_owned()));
    let res = w.editor.post(w.app.url(&format!("/projects/{SLUG}/kb/imports/upload"))).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    to.rsplit('/').next().unwrap().to_owned()
}

async fn settled(w: &World, id: &str) -> imports::ImportPreview {
    for _ in 0..200 {
        let p = imports::preview(&w.app.stores, &w.editor_ctx, SLUG, id).await.unwrap();
        if !p.import.status.is_active() {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("import {id} did not finish");
}

async fn index_ready(w: &World, release: u64) {
    let project = w.app.stores.primary.project_by_slug(&domain::ProjectSlug::parse(SLUG).unwrap()).await.unwrap().unwrap();
    for _ in 0..200 {
        if let Some(r) = w.app.stores.primary.kb_index(&test_support::pid(&project.id), release).await.unwrap() {
            assert_ne!(r.status, IndexStatus::Failed, "{:?}", r.error);
            if r.status == IndexStatus::Ready {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("index of release {release} not built");
}

async fn search(w: &World, body: Value) -> (StatusCode, Value) {
    let res = w.app.client.post(w.app.url("/api/public/kb/search")).bearer_auth(&w.key).json(&body).send().await.unwrap();
    (res.status(), res.json().await.unwrap())
}

async fn mcp(w: &World, message: Value) -> Value {
    let res = w
        .app
        .client
        .post(w.app.url("/mcp"))
        .bearer_auth(&w.key)
        .header("accept", "application/json, text/event-stream")
        .json(&message)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{message}");
    res.json().await.unwrap()
}

/// Apply every new and changed entry, submit the drafts, publish them as the owner.
async fn apply_and_publish(w: &World, id: &str) -> u64 {
    let p = settled(w, id).await;
    let diff = p.diff.expect("a preview");
    let chosen: Vec<EntryKey> = diff.added.iter().map(|e| e.key()).chain(diff.changed.iter().map(|c| c.key.clone())).collect();
    let made = imports::apply(&w.app.stores, &w.editor_ctx, SLUG, id, &chosen, &[]).await.unwrap();
    assert_eq!(made, chosen.len());
    let store = w.app.stores.primary.as_ref();
    let (_, mine) = drafts::list(store, &w.editor_ctx, SLUG, drafts::DraftList::Mine, 0).await.unwrap();
    let mut ids = Vec::new();
    for d in mine {
        drafts::submit(store, &w.editor_ctx, SLUG, &d.id).await.unwrap();
        ids.push(d.id);
    }
    releases::publish(store, &w.owner_ctx, SLUG, &ids, "").await.unwrap().number
}

/// A provider key of the project on a started fake vendor (OpenAI wire format), made through
/// the owner's form: the vendor (keep it alive), the project id and the key's id.
async fn fake_vendor_key(w: &World, name: &str) -> (fake_llm::FakeLlm, services::ports::ProjectId, String) {
    let fake = fake_llm::FakeLlm::start(([127, 0, 0, 1], 0).into()).await.unwrap();
    let base_url = fake.openai_base_url();
    let form = [
        ("name", name),
        ("vendor", "openai"),
        ("base_url", base_url.as_str()),
        ("api_key", "sk-good-key-123"),
        ("default_model", "gpt-4o-mini"),
    ];
    let res = w.owner.post(w.app.url(&format!("/projects/{SLUG}/providers"))).form(&form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let project = w.app.stores.primary.project_by_slug(&domain::ProjectSlug::parse(SLUG).unwrap()).await.unwrap().unwrap();
    let pid = test_support::pid(&project.id);
    let key =
        w.app.stores.primary.list_provider_keys(Some(&pid)).await.unwrap().into_iter().find(|k| k.name == name).expect("the key is saved");
    (fake, pid, key.id)
}

#[tokio::test]
async fn openapi_and_ddl_become_a_searchable_release_through_review() {
    let w = world().await;
    let id = upload(&w, "openapi", "shop.yaml", SPEC.as_bytes().to_vec()).await;
    let p = settled(&w, &id).await;
    assert_eq!(p.import.status, ImportStatus::Ready, "{:?}", p.import.error);
    assert_eq!(p.import.entries, 3);
    assert_eq!(p.diff.as_ref().unwrap().added.len(), 3, "all new before the first release");
    assert_eq!(apply_and_publish(&w, &id).await, 1);

    let id = upload(&w, "ddl_postgres", "schema.sql", DDL.as_bytes().to_vec()).await;
    assert_eq!(apply_and_publish(&w, &id).await, 2);
    index_ready(&w, 2).await;

    // Agents search it with an API key; the release that answered is named.
    let (status, found) = search(&w, json!({"query": "how do I give a customer their money back", "k": 3})).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["release"], 2);
    assert_eq!(found["hits"][0]["key"]["name"], "POST /orders/{id}/refund", "{found}");
    let (_, tables) = search(&w, json!({"query": "which table stores bills", "kinds": ["table"]})).await;
    assert_eq!(tables["hits"][0]["key"]["name"], "public.invoices", "{tables}");
    let (status, bad) = search(&w, json!({"query": "x", "kinds": ["spreadsheet"]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert!(bad["error"]["message"].as_str().unwrap().contains("spreadsheet"), "{bad}");
    let res = w.app.client.post(w.app.url("/api/public/kb/search")).json(&json!({"query": "x"})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let latest: Value =
        w.app.client.get(w.app.url("/api/public/kb/releases/latest")).bearer_auth(&w.key).send().await.unwrap().json().await.unwrap();
    assert_eq!((latest["release"].as_u64(), latest["entries"].as_array().unwrap().len()), (Some(2), 5));

    // The same through the MCP server, as an agent's client speaks it.
    let init = mcp(
        &w,
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}}),
    )
    .await;
    assert_eq!(init["result"]["protocolVersion"], "2025-06-18", "{init}");
    let res = w
        .app
        .client
        .post(w.app.url("/mcp"))
        .bearer_auth(&w.key)
        .json(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let listed = mcp(&w, json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})).await;
    let names: Vec<&str> = listed["result"]["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["search_kb", "get_api_operation", "get_table"]);
    let found = mcp(
        &w,
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": {"name": "search_kb", "arguments": {"query": "refund a customer's card"}}}),
    )
    .await;
    assert_eq!(found["result"]["structuredContent"]["hits"][0]["key"]["name"], "POST /orders/{id}/refund", "{found}");
    let op = mcp(
        &w,
        json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call",
        "params": {"name": "get_api_operation", "arguments": {"method": "get", "path": "/orders"}}}),
    )
    .await;
    assert_eq!(op["result"]["structuredContent"]["entry"]["summary"], "List orders", "{op}");
    let table = mcp(
        &w,
        json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call",
        "params": {"name": "get_table", "arguments": {"name": "invoices"}}}),
    )
    .await;
    assert_eq!(table["result"]["structuredContent"]["entry"]["description"], "Bills sent to customers", "{table}");
    let missing = mcp(
        &w,
        json!({"jsonrpc": "2.0", "id": 6, "method": "tools/call",
        "params": {"name": "get_table", "arguments": {"name": "nope"}}}),
    )
    .await;
    assert_eq!(missing["result"]["isError"], true);
    let unknown = mcp(&w, json!({"jsonrpc": "2.0", "id": 7, "method": "resources/list"})).await;
    assert_eq!(unknown["error"]["code"], -32601);
    let res = w.app.client.post(w.app.url("/mcp")).json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "no key, no tools");

    // The same document again: nothing new, nothing changed, nothing to draft.
    let again = upload(&w, "openapi", "shop.yaml", SPEC.as_bytes().to_vec()).await;
    let diff = settled(&w, &again).await.diff.unwrap();
    assert!(diff.added.is_empty() && diff.changed.is_empty(), "{diff:?}");
    assert_eq!(diff.unchanged.len(), 3);
    assert!(imports::apply(&w.app.stores, &w.editor_ctx, SLUG, &again, &[], &[]).await.is_err());

    // Export → import is stable.
    let exported = w.owner.get(w.app.url(&format!("/projects/{SLUG}/kb/export.openapi.json"))).send().await.unwrap();
    assert_eq!(exported.status(), StatusCode::OK);
    let round = upload(&w, "openapi", "export.json", exported.bytes().await.unwrap().to_vec()).await;
    let diff = settled(&w, &round).await.diff.unwrap();
    assert!(diff.is_empty(), "export then import changed: {diff:?}");
    let sql =
        w.owner.get(w.app.url(&format!("/projects/{SLUG}/kb/export.sql?dialect=postgres"))).send().await.unwrap().bytes().await.unwrap();
    let round = upload(&w, "ddl_postgres", "export.sql", sql.to_vec()).await;
    assert!(settled(&w, &round).await.diff.unwrap().is_empty());

    // Rolling back to release 1 is release 3 with release 1's content, indexed again.
    let store = w.app.stores.primary.as_ref();
    let r3 = releases::rollback(store, &w.owner_ctx, SLUG, 1).await.unwrap();
    assert_eq!((r3.number, r3.rolled_back_to, r3.entries.len()), (3, Some(1), 3));
    index_ready(&w, 3).await;
    let (_, after) = search(&w, json!({"query": "invoices", "kinds": ["table"]})).await;
    assert_eq!((after["release"].as_u64(), after["hits"].as_array().unwrap().len()), (Some(3), 0), "{after}");
    let (_, d) = releases::diff(store, &w.owner_ctx, SLUG, 2, 3).await.unwrap();
    assert_eq!((d.removed.len(), d.added.len()), (2, 0));
    w.app.shutdown().await;
}

#[tokio::test]
async fn reviews_follow_the_roles_and_a_stale_save_is_a_conflict() {
    let w = world().await;
    let store = w.app.stores.primary.as_ref();
    let id = upload(&w, "openapi", "shop.yaml", SPEC.as_bytes().to_vec()).await;
    apply_and_publish(&w, &id).await;
    let key = EntryKey { kind: EntryKind::ApiOperation, name: "GET /orders".into() };
    let (_, active, _) = releases::entry(store, &w.editor_ctx, SLUG, &key).await.unwrap();
    let mut entry = active.unwrap().entry;
    if let domain::kb::Entry::ApiOperation(op) = &mut entry {
        op.summary = "List the customer's orders".into();
    }
    let d = drafts::create(store, &w.editor_ctx, SLUG, domain::kb::DraftChange::Upsert(entry.clone())).await.unwrap();
    drafts::edit(store, &w.editor_ctx, SLUG, &d.id, d.version, domain::kb::DraftChange::Upsert(entry.clone())).await.unwrap();
    let stale = drafts::edit(store, &w.owner_ctx, SLUG, &d.id, d.version, domain::kb::DraftChange::Upsert(entry)).await;
    assert_eq!(stale.unwrap_err().code(), "conflict");
    // Editors cannot publish; the owner rejects with a comment, the editor resubmits.
    drafts::submit(store, &w.editor_ctx, SLUG, &d.id).await.unwrap();
    assert_eq!(releases::publish(store, &w.editor_ctx, SLUG, std::slice::from_ref(&d.id), "").await.unwrap_err().code(), "forbidden");
    assert!(drafts::reject(store, &w.owner_ctx, SLUG, &d.id, "").await.is_err(), "a rejection needs a comment");
    drafts::reject(store, &w.owner_ctx, SLUG, &d.id, "Say whose orders").await.unwrap();
    drafts::submit(store, &w.editor_ctx, SLUG, &d.id).await.unwrap();
    let r = releases::publish(store, &w.owner_ctx, SLUG, std::slice::from_ref(&d.id), "Clearer summary").await.unwrap();
    assert_eq!((r.number, r.summary.as_str()), (2, "Clearer summary"));
    let trail = store.list_audit(&services::ports::AuditFilter::default(), None, 500).await.unwrap();
    for action in ["kb.import.start", "kb.draft.import", "kb.draft.edit", "kb.draft.submit", "kb.draft.reject", "kb.release.publish"] {
        assert!(trail.iter().any(|e| e.record.action == action), "{action} audited");
    }
    w.app.shutdown().await;
}

#[tokio::test]
async fn hostile_files_fail_with_a_reason_and_make_nothing() {
    let w = world().await;
    let bomb = "a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
    let cycle =
        r##"{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{"/a":{"$ref":"#/paths/~1b"},"/b":{"$ref":"#/paths/~1a"}}}"##;
    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        ("openapi", "bomb.yaml", bomb.as_bytes().to_vec()),
        ("openapi", "report.yaml", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n".to_vec()),
        ("openapi", "latin1.json", b"{\"openapi\": \"3.0.0\", \"info\": {\"title\": \"caf\xe9\"}}".to_vec()),
        ("openapi", "cycle.json", cycle.as_bytes().to_vec()),
        ("openapi", "deep.json", format!("{}{}", "[".repeat(1000), "]".repeat(1000)).into_bytes()),
        ("openapi", "not-openapi.json", b"{\"hello\": \"world\"}".to_vec()),
        ("ddl_postgres", "garbage.sql", b"CREATE TABLE (((;".to_vec()),
    ];
    for (format, name, body) in cases {
        let id = upload(&w, format, name, body).await;
        let p = settled(&w, &id).await;
        assert_eq!(p.import.status, ImportStatus::Failed, "{name} should fail");
        let why = p.import.error.unwrap_or_default();
        assert!(!why.is_empty() && why.len() < 2_000, "{name}: {why}");
    }
    // Too large for the form: refused before anything is stored.
    let big = vec![b' '; imports::MAX_FILE_BYTES + 10];
    let form = multipart::Form::new().text("format", "openapi").part("file", multipart::Part::bytes(big).file_name("big.json"));
    let before = imports::list(&w.app.stores, &w.owner_ctx, SLUG).await.unwrap().1.len();
    let res = w.editor.post(w.app.url(&format!("/projects/{SLUG}/kb/imports/upload"))).multipart(form).send().await.unwrap();
    let flash = common::flash_after(&w.app, &w.editor, res).await;
    assert!(flash.contains("at most 50 MiB"), "{flash}");
    assert_eq!(imports::list(&w.app.stores, &w.owner_ctx, SLUG).await.unwrap().1.len(), before, "no import was made");
    let (_, drafts) = drafts::list(w.app.stores.primary.as_ref(), &w.owner_ctx, SLUG, drafts::DraftList::All, 0).await.unwrap();
    assert!(drafts.is_empty(), "nothing half-imported");
    w.app.shutdown().await;
}

/// The official MCP Python SDK as the client (needs `ED_TEST_OTEL_PYTHON`: the test venv, which
/// has `mcp`; scripts/install-tools.sh --for test makes it, scripts/test.sh exports it).
#[tokio::test]
async fn a_real_mcp_client_uses_the_tools() {
    let python = std::env::var("ED_TEST_OTEL_PYTHON")
        .unwrap_or_else(|_| panic!("ED_TEST_OTEL_PYTHON is not set: run scripts/install-tools.sh --for test (scripts/test.sh sets it)"));
    let w = world().await;
    let id = upload(&w, "openapi", "shop.yaml", SPEC.as_bytes().to_vec()).await;
    let release = apply_and_publish(&w, &id).await;
    index_ready(&w, release).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/mcp_search_kb.py");
    let out = tokio::process::Command::new(&python)
        .arg(script)
        .env("ED_MCP_URL", w.app.url("/mcp"))
        .env("ED_API_KEY", &w.key)
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the MCP client failed ({}):\nstdout: {stdout}\nstderr: {stderr}", out.status);
    let seen: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("the client prints JSON");
    assert_eq!(seen["server"], "elasticdash-kb");
    assert_eq!(seen["tools"], json!(["search_kb", "get_api_operation", "get_table"]));
    assert!(seen["search"].as_str().unwrap().contains("POST /orders/{id}/refund"), "{seen}");
    assert_eq!((seen["search_error"].as_bool(), seen["missing_error"].as_bool()), (Some(false), Some(true)));
    assert!(seen["operation"].as_str().unwrap().contains("List orders"), "{seen}");
    w.app.shutdown().await;
}

/// The KB feeds the rest of the product: a playground turn with "ground on the KB" gets the
/// nearest entries in its system prompt (named in the stream's start event and visible in the
/// span's input), and the AI test-generation prompt names the entries nearest to the traces.
#[tokio::test]
async fn the_playground_and_test_generation_are_grounded_on_the_active_release() {
    use domain::personas::ChatTurn;
    use domain::playground::{event, ChatCall, SseParser, StreamStart};
    use futures::StreamExt;

    let w = world().await;
    let spec = upload(&w, "openapi", "shop.yaml", SPEC.as_bytes().to_vec()).await;
    assert_eq!(apply_and_publish(&w, &spec).await, 1);
    index_ready(&w, 1).await;

    let (_fake, pid, key_id) = fake_vendor_key(&w, "Fake OpenAI").await;

    let turn = |ground: bool| ChatCall {
        key_id: key_id.clone(),
        system_prompt: "You help the shop's support team.".into(),
        messages: vec![ChatTurn { role: "user".into(), content: "How do I refund an order?".into() }],
        ground_on_kb: ground,
        ..ChatCall::default()
    };
    let start_of = |call: ChatCall| {
        let (w, url) = (&w, w.app.url(&format!("/projects/{SLUG}/playground/chat")));
        async move {
            let res = w.owner.post(url).json(&call).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            let (mut parser, mut events, mut body) = (SseParser::default(), Vec::new(), res.bytes_stream());
            while let Some(chunk) = body.next().await {
                events.extend(parser.push(&chunk.unwrap()));
            }
            assert_eq!(events.last().map(|e| e.event.as_str()), Some(event::DONE), "{events:?}");
            serde_json::from_str::<StreamStart>(&events[0].data).unwrap()
        }
    };

    let grounded = start_of(turn(true)).await;
    let g = grounded.grounded.clone().expect("the start event says what grounded the turn");
    assert_eq!(g.release, Some(1));
    assert_eq!(g.entries.first().map(String::as_str), Some("POST /orders/{id}/refund"), "{g:?}");
    let plain = start_of(turn(false)).await;
    assert_eq!(plain.grounded, None, "no grounding unless asked");

    // The span shows the system prompt the model really got.
    let span_input = |trace_id: String| {
        let (w, pid) = (&w, pid.clone());
        async move {
            for _ in 0..200 {
                if let Some(s) = w.app.stores.analytics.trace_spans(&pid, &trace_id).await.unwrap().into_iter().next() {
                    return s.input.unwrap_or_default();
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            panic!("no span for {trace_id}");
        }
    };
    let with_kb = span_input(grounded.trace_id).await;
    assert!(with_kb.contains("Knowledge base of the system under test (release 1)"), "{with_kb}");
    assert!(with_kb.contains("POST /orders/{id}/refund"), "{with_kb}");
    assert!(with_kb.contains("You help the shop"), "the person's system prompt comes first: {with_kb}");
    let without = span_input(plain.trace_id).await;
    assert!(!without.contains("Knowledge base"), "{without}");

    // Test generation: the prompt shown on the page names the entries nearest to the traces
    // (the two playground turns asked about refunds).
    let page = w.editor.get(w.app.url(&format!("/projects/{SLUG}/tests/generate"))).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Knowledge base of the system under test (release 1)"), "the generation prompt has the KB section");
    assert!(html.contains("POST /orders/{id}/refund"));
    w.app.shutdown().await;
}

/// Vector search: once an owner names an embedding key and model, the active release is
/// re-indexed with embeddings (through the fake vendor's real OpenAI embeddings endpoint) and
/// searches rank hybrid, finding a misspelt question words alone miss. A model the vendor
/// refuses leaves a lexical index that says why; turning it off goes back to words only.
#[tokio::test]
async fn an_embedding_key_gives_the_index_a_vector_side_and_search_ranks_hybrid() {
    let w = world().await;
    let spec = upload(&w, "openapi", "shop.yaml", SPEC.as_bytes().to_vec()).await;
    assert_eq!(apply_and_publish(&w, &spec).await, 1);
    index_ready(&w, 1).await;
    let misspelt = json!({"query": "refnd an ordr", "k": 3});
    let (status, lexical) = search(&w, misspelt.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(lexical["ranking"], "lexical");
    assert_eq!(lexical["hits"].as_array().unwrap().len(), 0, "words alone miss a misspelt question: {lexical}");

    let (_fake, pid, key_id) = fake_vendor_key(&w, "Embedder").await;
    let set = |key: &str, model: &str, who: &Client| {
        let url = w.app.url(&format!("/projects/{SLUG}/kb/embeddings"));
        who.post(url).form(&[("key_id", key.to_owned()), ("model", model.to_owned())]).send()
    };

    // Editors may not change it; the owner may.
    assert_eq!(set(&key_id, "text-embedding-3-small", &w.editor).await.unwrap().status(), StatusCode::SEE_OTHER);
    assert_eq!(w.app.stores.primary.kb_settings(&pid).await.unwrap().embedding_key_id, None, "an editor changed nothing");
    assert_eq!(set(&key_id, "text-embedding-3-small", &w.owner).await.unwrap().status(), StatusCode::SEE_OTHER);
    index_ready(&w, 1).await;
    let record = w.app.stores.primary.kb_index(&pid, 1).await.unwrap().unwrap();
    assert_eq!((record.vector_model.as_deref(), record.dimensions), (Some("text-embedding-3-small"), Some(256)), "{record:?}");
    let (_, hybrid) = search(&w, misspelt.clone()).await;
    assert_eq!(hybrid["ranking"], "hybrid");
    assert_eq!(hybrid["hits"][0]["key"]["name"], "POST /orders/{id}/refund", "{hybrid}");
    let page = w.owner.get(w.app.url(&format!("/projects/{SLUG}/kb/search?q=refnd+an+ordr"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("hybrid ranking") && page.contains("text-embedding-3-small, 256 dimensions"), "the page says how it ranked");

    // A model the vendor refuses: the index is built lexically and says why.
    assert_eq!(set(&key_id, "missing-embedder", &w.owner).await.unwrap().status(), StatusCode::SEE_OTHER);
    index_ready(&w, 1).await;
    let record = w.app.stores.primary.kb_index(&pid, 1).await.unwrap().unwrap();
    assert_eq!(record.vector_model, None);
    assert!(record.error.as_deref().unwrap_or_default().contains("no vector search for this release"), "{record:?}");
    assert_eq!(search(&w, misspelt.clone()).await.1["ranking"], "lexical");

    // A key of no one's: refused with the form's message, nothing changed.
    assert_eq!(set("no-such-key", "text-embedding-3-small", &w.owner).await.unwrap().status(), StatusCode::SEE_OTHER);
    assert_eq!(w.app.stores.primary.kb_settings(&pid).await.unwrap().embedding_model, "missing-embedder");

    // Off again: words only.
    assert_eq!(set("", "", &w.owner).await.unwrap().status(), StatusCode::SEE_OTHER);
    index_ready(&w, 1).await;
    assert_eq!(w.app.stores.primary.kb_index(&pid, 1).await.unwrap().unwrap().vector_model, None);
    assert_eq!(search(&w, misspelt).await.1["ranking"], "lexical");
    w.app.shutdown().await;
}

/// A draft whose entry was changed by another release goes stale: publishing it is refused, and
/// its author saves it onto the current entry through the edit form (naming the revision they
/// compared against; a revision that moved again is a conflict), then it publishes.
#[tokio::test]
async fn a_stale_draft_is_saved_onto_the_current_entry_and_then_publishes() {
    let w = world().await;
    let store = w.app.stores.primary.as_ref();
    let id = upload(&w, "openapi", "shop.yaml", SPEC.as_bytes().to_vec()).await;
    assert_eq!(apply_and_publish(&w, &id).await, 1);
    let key = EntryKey { kind: EntryKind::ApiOperation, name: "POST /orders".into() };
    let (_, active, _) = releases::entry(store, &w.editor_ctx, SLUG, &key).await.unwrap();
    let base = active.unwrap();
    let with_summary = |summary: &str| {
        let mut e = base.entry.clone();
        if let domain::kb::Entry::ApiOperation(op) = &mut e {
            op.summary = summary.into();
        }
        e
    };
    let late =
        drafts::create(store, &w.editor_ctx, SLUG, domain::kb::DraftChange::Upsert(with_summary("Place an order (late)"))).await.unwrap();
    let first =
        drafts::create(store, &w.owner_ctx, SLUG, domain::kb::DraftChange::Upsert(with_summary("Place an order now"))).await.unwrap();
    drafts::submit(store, &w.owner_ctx, SLUG, &first.id).await.unwrap();
    assert_eq!(releases::publish(store, &w.owner_ctx, SLUG, std::slice::from_ref(&first.id), "").await.unwrap().number, 2);
    let (_, now, _) = releases::entry(store, &w.editor_ctx, SLUG, &key).await.unwrap();
    let now = now.unwrap().revision;
    assert_ne!(now, base.revision);

    drafts::submit(store, &w.editor_ctx, SLUG, &late.id).await.unwrap();
    let refused = releases::publish(store, &w.owner_ctx, SLUG, std::slice::from_ref(&late.id), "").await.unwrap_err();
    assert!(refused.to_string().contains("update the draft to the current entry"), "{refused}");

    let page = w.editor.get(w.app.url(&format!("/projects/{SLUG}/kb/drafts/{}", late.id))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("data-testid=\"kb-stale\"") && page.contains("Save onto the current entry"), "the page offers the rebase");

    let entry = serde_json::to_string(&with_summary("Place an order, paid by card")).unwrap();
    let late_now = drafts::get(store, &w.editor_ctx, SLUG, &late.id).await.unwrap().1;
    let save = |onto: String| {
        let form = [("version", late_now.version.to_string()), ("entry", entry.clone()), ("rebase_onto", onto)];
        w.editor.post(w.app.url(&format!("/projects/{SLUG}/kb/drafts/{}", late.id))).form(&form).send()
    };
    // Compared against the old revision: the entry moved since, nothing is saved.
    assert_eq!(save(base.revision.to_string()).await.unwrap().status(), StatusCode::SEE_OTHER);
    assert_eq!(drafts::get(store, &w.editor_ctx, SLUG, &late.id).await.unwrap().1.version, late_now.version, "nothing saved");
    assert_eq!(save(now.to_string()).await.unwrap().status(), StatusCode::SEE_OTHER);
    let rebased = drafts::get(store, &w.editor_ctx, SLUG, &late.id).await.unwrap().1;
    assert_eq!(
        (rebased.base_revision, rebased.status),
        (Some(now), domain::kb::DraftStatus::Draft),
        "onto the current entry, back to draft"
    );
    drafts::submit(store, &w.editor_ctx, SLUG, &late.id).await.unwrap();
    assert_eq!(releases::publish(store, &w.owner_ctx, SLUG, std::slice::from_ref(&late.id), "").await.unwrap().number, 3);
    let trail = store.list_audit(&services::ports::AuditFilter::default(), None, 500).await.unwrap();
    assert!(trail.iter().any(|e| e.record.action == "kb.draft.rebase"));
    w.app.shutdown().await;
}
