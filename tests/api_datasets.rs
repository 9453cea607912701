//! Dataset uploads end to end through the running server (issue 5): chunked resumable upload,
//! analysis and mapping, the import job on the worker, append/replace/delete, rejected rows, and
//! bad input (each a clear 4xx or a failed import with its reason, nothing partial visible).

mod common;

use common::{add_user, sign_in, spawn_with, TestApp, PASSWORD};
use domain::{
    datasets::DatasetImport,
    ledger_dashboard::{LedgerFilter, LedgerGroupBy},
    GlobalRole,
};
use reqwest::{Client, StatusCode as Http};
use serde_json::{json, Value};
use std::time::Duration;

const CHUNK: u64 = 64 * 1024;

struct Setup {
    app: TestApp,
    owner: Client,
    project_id: String,
}

async fn setup() -> Setup {
    let app = spawn_with(
        |mut s| {
            s.datasets.chunk_bytes = CHUNK;
            s.datasets.max_upload_bytes = 8 << 20;
            s
        },
        Vec::new(),
    )
    .await;
    add_user(&app, "owner@example.com", GlobalRole::User).await;
    let owner = sign_in(&app, "owner@example.com", PASSWORD).await;
    let res = owner.post(app.url("/projects")).form(&[("name", "Alpha"), ("slug", "alpha")]).send().await.unwrap();
    assert_eq!(res.status(), Http::SEE_OTHER);
    let project = app.stores.primary.project_by_slug(&domain::ProjectSlug::parse("alpha").unwrap()).await.unwrap().unwrap();
    Setup { app, owner, project_id: project.id }
}

fn generated_csv(rows: usize, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    ledger::testdata::write_csv(&mut out, rows, seed).unwrap();
    out
}

async fn start(s: &Setup, body: Value) -> (Http, Value) {
    let res = s.owner.post(s.app.url("/projects/alpha/datasets/uploads")).json(&body).send().await.unwrap();
    (res.status(), res.json().await.unwrap())
}

async fn put_chunk(s: &Setup, id: &str, index: u32, bytes: Vec<u8>) -> (Http, Value) {
    let url = s.app.url(&format!("/projects/alpha/datasets/uploads/{id}/chunks/{index}"));
    let res = s.owner.put(url).body(bytes).send().await.unwrap();
    (res.status(), res.json().await.unwrap())
}

async fn post(s: &Setup, id: &str, what: &str, body: Value) -> (Http, Value) {
    let res = s.owner.post(s.app.url(&format!("/projects/alpha/datasets/uploads/{id}/{what}"))).json(&body).send().await.unwrap();
    (res.status(), res.json().await.unwrap())
}

async fn state(s: &Setup, id: &str) -> DatasetImport {
    let res = s.owner.get(s.app.url(&format!("/projects/alpha/datasets/uploads/{id}"))).send().await.unwrap();
    assert_eq!(res.status(), Http::OK);
    res.json().await.unwrap()
}

/// Poll until the import reaches `status` (or a final one), up to 30 s.
async fn wait_for(s: &Setup, id: &str, status: &str) -> DatasetImport {
    for _ in 0..600 {
        let import = state(s, id).await;
        if import.status.as_str() == status || import.status.is_final() {
            return import;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("import {id} never reached {status}: {:?}", state(s, id).await);
}

/// Upload `bytes` in order and complete the upload; returns the import id.
async fn upload(s: &Setup, file_name: &str, bytes: &[u8], extra: Value) -> String {
    let mut body = json!({"file_name": file_name, "size_bytes": bytes.len(), "mode": "create", "dataset_name": file_name});
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    let (status, started) = start(s, body).await;
    assert_eq!(status, Http::CREATED, "{started}");
    let id = started["import_id"].as_str().or(started["id"].as_str()).unwrap().to_owned();
    for (i, chunk) in bytes.chunks(CHUNK as usize).enumerate() {
        let (status, ack) = put_chunk(s, &id, i as u32, chunk.to_vec()).await;
        assert_eq!(status, Http::OK, "{ack}");
    }
    let (status, done) = post(s, &id, "complete", json!({})).await;
    assert_eq!(status, Http::ACCEPTED, "{done}");
    id
}

/// Upload, accept the proposed mapping, wait for the end.
async fn import(s: &Setup, file_name: &str, bytes: &[u8], extra: Value) -> DatasetImport {
    let id = upload(s, file_name, bytes, extra).await;
    let analysed = wait_for(s, &id, "mapping").await;
    assert_eq!(analysed.status.as_str(), "mapping", "{:?}", analysed.error);
    let (status, queued) = post(s, &id, "mapping", json!({"mapping": null})).await;
    assert_eq!(status, Http::ACCEPTED, "{queued}");
    wait_for(s, &id, "completed").await
}

async fn visible_rows(s: &Setup, dataset_id: Option<&str>) -> u64 {
    let filter = LedgerFilter { datasets: dataset_id.into_iter().map(str::to_owned).collect(), ..LedgerFilter::default() };
    let totals = s.app.stores.analytics.ledger_totals(&test_support::pid(&s.project_id), &filter, LedgerGroupBy::None).await.unwrap();
    totals.iter().map(|t| t.rows).sum()
}

#[tokio::test]
async fn a_csv_upload_is_chunked_resumed_imported_and_visible() {
    let s = setup().await;
    let bytes = generated_csv(3_000, 7);
    assert!(bytes.len() as u64 > 3 * CHUNK, "several chunks");
    let (status, started) = start(
        &s,
        json!({"file_name": "C:\\exports\\ledger.csv", "size_bytes": bytes.len(), "mode": "create", "dataset_name": "FY ledger"}),
    )
    .await;
    assert_eq!(status, Http::CREATED, "{started}");
    let id = started["id"].as_str().unwrap().to_owned();
    assert_eq!(started["file_name"], "ledger.csv");
    let chunks: Vec<Vec<u8>> = bytes.chunks(CHUNK as usize).map(<[u8]>::to_vec).collect();

    // Out of order: refused, naming the chunk expected.
    let (status, err) = put_chunk(&s, &id, 1, chunks[1].clone()).await;
    assert_eq!(status, Http::CONFLICT);
    assert!(err["error"]["message"].as_str().unwrap().to_lowercase().contains("expected chunk 0"), "{err}");
    // Wrong size: refused.
    let (status, err) = put_chunk(&s, &id, 0, chunks[0][..100].to_vec()).await;
    assert_eq!(status, Http::UNPROCESSABLE_ENTITY, "{err}");
    // Past the end: refused.
    let (status, _) = put_chunk(&s, &id, 99, vec![0; 10]).await;
    assert_eq!(status, Http::UNPROCESSABLE_ENTITY);
    // Completing early: refused.
    let (status, err) = post(&s, &id, "complete", json!({})).await;
    assert_eq!(status, Http::CONFLICT, "{err}");

    // Send half, "lose the connection", ask where to resume, resend the last acknowledged chunk.
    let half = chunks.len() / 2;
    for (i, c) in chunks.iter().enumerate().take(half) {
        assert_eq!(put_chunk(&s, &id, i as u32, c.clone()).await.0, Http::OK);
    }
    let resumed = state(&s, &id).await;
    assert_eq!(resumed.chunks_received as usize, half);
    assert_eq!(resumed.bytes_received, (half as u64) * CHUNK);
    let (status, again) = put_chunk(&s, &id, half as u32 - 1, chunks[half - 1].clone()).await;
    assert_eq!(status, Http::OK, "a repeated chunk is acknowledged again");
    assert_eq!(again["chunks_received"], half as u64, "and not counted twice");
    for (i, c) in chunks.iter().enumerate().skip(half) {
        assert_eq!(put_chunk(&s, &id, i as u32, c.clone()).await.0, Http::OK);
    }
    assert_eq!(post(&s, &id, "complete", json!({})).await.0, Http::ACCEPTED);
    assert_eq!(post(&s, &id, "complete", json!({})).await.0, Http::ACCEPTED, "completing twice is harmless");

    let analysed = wait_for(&s, &id, "mapping").await;
    assert_eq!(analysed.status.as_str(), "mapping", "{:?}", analysed.error);
    assert!(analysed.mapping.is_some() && analysed.preview.is_some());
    assert_eq!(visible_rows(&s, None).await, 0, "nothing visible before the import");
    // The original file is kept whole, the chunks are gone.
    let blobs = s.app.stores.blob.list(&format!("datasets/{}/", s.project_id)).await.unwrap();
    assert_eq!(blobs.len(), 1, "{blobs:?}");
    assert!(blobs[0].key.as_str().ends_with("/original"));
    assert_eq!(blobs[0].size, bytes.len() as u64);

    let (status, _) = post(&s, &id, "mapping", json!({"mapping": null})).await;
    assert_eq!(status, Http::ACCEPTED);
    let done = wait_for(&s, &id, "completed").await;
    assert_eq!(done.status.as_str(), "completed", "{:?}", done.error);
    assert_eq!((done.rows_read, done.rows_accepted, done.rows_rejected), (3_000, 3_000, 0));
    assert_eq!(visible_rows(&s, Some(&done.dataset_id)).await, 3_000);
    let dataset = s.app.stores.primary.dataset(&test_support::pid(&s.project_id), &done.dataset_id).await.unwrap().unwrap();
    assert_eq!((dataset.name.as_str(), dataset.rows, dataset.size_bytes), ("FY ledger", 3_000, bytes.len() as u64));

    // The dashboard shows it.
    let html = s.owner.get(s.app.url("/projects/alpha/dashboards")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("3,000") || html.contains("3000"), "the dashboard counts the imported rows");
}

#[tokio::test]
async fn rejected_rows_are_listed_and_downloadable_and_the_rest_imported() {
    let s = setup().await;
    let mut text = String::from_utf8(generated_csv(50, 3)).unwrap();
    text.push_str("C001,Elara,EMEA,Sales,Retail,REVENUE,4000,Product revenue,2024-02-30,10.00,,EUR,bad date\n");
    text.push_str("C001,Elara,EMEA,Sales,Retail,REVENUE,4000,Product revenue,2024-02-03,ten,,EUR,bad amount\n");
    let done = import(&s, "with-errors.csv", text.as_bytes(), json!({})).await;
    assert_eq!(done.status.as_str(), "completed", "{:?}", done.error);
    assert_eq!((done.rows_read, done.rows_accepted, done.rows_rejected), (52, 50, 2));
    let res = s.owner.get(s.app.url(&format!("/projects/alpha/datasets/uploads/{}/rejections.csv", done.id))).send().await.unwrap();
    assert_eq!(res.status(), Http::OK);
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "row,column,reason");
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[1].starts_with("52,") && lines[2].starts_with("53,"), "row numbers are the file's lines: {csv}");
    assert_eq!(visible_rows(&s, Some(&done.dataset_id)).await, 50);
}

#[tokio::test]
async fn append_adds_rows_replace_swaps_them_and_delete_removes_everything() {
    let s = setup().await;
    let first = import(&s, "q1.csv", &generated_csv(120, 1), json!({})).await;
    let dataset_id = first.dataset_id.clone();
    let second = import(&s, "q2.csv", &generated_csv(80, 2), json!({"mode": "append", "dataset_id": dataset_id})).await;
    assert_eq!(second.status.as_str(), "completed", "{:?}", second.error);
    assert_eq!(second.dataset_id, dataset_id);
    assert_eq!(visible_rows(&s, Some(&dataset_id)).await, 200);
    let third = import(&s, "full.csv", &generated_csv(30, 9), json!({"mode": "replace", "dataset_id": dataset_id})).await;
    assert_eq!(third.status.as_str(), "completed", "{:?}", third.error);
    assert_eq!(visible_rows(&s, Some(&dataset_id)).await, 30);
    let dataset = s.app.stores.primary.dataset(&test_support::pid(&s.project_id), &dataset_id).await.unwrap().unwrap();
    assert_eq!(dataset.rows, 30);

    // A second dataset with the same name is refused; appending to an unknown one too.
    let (status, err) = start(&s, json!({"file_name": "q1.csv", "size_bytes": 10, "mode": "create", "dataset_name": "q1.csv"})).await;
    assert_eq!(status, Http::CONFLICT, "{err}");
    let (status, _) = start(&s, json!({"file_name": "x.csv", "size_bytes": 10, "mode": "append", "dataset_id": "nope"})).await;
    assert_eq!(status, Http::NOT_FOUND);

    let listing = s.app.stores.primary.list_datasets(&test_support::pid(&s.project_id)).await.unwrap();
    assert_eq!(listing.len(), 1);
    assert_eq!(listing[0].uploader_email.as_deref(), Some("owner@example.com"));

    services::datasets::delete_dataset(&s.app.stores, &owner_ctx(&s).await, "alpha", &dataset_id).await.unwrap();
    assert_eq!(visible_rows(&s, None).await, 0);
    assert!(s.app.stores.blob.list(&format!("datasets/{}/", s.project_id)).await.unwrap().is_empty(), "files deleted");
    assert!(s.app.stores.primary.list_datasets(&test_support::pid(&s.project_id)).await.unwrap().is_empty());
    let audit = s.app.stores.primary.list_audit(&Default::default(), None, 50).await.unwrap();
    assert!(audit.iter().any(|e| e.record.action == "dataset.delete" && e.record.entity_id == dataset_id), "deletion audited");
}

async fn owner_ctx(s: &Setup) -> services::RequestContext {
    let user = s.app.stores.primary.user_by_email(&domain::Email::parse("owner@example.com").unwrap()).await.unwrap().unwrap();
    let actor = services::Actor { user_id: user.id, email: "owner@example.com".into(), role: GlobalRole::User };
    services::RequestContext { actor: Some(actor), ..Default::default() }
}

#[tokio::test]
async fn bad_uploads_get_clear_answers_and_leave_nothing_visible() {
    let s = setup().await;
    let cases = [
        (json!({"file_name": "report.pdf", "size_bytes": 10, "mode": "create"}), Http::UNPROCESSABLE_ENTITY, "not a file type"),
        (json!({"file_name": "big.csv", "size_bytes": 9u64 << 20, "mode": "create"}), Http::UNPROCESSABLE_ENTITY, "largest upload"),
        (json!({"file_name": "empty.csv", "size_bytes": 0, "mode": "create"}), Http::UNPROCESSABLE_ENTITY, "empty"),
        (json!({"file_name": "a.csv", "size_bytes": 5, "mode": "sideways"}), Http::UNPROCESSABLE_ENTITY, "not valid"),
        (json!({"file_name": "a.csv", "size_bytes": 5, "mode": "append"}), Http::UNPROCESSABLE_ENTITY, "choose the dataset"),
    ];
    for (body, want, says) in cases {
        let (status, err) = start(&s, body.clone()).await;
        assert_eq!(status, want, "{body} → {err}");
        assert!(err["error"]["message"].as_str().unwrap().to_lowercase().contains(says), "{body} → {err}");
    }
    let res = s.owner.post(s.app.url("/projects/alpha/datasets/uploads")).body("{not json").send().await.unwrap();
    assert_eq!(res.status(), Http::UNPROCESSABLE_ENTITY);

    // Files that upload fine but cannot be imported end failed with the parser's reason.
    let corrupt_xlsx = {
        let mut b = b"PK\x03\x04".to_vec();
        b.extend(std::iter::repeat_n(7u8, 5000));
        b
    };
    let files: [(&str, Vec<u8>, &str); 4] = [
        ("broken.xlsx", corrupt_xlsx, "could not be read"),
        ("header-only.csv", b"entity,account_code,date,debit,credit\n".to_vec(), "no data"),
        ("binary.csv", vec![0u8, 159, 146, 150, 0, 1, 2, 3, 255, 254, 0, 0, 0], ""),
        ("pdf-named.xlsx", b"%PDF-1.7 not a sheet at all".to_vec(), ""),
    ];
    for (name, bytes, says) in files {
        let id = upload(&s, name, &bytes, json!({})).await;
        let end = wait_for(&s, &id, "mapping").await;
        let outcome = if end.status.as_str() == "mapping" {
            // Some files only fail once the mapping is applied (nothing maps to a ledger field).
            let (status, err) = post(&s, &id, "mapping", json!({"mapping": null})).await;
            if status == Http::ACCEPTED {
                wait_for(&s, &id, "completed").await
            } else {
                assert_eq!(status, Http::UNPROCESSABLE_ENTITY, "{name}: {err}");
                assert!(!err["error"]["message"].as_str().unwrap().is_empty());
                continue;
            }
        } else {
            end
        };
        assert_eq!(outcome.status.as_str(), "failed", "{name}: {outcome:?}");
        let reason = outcome.error.unwrap_or_default();
        assert!(!reason.is_empty() && reason.contains(says), "{name}: {reason}");
    }
    assert_eq!(visible_rows(&s, None).await, 0, "nothing partial is visible");

    // Another project's upload is not found; anonymous callers are refused.
    add_user(&s.app, "stranger@example.com", GlobalRole::User).await;
    let stranger = sign_in(&s.app, "stranger@example.com", PASSWORD).await;
    let some = s.app.stores.primary.list_datasets(&test_support::pid(&s.project_id)).await.unwrap();
    let import_id = some[0].latest.as_ref().unwrap().id.clone();
    let res = stranger.get(s.app.url(&format!("/projects/alpha/datasets/uploads/{import_id}"))).send().await.unwrap();
    assert_eq!(res.status(), Http::NOT_FOUND);
    let res = s.app.client.get(s.app.url(&format!("/projects/alpha/datasets/uploads/{import_id}"))).send().await.unwrap();
    assert!([Http::UNAUTHORIZED, Http::SEE_OTHER].contains(&res.status()), "anonymous: {}", res.status());
    assert!(res.headers().get("location").is_none_or(|l| l.to_str().unwrap().starts_with("/login")));
}

#[tokio::test]
async fn an_upload_resumes_after_a_server_restart_and_equals_a_clean_one() {
    // Two servers, one after the other, on the same data folder.
    let dir = tempfile::tempdir().unwrap();
    let settings = || {
        let mut s = common::embedded_settings(dir.path());
        s.datasets.chunk_bytes = CHUNK;
        s
    };
    let first = common::start(elasticdash::Server::build(settings()).await.unwrap(), tempfile::tempdir().unwrap());
    add_user(&first, "owner@example.com", GlobalRole::User).await;
    let owner = sign_in(&first, "owner@example.com", PASSWORD).await;
    owner.post(first.url("/projects")).form(&[("name", "Alpha"), ("slug", "alpha")]).send().await.unwrap();
    let project_id = first.stores.primary.project_by_slug(&domain::ProjectSlug::parse("alpha").unwrap()).await.unwrap().unwrap().id;
    let s = Setup { app: first, owner, project_id };
    let bytes = generated_csv(2_000, 11);
    let (_, started) = start(&s, json!({"file_name": "restart.csv", "size_bytes": bytes.len(), "mode": "create"})).await;
    let id = started["id"].as_str().unwrap().to_owned();
    let chunks: Vec<Vec<u8>> = bytes.chunks(CHUNK as usize).map(<[u8]>::to_vec).collect();
    // Chunks sent at "random" (seeded) points before the interruption: 0..cut.
    let cut = 1 + (bytes.len() % (chunks.len() - 1));
    for (i, c) in chunks.iter().enumerate().take(cut) {
        assert_eq!(put_chunk(&s, &id, i as u32, c.clone()).await.0, Http::OK);
    }
    let Setup { app, project_id, .. } = s;
    app.shutdown().await;

    let second = common::start(elasticdash::Server::build(settings()).await.unwrap(), tempfile::tempdir().unwrap());
    let owner = sign_in(&second, "owner@example.com", PASSWORD).await;
    let s = Setup { app: second, owner, project_id };
    let resumed = state(&s, &id).await;
    assert_eq!(resumed.chunks_received as usize, cut, "the server remembers the acknowledged chunks");
    for (i, c) in chunks.iter().enumerate().skip(resumed.chunks_received as usize) {
        assert_eq!(put_chunk(&s, &id, i as u32, c.clone()).await.0, Http::OK);
    }
    assert_eq!(post(&s, &id, "complete", json!({})).await.0, Http::ACCEPTED);
    assert_eq!(wait_for(&s, &id, "mapping").await.status.as_str(), "mapping");
    assert_eq!(post(&s, &id, "mapping", json!({"mapping": null})).await.0, Http::ACCEPTED);
    let resumed_import = wait_for(&s, &id, "completed").await;
    assert_eq!(resumed_import.status.as_str(), "completed", "{:?}", resumed_import.error);

    // The same file uploaded in one go gives the same figures.
    let clean = import(&s, "clean.csv", &bytes, json!({})).await;
    assert_eq!((clean.rows_read, clean.rows_accepted), (resumed_import.rows_read, resumed_import.rows_accepted));
    let totals = |dataset: String| {
        let filter = LedgerFilter { datasets: vec![dataset], ..LedgerFilter::default() };
        let analytics = s.app.stores.analytics.clone();
        let project = s.project_id.clone();
        async move { analytics.ledger_totals(&test_support::pid(&project), &filter, LedgerGroupBy::AccountGroup).await.unwrap() }
    };
    assert_eq!(totals(resumed_import.dataset_id.clone()).await, totals(clean.dataset_id.clone()).await);
}

/// A member of the project with `role`, signed in.
async fn member(s: &Setup, email: &str, role: &str) -> Client {
    add_user(&s.app, email, GlobalRole::User).await;
    s.owner.post(s.app.url("/projects/alpha/members")).form(&[("email", email), ("role", role)]).send().await.unwrap();
    sign_in(&s.app, email, PASSWORD).await
}

/// Issue 11, defect 1: an analyst (read-only) could create, append to and replace datasets through
/// the JSON upload API, and anyone in the project could complete or map another person's upload.
#[tokio::test]
async fn analysts_only_read_and_uploads_are_carried_on_by_their_uploader_or_an_owner() {
    let s = setup().await;
    let existing = import(&s, "ledger.csv", &generated_csv(20, 1), json!({})).await;
    let analyst = member(&s, "analyst@example.com", "analyst").await;
    let editor = member(&s, "editor@example.com", "editor").await;
    let other_editor = member(&s, "other@example.com", "editor").await;
    let uploads = s.app.url("/projects/alpha/datasets/uploads");
    for body in [
        json!({"file_name": "mine.csv", "size_bytes": 100, "mode": "create"}),
        json!({"file_name": "mine.csv", "size_bytes": 100, "mode": "append", "dataset_id": existing.dataset_id}),
        json!({"file_name": "mine.csv", "size_bytes": 100, "mode": "replace", "dataset_id": existing.dataset_id}),
    ] {
        let res = analyst.post(&uploads).json(&body).send().await.unwrap();
        assert_eq!(res.status(), Http::FORBIDDEN, "analyst {body}");
        let error: Value = res.json().await.unwrap();
        assert_eq!(error["error"]["code"], "forbidden", "{error}");
    }
    // The analyst reads: the upload's state and the list, but sees no upload panel.
    assert_eq!(analyst.get(format!("{uploads}/{}", existing.id)).send().await.unwrap().status(), Http::OK);
    let page = analyst.get(s.app.url("/projects/alpha/datasets")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("data-testid=\"datasets\"") && !page.contains("upload-aside"), "analysts see no upload panel");
    let page = editor.get(s.app.url("/projects/alpha/datasets")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("upload-aside"), "editors do");

    // An editor's upload: nobody else but an owner may send its chunks, complete it or map it.
    let bytes = generated_csv(10, 2);
    let body = json!({"file_name": "ed.csv", "size_bytes": bytes.len(), "mode": "create"});
    let res = editor.post(&uploads).json(&body).send().await.unwrap();
    assert_eq!(res.status(), Http::CREATED);
    let id = res.json::<DatasetImport>().await.unwrap().id;
    for client in [&analyst, &other_editor] {
        let chunk = client.put(format!("{uploads}/{id}/chunks/0")).body(bytes.clone()).send().await.unwrap();
        assert_eq!(chunk.status(), Http::FORBIDDEN);
        let complete = client.post(format!("{uploads}/{id}/complete")).json(&json!({})).send().await.unwrap();
        assert_eq!(complete.status(), Http::FORBIDDEN);
    }
    let chunk = editor.put(format!("{uploads}/{id}/chunks/0")).body(bytes.clone()).send().await.unwrap();
    assert_eq!(chunk.status(), Http::OK);
    let complete = s.owner.post(format!("{uploads}/{id}/complete")).json(&json!({})).send().await.unwrap();
    assert_eq!(complete.status(), Http::ACCEPTED, "an owner may carry on anyone's upload");
    assert_eq!(wait_for(&s, &id, "mapping").await.status.as_str(), "mapping");
    for client in [&analyst, &other_editor] {
        let res = client.post(format!("{uploads}/{id}/mapping")).json(&json!({})).send().await.unwrap();
        assert_eq!(res.status(), Http::FORBIDDEN);
        // The mapping form too (it authorises before reading the fields).
        let dataset = state(&s, &id).await.dataset_id;
        let form = client.post(s.app.url(&format!("/projects/alpha/datasets/{dataset}/imports/{id}/mapping"))).form(&[("field_0", "x")]);
        let message = common::flash_after(&s.app, client, form.send().await.unwrap()).await;
        assert!(message.to_lowercase().contains("permission"), "{message}");
    }
    assert_eq!(state(&s, &id).await.status.as_str(), "mapping", "nothing changed");
    let res = editor.post(format!("{uploads}/{id}/mapping")).json(&json!({})).send().await.unwrap();
    assert_eq!(res.status(), Http::ACCEPTED);
    assert_eq!(wait_for(&s, &id, "completed").await.status.as_str(), "completed");

    let user = s.app.stores.primary.user_by_email(&domain::Email::parse("analyst@example.com").unwrap()).await.unwrap().unwrap();
    let ctx = services::RequestContext {
        actor: Some(services::Actor { user_id: user.id, email: "analyst@example.com".into(), role: GlobalRole::User }),
        ..Default::default()
    };
    let refused = services::datasets::delete_dataset(&s.app.stores, &ctx, "alpha", &existing.dataset_id).await;
    assert_eq!(refused.unwrap_err(), services::ServiceError::Forbidden);
    // A cross-site request carrying the session cookie is refused (CSRF).
    let res = editor
        .put(s.app.url("/projects/alpha/datasets/uploads/x/chunks/0"))
        .header("origin", "http://evil.example")
        .header("sec-fetch-site", "cross-site")
        .body(vec![1u8; 10])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), Http::FORBIDDEN);
}

#[tokio::test]
async fn unmapped_columns_are_kept_as_extra_attributes() {
    let s = setup().await;
    let csv = "Entity,Account group,Account code,Date,Debit,Credit,Project code,Notes\n\
               Elara,REVENUE,4000,2024-01-15,,100.50,PRJ-7,first sale\n\
               Elara,OPEX,6200,2024-01-20,40,,,\n";
    let done = import(&s, "extra.csv", csv.as_bytes(), json!({})).await;
    assert_eq!((done.status.as_str(), done.rows_accepted), ("completed", 2), "{:?}", done.error);
    let filter = LedgerFilter { datasets: vec![done.dataset_id.clone()], ..LedgerFilter::default() };
    let sort = domain::ledger_dashboard::LedgerSort { column: domain::ledger_dashboard::LedgerSortColumn::Row, descending: false };
    let page = s.app.stores.analytics.ledger_records(&test_support::pid(&s.project_id), &filter, sort, 0, 10).await.unwrap();
    let extra: Value = serde_json::from_str(&page.rows[0].extra).unwrap();
    assert_eq!(extra, json!({"Project code": "PRJ-7", "Notes": "first sale"}));
    assert_eq!(page.rows[1].extra, "", "blank unmapped cells are left out");
}
