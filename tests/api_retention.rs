//! Per-project trace retention: set by owners on the settings page (audited), and the
//! `traces.expire` job that removes older spans and their blobs, project by project.

mod common;

use common::{add_user, flash_after, sign_in, spawn_app, spawn_with, TestApp, PASSWORD};
use domain::{BlobKey, GlobalRole, JobStatus, ProjectSlug};
use futures::StreamExt;
use services::{
    clock::now_ms,
    ports::{AuditFilter, NewProject},
    StoreError,
};
use std::time::Duration;
use test_support::fixtures::{span, trace_id, DAY_NS};

async fn post(app: &TestApp, client: &reqwest::Client, path: &str, days: &str) -> String {
    let res = client.post(app.url(path)).form(&[("days", days)]).send().await.unwrap();
    flash_after(app, client, res).await
}

async fn retention_of(app: &TestApp, slug: &str) -> Option<u32> {
    let project = app.stores.primary.project_by_slug(&ProjectSlug::parse(slug).unwrap()).await.unwrap().unwrap();
    app.stores.primary.project_retention(&test_support::pid(&project.id)).await.unwrap()
}

#[tokio::test]
async fn owners_set_the_retention_on_the_settings_page_and_it_is_audited() {
    let app = spawn_app().await;
    add_user(&app, "owner@example.com", GlobalRole::User).await;
    add_user(&app, "editor@example.com", GlobalRole::User).await;
    let owner = sign_in(&app, "owner@example.com", PASSWORD).await;
    owner.post(app.url("/projects")).form(&[("name", "Shop"), ("slug", "shop")]).send().await.unwrap();
    owner.post(app.url("/projects/shop/members")).form(&[("email", "editor@example.com"), ("role", "editor")]).send().await.unwrap();

    let html = owner.get(app.url("/projects/shop/settings")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("data-testid=\"retention-form\"") && html.contains("default retention"), "{html}");

    assert_eq!(post(&app, &owner, "/projects/shop/retention", "7").await, "ok: Traces are kept for 7 days.");
    assert_eq!(retention_of(&app, "shop").await, Some(7));
    let html = owner.get(app.url("/projects/shop/settings")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Traces older than 7 days are removed"));

    for bad in ["0", "-3", "3651", "a week", "1.5"] {
        let msg = post(&app, &owner, "/projects/shop/retention", bad).await;
        assert!(msg.starts_with("error: The retention is a whole number of days from 1 to 3650"), "{bad}: {msg}");
    }
    assert_eq!(retention_of(&app, "shop").await, Some(7), "refused values change nothing");

    let editor = sign_in(&app, "editor@example.com", PASSWORD).await;
    assert_eq!(post(&app, &editor, "/projects/shop/retention", "1").await, "error: You do not have permission to do this");
    let html = editor.get(app.url("/projects/shop/settings")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Traces older than 7 days are removed") && !html.contains("retention-form"), "members see it, owners change it");
    assert_eq!(retention_of(&app, "shop").await, Some(7));

    assert_eq!(post(&app, &owner, "/projects/shop/retention", "").await, "ok: Traces are kept for the server default, 30 days.");
    assert_eq!(retention_of(&app, "shop").await, None);

    let filter = AuditFilter { action: Some("project.retention".into()), ..Default::default() };
    let entries = app.stores.primary.list_audit(&filter, None, 10).await.unwrap();
    let changes: Vec<_> =
        entries.iter().rev().map(|e| (e.record.old_value.clone().unwrap(), e.record.new_value.clone().unwrap())).collect();
    assert_eq!(
        changes,
        vec![
            (serde_json::json!({"trace_retention_days": null}), serde_json::json!({"trace_retention_days": 7})),
            (serde_json::json!({"trace_retention_days": 7}), serde_json::json!({"trace_retention_days": null})),
        ]
    );
    assert!(entries.iter().all(|e| e.record.actor_label == "owner@example.com" && e.record.project_id.is_some()));
    app.shutdown().await;
}

/// A one-span trace number `n` of `project` that started `age_days` ago, its input in a blob.
async fn old_trace(app: &TestApp, project: &str, n: u64, age_days: u64) -> (String, BlobKey) {
    let now_ns = now_ms() as u64 * 1_000_000;
    let tid = trace_id(n);
    let key = BlobKey::parse(&format!("spans/{project}/{tid}/input")).unwrap();
    let body = futures::stream::iter([Ok(bytes::Bytes::from(format!("payload of trace {n}")))]).boxed();
    app.stores.blob.put(&key, body, Some("text/plain")).await.unwrap();
    let mut row = span(&tid, &format!("{:016x}", n + 1), None, "chat", now_ns - age_days * DAY_NS, 1_000_000);
    row.input = Some("preview".into());
    row.input_blob = Some(key.as_str().to_owned());
    app.stores.analytics.insert_spans(&test_support::pid(project), &[row]).await.unwrap();
    (tid, key)
}

#[tokio::test]
async fn the_expiry_job_removes_old_spans_and_their_blobs_per_project() {
    // The scheduler enqueues the job every second; the worker runs it.
    let app = spawn_with(
        |mut s| {
            s.retention.default_days = 30;
            s.retention.check_interval_secs = 1;
            s
        },
        Vec::new(),
    )
    .await;
    let store = app.stores.primary.as_ref();
    let owner = add_user(&app, "owner@example.com", GlobalRole::User).await;
    let mut ids = Vec::new();
    for slug in ["weekly", "default"] {
        let new = NewProject { slug: ProjectSlug::parse(slug).unwrap(), name: slug.into(), description: String::new() };
        ids.push(store.create_project(new, &owner.id, now_ms()).await.unwrap().id);
    }
    let (weekly, default) = (&ids[0], &ids[1]);
    store.set_project_retention(&test_support::pid(weekly), Some(7)).await.unwrap();

    let (weekly_old, weekly_old_blob) = old_trace(&app, weekly, 1, 10).await;
    let (weekly_new, weekly_new_blob) = old_trace(&app, weekly, 2, 6).await;
    let (default_kept, default_kept_blob) = old_trace(&app, default, 3, 10).await;
    let (default_old, default_old_blob) = old_trace(&app, default, 4, 31).await;

    let gone = |project: String, trace: String| {
        let analytics = app.stores.analytics.clone();
        async move { analytics.trace_spans(&test_support::pid(&project), &trace).await.unwrap().is_empty() }
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while !(gone(weekly.clone(), weekly_old.clone()).await && gone(default.clone(), default_old.clone()).await) {
        assert!(std::time::Instant::now() < deadline, "the expiry job did not run");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Blobs go right after their spans, in the same job run.
    let blob_gone = |key: BlobKey| {
        let blob = app.stores.blob.clone();
        async move { matches!(blob.head(&key).await, Err(StoreError::NotFound)) }
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !(blob_gone(weekly_old_blob.clone()).await && blob_gone(default_old_blob.clone()).await) {
        assert!(std::time::Instant::now() < deadline, "the expired spans' blobs were not deleted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    assert_eq!(app.stores.analytics.trace_spans(&test_support::pid(weekly), &weekly_new).await.unwrap().len(), 1, "6 days old, 7 kept");
    assert_eq!(
        app.stores.analytics.trace_spans(&test_support::pid(default), &default_kept).await.unwrap().len(),
        1,
        "10 days old, 30 kept by default"
    );
    for key in [weekly_new_blob, default_kept_blob] {
        assert!(app.stores.blob.head(&key).await.is_ok(), "kept span's blob {key:?} is kept");
    }

    let filter = AuditFilter { action: Some("traces.expire".into()), ..Default::default() };
    let entries = store.list_audit(&filter, None, 10).await.unwrap();
    let mut audited: Vec<_> =
        entries.iter().map(|e| (e.record.entity_id.clone(), e.record.new_value.as_ref().unwrap()["spans"].as_u64().unwrap())).collect();
    audited.sort();
    let mut expected = vec![(weekly.clone(), 1), (default.clone(), 1)];
    expected.sort();
    assert_eq!(audited, expected, "one entry per project that lost spans, by the system");
    assert!(entries.iter().all(|e| e.record.actor_label == "system"));
    app.shutdown().await;
}

#[tokio::test]
async fn the_expiry_job_is_enqueued_once_and_succeeds() {
    let app = spawn_with(
        |mut s| {
            s.retention.check_interval_secs = 0;
            s
        },
        Vec::new(),
    )
    .await;
    let store = app.stores.primary.as_ref();
    let owner = add_user(&app, "owner@example.com", GlobalRole::User).await;
    let new = NewProject { slug: ProjectSlug::parse("quiet").unwrap(), name: "Quiet".into(), description: String::new() };
    let project = store.create_project(new, &owner.id, now_ms()).await.unwrap();
    let (trace, _) = old_trace(&app, &project.id, 9, 400).await;

    let id = elasticdash::worker::retention::enqueue_expiry(store).await.unwrap().expect("enqueued");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let job = store.job(id).await.unwrap().unwrap();
        if job.status == JobStatus::Succeeded {
            break;
        }
        assert!(job.status != JobStatus::Failed, "{job:?}");
        assert!(std::time::Instant::now() < deadline, "job still {:?}", job.status);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(app.stores.analytics.trace_spans(&test_support::pid(&project.id), &trace).await.unwrap().is_empty());
    let again = elasticdash::worker::retention::enqueue_expiry(store).await.unwrap();
    assert!(again.is_some_and(|j| j != id), "a finished job does not block the next one");
    app.shutdown().await;
}
