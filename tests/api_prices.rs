//! The model price table: seeded from the built-in list, edited by admins through the forms
//! (validated, audited), refused to everyone else, and seen by the price cache at once.

mod common;

use common::{add_user, flash_after, sign_in, spawn_app, TestApp, PASSWORD};
use domain::GlobalRole;
use reqwest::StatusCode;
use services::{
    ports::{AuditEntry, AuditFilter},
    prices::{PriceCache, PriceInput},
    Actor, RequestContext,
};
use std::time::Duration;

async fn audit(app: &TestApp, action: &str) -> Vec<AuditEntry> {
    let filter = AuditFilter { action: Some(action.into()), ..Default::default() };
    app.stores.primary.list_audit(&filter, None, 100).await.unwrap()
}

async fn post(app: &TestApp, client: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> String {
    let res = client.post(app.url(path)).form(form).send().await.unwrap();
    flash_after(app, client, res).await
}

#[tokio::test]
async fn admins_see_the_seeded_table_and_edit_it_through_the_forms() {
    let app = spawn_app().await;
    add_user(&app, "admin@example.com", GlobalRole::Admin).await;
    let admin = sign_in(&app, "admin@example.com", PASSWORD).await;

    let page = admin.get(app.url("/admin/prices")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let seeded = otlp::PriceTable::seeded().iter().count();
    assert_eq!(html.matches("data-testid=\"price-row\"").count(), seeded, "every built-in model is listed");
    assert!(html.contains("claude-3-haiku") && html.contains("$0.25") && html.contains("$1.25"), "prices in dollars");

    // Add a model: provider guessed, name lowercased, exact decimals.
    let msg =
        post(&app, &admin, "/admin/prices", &[("model", " My-Model "), ("provider", ""), ("input", "0.0375"), ("output", "$1.5")]).await;
    assert_eq!(msg, "ok: Saved my-model: $0.0375 input, $1.50 output per million tokens.");
    let row = app.stores.primary.model_price("my-model").await.unwrap().expect("stored");
    assert_eq!((row.input_per_million_micros, row.output_per_million_micros), (37_500, 1_500_000));
    assert_eq!(row.updated_by.as_deref(), Some("admin@example.com"));
    let created = audit(&app, "model_price.create").await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].record.entity_id, "my-model");
    assert_eq!(created[0].record.actor_label, "admin@example.com");

    // Change a seeded one: audited with the old and the new price.
    let msg = post(&app, &admin, "/admin/prices", &[("model", "gpt-4o"), ("provider", "openai"), ("input", "2"), ("output", "8")]).await;
    assert!(msg.starts_with("ok: Saved gpt-4o"), "{msg}");
    let updated = audit(&app, "model_price.update").await;
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0].record.old_value.as_ref().unwrap()["input_per_million_micros"], 2_500_000);
    assert_eq!(updated[0].record.new_value.as_ref().unwrap()["input_per_million_micros"], 2_000_000);
    let html = admin.get(app.url("/admin/prices")).send().await.unwrap().text().await.unwrap();
    assert_eq!(html.matches("data-testid=\"price-row\"").count(), seeded + 1);

    assert!(html.contains(r#"value="o1-pro""#));
    // Remove one; it does not come back from the seed.
    let msg = post(&app, &admin, "/admin/prices/delete", &[("model", "o1-pro")]).await;
    assert_eq!(msg, "ok: Removed the price of o1-pro.");
    assert_eq!(app.stores.primary.model_price("o1-pro").await.unwrap(), None);
    assert_eq!(audit(&app, "model_price.delete").await.len(), 1);
    let html = admin.get(app.url("/admin/prices")).send().await.unwrap().text().await.unwrap();
    assert_eq!(html.matches("data-testid=\"price-row\"").count(), seeded);
    assert!(!html.contains(r#"value="o1-pro""#));
    let msg = post(&app, &admin, "/admin/prices/delete", &[("model", "o1-pro")]).await;
    assert_eq!(msg, "error: Model price not found");
    app.shutdown().await;
}

#[tokio::test]
async fn invalid_prices_are_refused_with_a_reason_and_change_nothing() {
    let app = spawn_app().await;
    add_user(&app, "admin@example.com", GlobalRole::Admin).await;
    let admin = sign_in(&app, "admin@example.com", PASSWORD).await;
    let cases: [(&[(&str, &str)], &str); 6] = [
        (&[("model", "gpt-4o"), ("input", "-1"), ("output", "1")], "error: The input price cannot be negative"),
        (&[("model", "gpt-4o"), ("input", "1"), ("output", "-0.5")], "error: The output price cannot be negative"),
        (&[("model", "  "), ("input", "1"), ("output", "1")], "error: Enter a model name"),
        (&[("model", "gpt 4o"), ("input", "1"), ("output", "1")], "error: A model name cannot contain spaces"),
        (&[("model", "gpt-4o"), ("input", "1.0000001"), ("output", "1")], "error: The input price has more than six decimals"),
        (&[("model", "gpt-4o"), ("input", "abc"), ("output", "")], "error: The input price must be a number"),
    ];
    for (form, expected) in cases {
        let msg = post(&app, &admin, "/admin/prices", form).await;
        assert!(msg.starts_with(expected), "{form:?}: {msg}");
    }
    // Showing the page after each refusal seeded the table; the refused values are nowhere.
    let gpt = app.stores.primary.model_price("gpt-4o").await.unwrap().unwrap();
    assert_eq!((gpt.input_per_million_micros, gpt.output_per_million_micros, gpt.updated_by), (2_500_000, 10_000_000, None));
    let rows = app.stores.primary.list_model_prices().await.unwrap();
    assert_eq!(rows.len(), otlp::PriceTable::seeded().iter().count(), "no model added");
    for action in ["model_price.create", "model_price.update"] {
        assert!(audit(&app, action).await.is_empty());
    }
    app.shutdown().await;
}

#[tokio::test]
async fn only_admins_may_see_or_edit_prices() {
    let app = spawn_app().await;
    add_user(&app, "user@example.com", GlobalRole::User).await;
    let user = sign_in(&app, "user@example.com", PASSWORD).await;
    assert_eq!(user.get(app.url("/admin/prices")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let fns: Vec<String> =
        leptos::server_fn::axum::server_fn_paths().map(|(p, _)| p.to_owned()).filter(|p| p.contains("admin_prices")).collect();
    assert_eq!(fns.len(), 1);
    let res = user.post(app.url(&fns[0])).header("accept", "application/json").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let msg = post(&app, &user, "/admin/prices", &[("model", "cheap"), ("input", "0"), ("output", "0")]).await;
    assert_eq!(msg, "error: You do not have permission to do this");
    let msg = post(&app, &user, "/admin/prices/delete", &[("model", "gpt-4o")]).await;
    assert_eq!(msg, "error: You do not have permission to do this");
    assert_eq!(app.stores.primary.model_price("cheap").await.unwrap(), None);
    assert!(app.stores.primary.list_model_prices().await.unwrap().is_empty(), "not even seeded by a refused call");

    let anonymous = common::browser(&app);
    let res = anonymous.post(app.url("/admin/prices")).form(&[("model", "x")]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    app.shutdown().await;
}

#[tokio::test]
async fn the_cache_serves_the_table_until_an_edit_invalidates_it() {
    let app = spawn_app().await;
    let store = app.stores.primary.as_ref();
    let admin = add_user(&app, "admin@example.com", GlobalRole::Admin).await;
    let ctx = RequestContext {
        actor: Some(Actor { user_id: admin.id, email: admin.email.to_string(), role: GlobalRole::Admin }),
        ..Default::default()
    };
    let cache = PriceCache::new(Duration::from_secs(3600));
    let table = cache.table(store).await.unwrap();
    assert_eq!(*table, otlp::PriceTable::seeded(), "the first read seeds the table");
    assert_eq!(table.cost_micros("gpt-4o-2024-08-06", 1_000_000, 0), Some(2_500_000));

    // Written behind the cache's back (as another server would): not seen before the ttl.
    let mut row = store.model_price("gpt-4o").await.unwrap().unwrap();
    row.input_per_million_micros = 1;
    store.upsert_model_price(&row).await.unwrap();
    assert_eq!(cache.table(store).await.unwrap().cost_micros("gpt-4o", 1_000_000, 0), Some(2_500_000), "cached");

    // An edit through the service invalidates it.
    let input =
        PriceInput { model: "gpt-4o".into(), input_usd_per_million: "3".into(), output_usd_per_million: "12".into(), ..Default::default() };
    services::prices::upsert(store, &ctx, &cache, input).await.unwrap();
    let table = cache.table(store).await.unwrap();
    assert_eq!(table.cost_micros("gpt-4o-2024-08-06", 1_000_000, 1_000_000), Some(15_000_000));
    assert!(std::sync::Arc::ptr_eq(&table, &cache.table(store).await.unwrap()), "then cached again");

    services::prices::delete(store, &ctx, &cache, "GPT-4O").await.unwrap();
    assert_eq!(cache.table(store).await.unwrap().cost_micros("gpt-4o", 10, 10), None);

    // A short ttl picks up other servers' edits.
    let quick = PriceCache::new(Duration::from_millis(50));
    assert_eq!(quick.table(store).await.unwrap().price("o3").unwrap().input_per_million_micros, 2_000_000);
    let mut o3 = store.model_price("o3").await.unwrap().unwrap();
    o3.input_per_million_micros = 7;
    store.upsert_model_price(&o3).await.unwrap();
    tokio::time::sleep(Duration::from_millis(80)).await;
    assert_eq!(quick.table(store).await.unwrap().price("o3").unwrap().input_per_million_micros, 7);
    app.shutdown().await;
}
