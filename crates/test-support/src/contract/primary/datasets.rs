//! Datasets and their imports: names unique per project, listing with the newest import and its
//! uploader, resumable chunk counting, compare-and-set status changes, deletion with imports.

use super::{is_conflict, user, NOW};
use domain::{
    datasets::{Dataset, DatasetImport, ImportMode, ImportStatus},
    ProjectSlug,
};
use serde_json::json;
use services::{
    ports::{NewProject, PrimaryStore, Project, User},
    StoreError,
};
use std::sync::Arc;

async fn project(store: &dyn PrimaryStore, slug: &str, owner: &User) -> Project {
    let new = NewProject { slug: ProjectSlug::parse(slug).expect("valid slug"), name: slug.into(), description: String::new() };
    store.create_project(new, &owner.id, NOW).await.expect("create project")
}

fn dataset(id: &str, project: &Project, name: &str, by: &User) -> Dataset {
    Dataset {
        id: id.into(),
        project_id: project.id.clone(),
        name: name.into(),
        rows: 0,
        size_bytes: 0,
        created_by: Some(by.id.clone()),
        created_at_ms: NOW,
        updated_at_ms: NOW,
    }
}

fn import(id: &str, d: &Dataset, by: &User, at: i64) -> DatasetImport {
    DatasetImport {
        id: id.into(),
        project_id: d.project_id.clone(),
        dataset_id: d.id.clone(),
        mode: ImportMode::Create,
        status: ImportStatus::Uploading,
        file_name: "ledger – März.xlsx".into(),
        size_bytes: 10,
        chunk_size: 4,
        chunks_received: 0,
        bytes_received: 0,
        settings: json!({"date_order": "day_month"}),
        mapping: None,
        preview: None,
        analytics_import_id: None,
        rows_read: 0,
        rows_accepted: 0,
        rows_rejected: 0,
        error: None,
        uploaded_by: Some(by.id.clone()),
        created_at_ms: at,
        updated_at_ms: at,
        finished_at_ms: None,
    }
}

pub async fn datasets_are_named_once_listed_with_their_newest_import_and_deleted(store: Arc<dyn PrimaryStore>) {
    let owner = user(store.as_ref(), "owner@example.com").await;
    let analyst = user(store.as_ref(), "analyst@example.com").await;
    let a = project(store.as_ref(), "alpha", &owner).await;
    let b = project(store.as_ref(), "beta", &owner).await;

    let sales = dataset("d-sales", &a, "Sales 2025", &owner);
    let costs = dataset("d-costs", &a, "Costs", &owner);
    store.insert_dataset(&sales).await.unwrap();
    store.insert_dataset(&costs).await.unwrap();
    assert!(is_conflict(store.insert_dataset(&dataset("d-dup", &a, "Sales 2025", &owner)).await), "one name per project");
    store.insert_dataset(&dataset("d-other", &b, "Sales 2025", &owner)).await.expect("same name in another project");
    let ghost = Project { id: "no-such-project".into(), ..a.clone() };
    assert_eq!(store.insert_dataset(&dataset("d-x", &ghost, "X", &owner)).await, Err(StoreError::NotFound));

    let first = import("i-1", &sales, &owner, NOW);
    let newer = import("i-2", &sales, &analyst, NOW + 10);
    store.insert_import(&first).await.unwrap();
    store.insert_import(&newer).await.unwrap();
    assert_eq!(store.dataset_import(&crate::pid(&a.id), "i-2").await.unwrap(), Some(newer.clone()));
    assert_eq!(store.dataset_import(&crate::pid(&b.id), "i-2").await.unwrap(), None, "scoped by project");
    assert_eq!(store.list_imports(&crate::pid(&a.id), &sales.id).await.unwrap(), vec![newer.clone(), first.clone()], "newest first");

    let listed = store.list_datasets(&crate::pid(&a.id)).await.unwrap();
    assert_eq!(listed.iter().map(|l| l.dataset.name.as_str()).collect::<Vec<_>>(), ["Costs", "Sales 2025"], "by name");
    assert_eq!(listed[0].latest, None);
    assert_eq!(listed[0].uploader_email.as_deref(), Some("owner@example.com"), "no import yet: the creator");
    assert_eq!(listed[1].latest, Some(newer.clone()));
    assert_eq!(listed[1].uploader_email.as_deref(), Some("analyst@example.com"));

    store.update_dataset_counts(&crate::pid(&a.id), &sales.id, 1_000_000, 123_456_789, NOW + 20).await.unwrap();
    let counted = store.dataset(&crate::pid(&a.id), &sales.id).await.unwrap().unwrap();
    assert_eq!((counted.rows, counted.size_bytes, counted.updated_at_ms), (1_000_000, 123_456_789, NOW + 20));
    assert_eq!(store.update_dataset_counts(&crate::pid(&b.id), &sales.id, 1, 1, NOW).await, Err(StoreError::NotFound));

    assert_eq!(store.delete_dataset(&crate::pid(&b.id), &sales.id).await, Err(StoreError::NotFound), "not in that project");
    store.delete_dataset(&crate::pid(&a.id), &sales.id).await.unwrap();
    assert_eq!(store.dataset(&crate::pid(&a.id), &sales.id).await.unwrap(), None);
    assert_eq!(store.dataset_import(&crate::pid(&a.id), "i-1").await.unwrap(), None, "imports go with it");
    assert_eq!(store.list_datasets(&crate::pid(&a.id)).await.unwrap().len(), 1);
}

pub async fn chunks_are_counted_in_order_once(store: Arc<dyn PrimaryStore>) {
    let owner = user(store.as_ref(), "owner@example.com").await;
    let a = project(store.as_ref(), "alpha", &owner).await;
    let d = dataset("d-1", &a, "Ledger", &owner);
    store.insert_dataset(&d).await.unwrap();
    store.insert_import(&import("i-1", &d, &owner, NOW)).await.unwrap();

    store.record_chunk(&crate::pid(&a.id), "i-1", 0, 4, NOW + 1).await.unwrap();
    assert!(is_conflict(store.record_chunk(&crate::pid(&a.id), "i-1", 0, 4, NOW + 2).await), "a repeated chunk is not counted twice");
    assert!(is_conflict(store.record_chunk(&crate::pid(&a.id), "i-1", 2, 2, NOW + 2).await), "no gaps");
    store.record_chunk(&crate::pid(&a.id), "i-1", 1, 4, NOW + 3).await.unwrap();
    store.record_chunk(&crate::pid(&a.id), "i-1", 2, 2, NOW + 4).await.unwrap();
    let got = store.dataset_import(&crate::pid(&a.id), "i-1").await.unwrap().unwrap();
    assert_eq!((got.chunks_received, got.bytes_received), (3, 10));
    assert_eq!(store.record_chunk(&crate::pid(&a.id), "missing", 0, 1, NOW).await, Err(StoreError::NotFound));

    // Once the upload is over, chunks are refused.
    let mut analysing = got.clone();
    analysing.status = ImportStatus::Analysing;
    store.update_import(&analysing, ImportStatus::Uploading).await.unwrap();
    assert!(is_conflict(store.record_chunk(&crate::pid(&a.id), "i-1", 3, 1, NOW).await));
}

pub async fn import_status_changes_are_compare_and_set(store: Arc<dyn PrimaryStore>) {
    let owner = user(store.as_ref(), "owner@example.com").await;
    let a = project(store.as_ref(), "alpha", &owner).await;
    let d = dataset("d-1", &a, "Ledger", &owner);
    store.insert_dataset(&d).await.unwrap();
    let mut i = import("i-1", &d, &owner, NOW);
    store.insert_import(&i).await.unwrap();

    i.status = ImportStatus::Mapping;
    i.mapping = Some(json!({"header_row": 3, "columns": ["entity", null]}));
    i.preview = Some(json!({"sample": [["Ünïcode", "1,5"]]}));
    i.updated_at_ms = NOW + 5;
    store.update_import(&i, ImportStatus::Uploading).await.unwrap();

    // A second worker that still thinks it is uploading loses.
    let mut stale = i.clone();
    stale.status = ImportStatus::Failed;
    assert!(is_conflict(store.update_import(&stale, ImportStatus::Uploading).await));

    i.status = ImportStatus::Completed;
    i.analytics_import_id = Some("i-1.1".into());
    i.rows_read = 5;
    i.rows_accepted = 4;
    i.rows_rejected = 1;
    i.error = None;
    i.finished_at_ms = Some(NOW + 9);
    store.update_import(&i, ImportStatus::Mapping).await.unwrap();
    assert_eq!(store.dataset_import(&crate::pid(&a.id), "i-1").await.unwrap(), Some(i.clone()));

    let missing = DatasetImport { id: "nope".into(), ..i.clone() };
    assert_eq!(store.update_import(&missing, ImportStatus::Completed).await, Err(StoreError::NotFound));
}
