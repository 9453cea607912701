//! The knowledge base: review settings, drafts under optimistic versions (inserted all or
//! nothing), releases published in order and atomically with their drafts, entries shared
//! between releases, entry pages, imports and index records, all scoped by project and gone
//! with it.

use super::{is_conflict, user, NOW};
use domain::{
    kb::{
        ApiOperation, Column, Draft, DraftChange, DraftSource, DraftStatus, Entry, EntryKey, EntryKind, ImportFormat, ImportStatus,
        IndexStatus, KbImport, KbIndexRecord, ParamLocation, Parameter, Release, ReleaseEntry, ResponseSpec, Table,
    },
    ProjectSlug,
};
use serde_json::json;
use services::{
    ports::{DraftFilter, EntryFilter, KbSettings, NewProject, PrimaryStore, Project, ReleaseHeader, User},
    StoreError,
};
use std::sync::Arc;

async fn project(store: &dyn PrimaryStore, slug: &str, owner: &User) -> Project {
    let new = NewProject { slug: ProjectSlug::parse(slug).expect("valid slug"), name: slug.into(), description: String::new() };
    store.create_project(new, &owner.id, NOW).await.expect("create project")
}

fn operation(method: &str, path: &str, summary: &str) -> Entry {
    Entry::ApiOperation(ApiOperation {
        method: method.into(),
        path: path.into(),
        operation_id: String::new(),
        summary: summary.into(),
        description: "Ünïcode – and \"quotes\"".into(),
        tags: vec!["users".into()],
        auth: vec!["bearerAuth".into()],
        parameters: vec![Parameter {
            name: "limit".into(),
            location: ParamLocation::Query,
            description: String::new(),
            required: false,
            schema: json!({"type": "integer", "maximum": 100}),
            example: Some(json!(20)),
        }],
        request_body: None,
        responses: vec![ResponseSpec { status: "200".into(), description: "OK".into(), content: vec![] }],
        examples: vec![],
        deprecated: false,
    })
}

fn table(schema: &str, name: &str, description: &str) -> Entry {
    Entry::Table(Table {
        schema: schema.into(),
        name: name.into(),
        description: description.into(),
        columns: vec![Column {
            name: "id".into(),
            data_type: "bigint".into(),
            nullable: false,
            default: None,
            description: String::new(),
            examples: vec![],
        }],
        primary_key: vec!["id".into()],
        foreign_keys: vec![],
        indexes: vec![],
        example_queries: vec![],
    })
}

fn draft(id: &str, project: &Project, change: DraftChange, author: &str, at: i64) -> Draft {
    Draft::new(id, project.id.clone(), change, None, author, DraftSource::Manual, at)
}

/// Release `number` of `project` holding `entries` (sorted by key, as the store returns them).
fn release(project: &Project, number: u64, by: &str, entries: Vec<ReleaseEntry>) -> Release {
    let mut release = Release {
        project_id: project.id.clone(),
        number,
        created_by: by.into(),
        created_at_ms: NOW + number as i64,
        summary: format!("Release {number}"),
        entries,
        rolled_back_to: None,
    };
    release.sort_entries();
    release
}

/// `d` approved in `release` by `reviewer` (version bumped); paired with the version it had.
fn approved(d: &Draft, release: u64, reviewer: &str) -> (Draft, u64) {
    let mut a = d.clone();
    a.status = DraftStatus::Approved { release };
    a.reviewer_id = Some(reviewer.into());
    a.version += 1;
    a.updated_at_ms += 100;
    (a, d.version)
}

fn page(limit: u32) -> DraftFilter {
    DraftFilter { limit, ..Default::default() }
}

fn ids(drafts: &[Draft]) -> Vec<&str> {
    drafts.iter().map(|d| d.id.as_str()).collect()
}

fn names(entries: &[ReleaseEntry]) -> Vec<String> {
    entries.iter().map(|e| e.key().name).collect()
}

fn import(id: &str, project: &Project, by: &str, at: i64) -> KbImport {
    KbImport {
        id: id.into(),
        project_id: project.id.clone(),
        format: ImportFormat::OpenApi,
        file_name: "petstore.yaml".into(),
        blob_key: format!("kb-imports/{id}"),
        size_bytes: 12_345,
        status: ImportStatus::Queued,
        done: 0,
        total: 0,
        error: None,
        warnings: vec![],
        result_blob_key: None,
        entries: 0,
        drafts_made: 0,
        created_by: by.into(),
        created_at_ms: at,
        updated_at_ms: at,
    }
}

fn index(project: &Project, release: u64, at: i64) -> KbIndexRecord {
    KbIndexRecord {
        project_id: project.id.clone(),
        release,
        status: IndexStatus::Queued,
        done: 0,
        total: 0,
        blob_key: None,
        vector_model: None,
        dimensions: None,
        error: None,
        updated_at_ms: at,
    }
}

pub async fn kb_settings_default_until_saved(store: Arc<dyn PrimaryStore>) {
    let owner = user(store.as_ref(), "owner@example.com").await;
    let a = project(store.as_ref(), "alpha", &owner).await;
    let b = project(store.as_ref(), "beta", &owner).await;

    assert_eq!(store.kb_settings(&crate::pid(&a.id)).await.unwrap(), KbSettings::default());
    assert_eq!(store.kb_settings(&crate::pid("no-such-project")).await.unwrap(), KbSettings::default());
    let four_eyes = KbSettings { require_other_approver: true, ..KbSettings::default() };
    store.set_kb_settings(&crate::pid(&a.id), &four_eyes).await.unwrap();
    assert_eq!(store.kb_settings(&crate::pid(&a.id)).await.unwrap(), four_eyes);
    assert_eq!(store.kb_settings(&crate::pid(&b.id)).await.unwrap(), KbSettings::default(), "per project");
    let embedded =
        KbSettings { embedding_key_id: Some("key-1".into()), embedding_model: "text-embedding-3-small".into(), ..four_eyes.clone() };
    store.set_kb_settings(&crate::pid(&a.id), &embedded).await.unwrap();
    assert_eq!(store.kb_settings(&crate::pid(&a.id)).await.unwrap(), embedded, "the embedding key and model");
    assert_eq!(embedded.embeddings(), Some(("key-1", "text-embedding-3-small")));
    store.set_kb_settings(&crate::pid(&a.id), &KbSettings::default()).await.unwrap();
    assert_eq!(store.kb_settings(&crate::pid(&a.id)).await.unwrap(), KbSettings::default(), "saved again");
    assert_eq!(store.set_kb_settings(&crate::pid("no-such-project"), &four_eyes).await, Err(StoreError::NotFound));
}

pub async fn kb_drafts_are_stored_and_edited_under_an_optimistic_version(store: Arc<dyn PrimaryStore>) {
    let owner = user(store.as_ref(), "owner@example.com").await;
    let a = project(store.as_ref(), "alpha", &owner).await;
    let b = project(store.as_ref(), "beta", &owner).await;

    let upsert = draft("d-1", &a, DraftChange::Upsert(operation("GET", "/users/{id}", "One user")), &owner.id, NOW);
    let mut delete = Draft::new(
        "d-2",
        a.id.clone(),
        DraftChange::Delete(EntryKey::table("public", "legacy")),
        Some(3),
        "someone-gone",
        DraftSource::Rollback { to_release: 2 },
        NOW + 1,
    );
    delete.submitted_at_ms = Some(NOW + 2);
    delete.status = DraftStatus::InReview;
    let imported = Draft::new(
        "d-3",
        a.id.clone(),
        DraftChange::Upsert(table("billing", "invoices", "Invoices sent")),
        None,
        &owner.id,
        DraftSource::DdlImport { import_id: "i-1".into() },
        NOW + 2,
    );
    store.insert_drafts(&[upsert.clone(), delete.clone(), imported.clone()]).await.unwrap();
    assert_eq!(store.draft(&crate::pid(&a.id), "d-1").await.unwrap(), Some(upsert.clone()), "every field round-trips");
    assert_eq!(store.draft(&crate::pid(&a.id), "d-2").await.unwrap(), Some(delete.clone()));
    assert_eq!(store.draft(&crate::pid(&a.id), "d-3").await.unwrap(), Some(imported.clone()));
    assert_eq!(store.draft(&crate::pid(&b.id), "d-1").await.unwrap(), None, "scoped by project");
    assert_eq!(store.draft(&crate::pid(&a.id), "nope").await.unwrap(), None);
    store.insert_drafts(&[]).await.expect("nothing to insert");

    // All or nothing: one id that exists, or one unknown project, and none is written.
    let fresh = draft("d-4", &a, DraftChange::Upsert(table("public", "users", "")), &owner.id, NOW);
    assert!(is_conflict(store.insert_drafts(&[fresh.clone(), upsert.clone()]).await), "same id");
    assert_eq!(store.draft(&crate::pid(&a.id), "d-4").await.unwrap(), None);
    let ghost = Project { id: "no-such-project".into(), ..a.clone() };
    let lost = draft("d-5", &ghost, DraftChange::Upsert(table("public", "users", "")), &owner.id, NOW);
    assert_eq!(store.insert_drafts(&[fresh.clone(), lost]).await, Err(StoreError::NotFound));
    assert_eq!(store.draft(&crate::pid(&a.id), "d-4").await.unwrap(), None);

    // An edit, then a submission and a rejection: every field but identity, author and creation.
    let mut edited = upsert.clone();
    edited.save_edit(1, DraftChange::Upsert(operation("GET", "/users/{id}", "Fetch one user")), NOW + 10).unwrap();
    edited.base_revision = Some(1);
    store.update_draft(&edited, 1).await.unwrap();
    assert_eq!(store.draft(&crate::pid(&a.id), "d-1").await.unwrap(), Some(edited.clone()));
    let mut rejected = edited.clone();
    rejected.submit(NOW + 11).unwrap();
    rejected.reject(&owner.id, "Say what it returns", NOW + 12).unwrap();
    rejected.source = DraftSource::OpenApiImport { import_id: "i-9".into() };
    store.update_draft(&rejected, 2).await.unwrap();
    assert_eq!(store.draft(&crate::pid(&a.id), "d-1").await.unwrap(), Some(rejected.clone()));
    let immutable = Draft { author_id: "intruder".into(), created_at_ms: 1, version: 5, ..rejected.clone() };
    store.update_draft(&immutable, 4).await.unwrap();
    let stored = store.draft(&crate::pid(&a.id), "d-1").await.unwrap().unwrap();
    assert_eq!((stored.author_id.as_str(), stored.created_at_ms, stored.version), (owner.id.as_str(), NOW, 5), "author and creation stay");

    // A second editor who loaded an older version loses, and nothing of theirs is written.
    let mut stale = edited.clone();
    stale.review_comment = "stale".into();
    stale.version = 3;
    assert!(is_conflict(store.update_draft(&stale, 2).await));
    assert_eq!(store.draft(&crate::pid(&a.id), "d-1").await.unwrap().unwrap().version, 5);

    let elsewhere = Draft { project_id: b.id.clone(), version: 6, ..stored.clone() };
    assert_eq!(store.update_draft(&elsewhere, 5).await, Err(StoreError::NotFound), "not in that project");
    let missing = Draft { id: "nope".into(), version: 6, ..stored.clone() };
    assert_eq!(store.update_draft(&missing, 5).await, Err(StoreError::NotFound));

    // An approved draft keeps its release number.
    let (published, from) = approved(&delete, 7, &owner.id);
    store.update_draft(&published, from).await.unwrap();
    assert_eq!(store.draft(&crate::pid(&a.id), "d-2").await.unwrap().unwrap().status, DraftStatus::Approved { release: 7 });
}

pub async fn kb_drafts_are_filtered_paged_and_inserted_in_bulk(store: Arc<dyn PrimaryStore>) {
    let owner = user(store.as_ref(), "owner@example.com").await;
    let a = project(store.as_ref(), "alpha", &owner).await;
    let b = project(store.as_ref(), "beta", &owner).await;
    let users_key = EntryKey::table("public", "users");

    let d1 = draft("d-1", &a, DraftChange::Upsert(table("public", "users", "People")), "ada", NOW);
    let mut d2 = draft("d-2", &a, DraftChange::Upsert(operation("GET", "/users", "List")), "bob", NOW + 1);
    d2.status = DraftStatus::InReview;
    let mut d3 = draft("d-3", &a, DraftChange::Delete(users_key.clone()), "ada", NOW + 2);
    d3.status = DraftStatus::Withdrawn;
    let mut d4 = draft("d-4", &a, DraftChange::Upsert(table("public", "users", "Everyone")), "bob", NOW + 3);
    d4.status = DraftStatus::Approved { release: 1 };
    let other = draft("d-5", &b, DraftChange::Upsert(table("public", "users", "People")), "ada", NOW + 4);
    store.insert_drafts(&[d1.clone(), d2.clone(), d3.clone(), d4.clone(), other]).await.unwrap();

    let list = |filter: DraftFilter| {
        let store = store.clone();
        let project_id = a.id.clone();
        async move { store.list_drafts(&crate::pid(&project_id), &filter).await.unwrap().into_iter().map(|d| d.id).collect::<Vec<_>>() }
    };
    let all = store.list_drafts(&crate::pid(&a.id), &page(50)).await.unwrap();
    assert_eq!(ids(&all), ["d-4", "d-3", "d-2", "d-1"], "most recently updated first, project a only");
    assert_eq!(all[3], d1);
    let statuses = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(list(DraftFilter { statuses: statuses(&["draft", "in_review"]), ..page(50) }).await, ["d-2", "d-1"]);
    assert_eq!(list(DraftFilter { statuses: statuses(&["approved"]), ..page(50) }).await, ["d-4"]);
    assert_eq!(list(DraftFilter { statuses: statuses(&["rejected"]), ..page(50) }).await, Vec::<String>::new());
    assert_eq!(list(DraftFilter { author_id: Some("ada".into()), ..page(50) }).await, ["d-3", "d-1"]);
    assert_eq!(list(DraftFilter { key: Some(users_key.clone()), ..page(50) }).await, ["d-4", "d-3", "d-1"]);
    assert_eq!(list(DraftFilter { key: Some(EntryKey::table("public", "user")), ..page(50) }).await, Vec::<String>::new());
    assert_eq!(
        list(DraftFilter { key: Some(users_key), author_id: Some("ada".into()), statuses: statuses(&["draft"]), ..page(50) }).await,
        ["d-1"],
        "filters combine"
    );
    assert_eq!(list(DraftFilter { limit: 2, offset: 1, ..Default::default() }).await, ["d-3", "d-2"]);
    assert_eq!(list(DraftFilter { limit: 2, offset: 4, ..Default::default() }).await, Vec::<String>::new());

    // An edit moves a draft to the top.
    let mut moved = d1.clone();
    moved.version = 2;
    moved.updated_at_ms = NOW + 100;
    store.update_draft(&moved, 1).await.unwrap();
    assert_eq!(list(page(1)).await, ["d-1"]);

    // An import's thousands of drafts: more than one statement's worth, all or nothing.
    let many: Vec<Draft> = (0..4_000)
        .map(|i| {
            let change = DraftChange::Upsert(operation("GET", &format!("/r{i:04}"), "Generated"));
            let source = DraftSource::OpenApiImport { import_id: "i-1".into() };
            Draft::new(format!("bulk-{i:04}"), b.id.clone(), change, None, "ada", source, NOW + 10 + i64::from(i))
        })
        .collect();
    let mut clashing = many.clone();
    clashing[3_999].id = "d-5".into();
    assert!(is_conflict(store.insert_drafts(&clashing).await), "the last one's id exists");
    assert_eq!(store.list_drafts(&crate::pid(&b.id), &page(10)).await.unwrap().len(), 1, "none of the others was written");
    store.insert_drafts(&many).await.unwrap();
    let newest = store.list_drafts(&crate::pid(&b.id), &DraftFilter { limit: 2, ..Default::default() }).await.unwrap();
    assert_eq!(newest, [many[3_999].clone(), many[3_998].clone()]);
    assert_eq!(store.list_drafts(&crate::pid(&b.id), &page(5_000)).await.unwrap().len(), 4_001);
}

pub async fn kb_releases_are_published_in_order_and_atomically(store: Arc<dyn PrimaryStore>) {
    let owner = user(store.as_ref(), "owner@example.com").await;
    let a = project(store.as_ref(), "alpha", &owner).await;
    let b = project(store.as_ref(), "beta", &owner).await;
    assert_eq!(store.latest_release(&crate::pid(&a.id)).await.unwrap(), None);
    assert_eq!(store.list_releases(&crate::pid(&a.id), None, 10).await.unwrap(), vec![]);

    let users = table("public", "users", "People");
    let d1 = draft("d-1", &a, DraftChange::Upsert(users.clone()), &owner.id, NOW);
    let d2 = draft("d-2", &a, DraftChange::Upsert(operation("GET", "/users", "List users")), &owner.id, NOW);
    store.insert_drafts(&[d1.clone(), d2.clone()]).await.unwrap();

    // Release 1 must be the first.
    let r2_first = release(&a, 2, &owner.id, vec![ReleaseEntry::new(users.clone(), 1)]);
    assert!(is_conflict(store.publish_release(&r2_first, &[]).await), "2 does not follow nothing");
    assert_eq!(store.latest_release(&crate::pid(&a.id)).await.unwrap(), None);

    let r1 = release(
        &a,
        1,
        &owner.id,
        vec![ReleaseEntry::new(users.clone(), 1), ReleaseEntry::new(operation("GET", "/users", "List users"), 1)],
    );
    let (a1, v1) = approved(&d1, 1, &owner.id);
    let (a2, v2) = approved(&d2, 1, &owner.id);
    store.publish_release(&r1, &[(a1.clone(), v1), (a2.clone(), v2)]).await.unwrap();
    assert_eq!(store.release(&crate::pid(&a.id), 1).await.unwrap(), Some(r1.clone()), "the snapshot round-trips, sorted by key");
    assert_eq!(store.draft(&crate::pid(&a.id), "d-1").await.unwrap(), Some(a1.clone()), "drafts written with the release");
    assert_eq!(store.draft(&crate::pid(&a.id), "d-2").await.unwrap(), Some(a2.clone()));
    let header1 = ReleaseHeader {
        project_id: a.id.clone(),
        number: 1,
        created_by: owner.id.clone(),
        created_by_email: Some(owner.email.as_str().to_owned()),
        created_at_ms: r1.created_at_ms,
        summary: "Release 1".into(),
        rolled_back_to: None,
        api_operations: 1,
        tables: 1,
    };
    assert_eq!(store.latest_release(&crate::pid(&a.id)).await.unwrap(), Some(header1.clone()));
    assert_eq!(store.release(&crate::pid(&b.id), 1).await.unwrap(), None, "scoped by project");
    assert_eq!(store.latest_release(&crate::pid(&b.id)).await.unwrap(), None);

    // Release 2 by someone without an account, with a draft changed meanwhile: nothing is
    // written, not the release, its entries or the other draft.
    let d3 = draft("d-3", &a, DraftChange::Upsert(table("public", "teams", "Teams")), &owner.id, NOW + 5);
    let d4 = draft("d-4", &a, DraftChange::Delete(EntryKey::api("GET", "/users")), &owner.id, NOW + 5);
    store.insert_drafts(&[d3.clone(), d4.clone()]).await.unwrap();
    let r2 = Release {
        rolled_back_to: Some(1),
        ..release(&a, 2, "gone-user", vec![ReleaseEntry::new(users.clone(), 1), ReleaseEntry::new(table("public", "teams", "Teams"), 2)])
    };
    let (a3, v3) = approved(&d3, 2, &owner.id);
    let (a4, v4) = approved(&d4, 2, &owner.id);
    let mut meanwhile = d4.clone();
    meanwhile.version = 2;
    store.update_draft(&meanwhile, 1).await.unwrap();
    assert!(is_conflict(store.publish_release(&r2, &[(a3.clone(), v3), (a4.clone(), v4)]).await), "d-4 moved");
    assert_eq!(store.release(&crate::pid(&a.id), 2).await.unwrap(), None);
    assert_eq!(store.release_entries(&crate::pid(&a.id), 2, &EntryFilter { limit: 10, ..Default::default() }).await.unwrap(), (vec![], 0));
    assert_eq!(store.latest_release(&crate::pid(&a.id)).await.unwrap().map(|h| h.number), Some(1));
    assert_eq!(store.draft(&crate::pid(&a.id), "d-3").await.unwrap(), Some(d3.clone()), "rolled back with the release");
    let missing = Draft { id: "nope".into(), ..a3.clone() };
    assert_eq!(store.publish_release(&r2, &[(a3.clone(), v3), (missing, 1)]).await, Err(StoreError::NotFound));
    assert_eq!(store.release(&crate::pid(&a.id), 2).await.unwrap(), None);
    let foreign = Draft { project_id: b.id.clone(), ..a3.clone() };
    assert!(matches!(store.publish_release(&r2, &[(foreign, v3)]).await, Err(StoreError::Invalid(_))));
    let ghost = Release { project_id: "no-such-project".into(), ..r1.clone() };
    assert_eq!(store.publish_release(&ghost, &[]).await, Err(StoreError::NotFound));

    // Now it goes through; publishing 2 again loses (another publish won), as does a gap.
    let (a4, v4) = approved(&meanwhile, 2, &owner.id);
    store.publish_release(&r2, &[(a3.clone(), v3), (a4.clone(), v4)]).await.unwrap();
    assert_eq!(store.release(&crate::pid(&a.id), 2).await.unwrap(), Some(r2.clone()));
    assert_eq!(store.draft(&crate::pid(&a.id), "d-4").await.unwrap(), Some(a4.clone()));
    let again = Release { summary: "Again".into(), ..r2.clone() };
    assert!(is_conflict(store.publish_release(&again, &[]).await), "2 exists");
    assert!(is_conflict(store.publish_release(&release(&a, 4, &owner.id, vec![]), &[]).await), "4 does not follow 2");
    assert_eq!(store.release(&crate::pid(&a.id), 2).await.unwrap(), Some(r2.clone()));
    assert_eq!(store.release(&crate::pid(&a.id), 4).await.unwrap(), None);

    // Newest first, the creator's e-mail while the account exists, paged by number.
    let header2 = ReleaseHeader {
        number: 2,
        created_by: "gone-user".into(),
        created_by_email: None,
        created_at_ms: r2.created_at_ms,
        summary: "Release 2".into(),
        rolled_back_to: Some(1),
        api_operations: 0,
        tables: 2,
        ..header1.clone()
    };
    assert_eq!(store.latest_release(&crate::pid(&a.id)).await.unwrap(), Some(header2.clone()));
    assert_eq!(store.list_releases(&crate::pid(&a.id), None, 10).await.unwrap(), [header2.clone(), header1.clone()]);
    assert_eq!(store.list_releases(&crate::pid(&a.id), None, 1).await.unwrap(), std::slice::from_ref(&header2));
    assert_eq!(store.list_releases(&crate::pid(&a.id), Some(2), 10).await.unwrap(), std::slice::from_ref(&header1));
    assert_eq!(store.list_releases(&crate::pid(&a.id), Some(1), 10).await.unwrap(), vec![]);
    assert_eq!(store.list_releases(&crate::pid(&b.id), None, 10).await.unwrap(), vec![]);

    // Another project counts from 1 on its own; an empty release is a release.
    store.publish_release(&release(&b, 1, &owner.id, vec![]), &[]).await.unwrap();
    assert_eq!(store.release(&crate::pid(&b.id), 1).await.unwrap().unwrap().entries, vec![]);
}

pub async fn kb_concurrent_publishes_of_one_number_have_one_winner(store: Arc<dyn PrimaryStore>) {
    let owner = user(store.as_ref(), "owner@example.com").await;
    let a = project(store.as_ref(), "alpha", &owner).await;
    let mut tasks = Vec::new();
    for i in 0..6 {
        let store = store.clone();
        let r = release(&a, 1, &owner.id, vec![ReleaseEntry::new(table("public", &format!("t{i}"), "Racing"), 1)]);
        tasks.push(tokio::spawn(async move { (store.publish_release(&r, &[]).await, r) }));
    }
    let mut winners = Vec::new();
    for task in tasks {
        match task.await.expect("task") {
            (Ok(()), r) => winners.push(r),
            (Err(StoreError::Conflict(_)), _) => {}
            (other, _) => panic!("a losing publish gave {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one publish of release 1 wins");
    assert_eq!(store.release(&crate::pid(&a.id), 1).await.unwrap(), Some(winners[0].clone()), "the winner's entries, no one else's");
}

pub async fn kb_unchanged_entries_are_shared_between_releases(store: Arc<dyn PrimaryStore>) {
    let owner = user(store.as_ref(), "owner@example.com").await;
    let a = project(store.as_ref(), "alpha", &owner).await;
    let b = project(store.as_ref(), "beta", &owner).await;

    let users = table("public", "users", "People");
    let teams = table("public", "teams", "Teams");
    let list = operation("GET", "/users", "List users");
    let r1 = release(
        &a,
        1,
        &owner.id,
        vec![ReleaseEntry::new(users.clone(), 1), ReleaseEntry::new(teams.clone(), 1), ReleaseEntry::new(list.clone(), 1)],
    );
    store.publish_release(&r1, &[]).await.unwrap();

    // Release 2 changes one entry, keeps one, removes one; release 3 brings release 1 back.
    let users2 = table("public", "users", "People who sign in");
    let r2 = release(&a, 2, &owner.id, vec![ReleaseEntry::new(users2.clone(), 2), ReleaseEntry::new(list.clone(), 1)]);
    store.publish_release(&r2, &[]).await.unwrap();
    let r3 = Release {
        rolled_back_to: Some(1),
        ..release(
            &a,
            3,
            &owner.id,
            vec![ReleaseEntry::new(users.clone(), 3), ReleaseEntry::new(teams.clone(), 3), ReleaseEntry::new(list.clone(), 1)],
        )
    };
    store.publish_release(&r3, &[]).await.unwrap();
    // The same content in another project is that project's own.
    let rb = release(&b, 1, &owner.id, vec![ReleaseEntry::new(users.clone(), 1)]);
    store.publish_release(&rb, &[]).await.unwrap();

    for (project, r) in [(&a, &r1), (&a, &r2), (&a, &r3), (&b, &rb)] {
        assert_eq!(
            store.release(&crate::pid(&project.id), r.number).await.unwrap().as_ref(),
            Some(r),
            "release {} reads back whole",
            r.number
        );
    }
    let shared = |n: u64| {
        let store = store.clone();
        let project_id = a.id.clone();
        async move { store.release_entry(&crate::pid(&project_id), n, &EntryKey::api("GET", "/users")).await.unwrap().unwrap() }
    };
    assert_eq!(shared(1).await, shared(3).await);
    assert_eq!(store.release_entry(&crate::pid(&a.id), 2, &EntryKey::table("public", "users")).await.unwrap().unwrap().entry, users2);
    assert_eq!(
        store.release_entry(&crate::pid(&a.id), 3, &EntryKey::table("public", "users")).await.unwrap().unwrap(),
        ReleaseEntry::new(users.clone(), 3)
    );
    assert_eq!(store.release_entry(&crate::pid(&a.id), 2, &EntryKey::table("public", "teams")).await.unwrap(), None, "removed in 2");
    assert_eq!(store.release_entry(&crate::pid(&b.id), 1, &EntryKey::api("GET", "/users")).await.unwrap(), None);

    // An entry whose hash is not its content's would poison every release sharing it.
    let mut forged = ReleaseEntry::new(table("public", "orders", "Orders"), 4);
    forged.content_hash = "0".repeat(64);
    let r4 = release(&a, 4, &owner.id, vec![forged]);
    assert!(matches!(store.publish_release(&r4, &[]).await, Err(StoreError::Invalid(_))));
    let twice = release(&a, 4, &owner.id, vec![ReleaseEntry::new(users.clone(), 3), ReleaseEntry::new(users2.clone(), 4)]);
    assert!(matches!(store.publish_release(&twice, &[]).await, Err(StoreError::Invalid(_))), "one key twice");
    assert_eq!(store.latest_release(&crate::pid(&a.id)).await.unwrap().unwrap().number, 3);
}

pub async fn kb_release_entries_are_filtered_paged_and_counted(store: Arc<dyn PrimaryStore>) {
    let owner = user(store.as_ref(), "owner@example.com").await;
    let a = project(store.as_ref(), "alpha", &owner).await;
    let b = project(store.as_ref(), "beta", &owner).await;
    let entries = vec![
        ReleaseEntry::new(operation("GET", "/users", "List"), 1),
        ReleaseEntry::new(operation("POST", "/users", "Create"), 1),
        ReleaseEntry::new(operation("GET", "/Users/{id}", "One"), 1),
        ReleaseEntry::new(operation("GET", "/orders", "Orders"), 1),
        ReleaseEntry::new(table("public", "users", "People"), 1),
        ReleaseEntry::new(table("public", "user_roles", "Roles"), 1),
        ReleaseEntry::new(table("public", "userxroles", "Not the one"), 1),
        ReleaseEntry::new(table("audit", "events", "Events"), 1),
    ];
    let r1 = release(&a, 1, &owner.id, entries);
    store.publish_release(&r1, &[]).await.unwrap();
    store.publish_release(&release(&b, 1, &owner.id, vec![ReleaseEntry::new(table("public", "users", "People"), 1)]), &[]).await.unwrap();

    let get = |filter: EntryFilter| {
        let store = store.clone();
        let project_id = a.id.clone();
        async move {
            let (entries, total) = store.release_entries(&crate::pid(&project_id), 1, &filter).await.unwrap();
            (names(&entries), total)
        }
    };
    let all = EntryFilter { limit: 100, ..Default::default() };
    let (every, total) = store.release_entries(&crate::pid(&a.id), 1, &all).await.unwrap();
    assert_eq!(every, r1.entries, "sorted by kind, then name by bytes (upper case first)");
    assert_eq!(total, 8);
    assert_eq!(
        names(&every),
        [
            "GET /Users/{id}",
            "GET /orders",
            "GET /users",
            "POST /users",
            "audit.events",
            "public.user_roles",
            "public.users",
            "public.userxroles"
        ]
    );
    assert_eq!(
        get(EntryFilter { limit: 3, offset: 2, ..Default::default() }).await,
        (names(&r1.entries[2..5]), 8),
        "a page, and the total"
    );
    assert_eq!(get(EntryFilter { limit: 3, offset: 8, ..Default::default() }).await, (vec![], 8));
    let tables = get(EntryFilter { kind: Some(EntryKind::Table), ..all.clone() }).await;
    assert_eq!(tables, (names(&r1.entries[4..]), 4));
    let users = get(EntryFilter { search: Some("USERS".into()), ..all.clone() }).await;
    assert_eq!(users.0, ["GET /Users/{id}", "GET /users", "POST /users", "public.users"], "ASCII case-insensitive substring");
    assert_eq!(users.1, 4);
    assert_eq!(
        get(EntryFilter { search: Some("user_r".into()), ..all.clone() }).await,
        (vec!["public.user_roles".to_owned()], 1),
        "_ is literal"
    );
    assert_eq!(get(EntryFilter { search: Some("%".into()), ..all.clone() }).await, (vec![], 0), "% is literal");
    assert_eq!(
        get(EntryFilter { kind: Some(EntryKind::ApiOperation), search: Some("users".into()), limit: 2, offset: 1 }).await,
        (vec!["GET /users".to_owned(), "POST /users".to_owned()], 3),
        "filters combine with paging"
    );
    assert_eq!(get(EntryFilter { search: Some(String::new()), ..all.clone() }).await.1, 8, "an empty search filters nothing");

    assert_eq!(store.release_entries(&crate::pid(&a.id), 2, &all).await.unwrap(), (vec![], 0), "no such release");
    let (theirs, total) = store.release_entries(&crate::pid(&b.id), 1, &all).await.unwrap();
    assert_eq!((names(&theirs), total), (vec!["public.users".to_owned()], 1), "scoped by project");
    let key = EntryKey::api("POST", "/users");
    assert_eq!(store.release_entry(&crate::pid(&a.id), 1, &key).await.unwrap().as_ref(), r1.entry(&key));
    assert_eq!(store.release_entry(&crate::pid(&a.id), 1, &EntryKey::api("DELETE", "/users")).await.unwrap(), None);
    assert_eq!(store.release_entry(&crate::pid(&b.id), 1, &key).await.unwrap(), None);
}

pub async fn kb_ten_thousand_entries_publish_and_read_back(store: Arc<dyn PrimaryStore>) {
    let owner = user(store.as_ref(), "owner@example.com").await;
    let a = project(store.as_ref(), "alpha", &owner).await;
    let entry = |i: usize, summary: &str| {
        if i.is_multiple_of(4) {
            table("app", &format!("table_{i:05}"), summary)
        } else {
            operation("GET", &format!("/resources/{i:05}/{{id}}"), summary)
        }
    };
    let r1 = release(&a, 1, &owner.id, (0..10_000).map(|i| ReleaseEntry::new(entry(i, "Generated"), 1)).collect());
    store.publish_release(&r1, &[]).await.unwrap();
    assert_eq!(store.release(&crate::pid(&a.id), 1).await.unwrap(), Some(r1.clone()));
    let header = store.latest_release(&crate::pid(&a.id)).await.unwrap().unwrap();
    assert_eq!((header.api_operations, header.tables), (7_500, 2_500));

    // Three entries change, approved through 2,500 drafts (several statements' worth).
    let drafts: Vec<Draft> =
        (0..2_500).map(|i| draft(&format!("d-{i:04}"), &a, DraftChange::Upsert(entry(i, "Changed")), &owner.id, NOW + i as i64)).collect();
    store.insert_drafts(&drafts).await.unwrap();
    let mut entries = r1.entries.clone();
    for i in [0usize, 1, 9_999] {
        let key = entry(i, "").key();
        let at = entries.iter().position(|e| e.key() == key).unwrap();
        entries[at] = ReleaseEntry::new(entry(i, "Changed"), 2);
    }
    let r2 = release(&a, 2, &owner.id, entries);
    let approvals: Vec<(Draft, u64)> = drafts.iter().map(|d| approved(d, 2, &owner.id)).collect();
    store.publish_release(&r2, &approvals).await.unwrap();
    assert_eq!(store.release(&crate::pid(&a.id), 2).await.unwrap(), Some(r2.clone()));
    assert_eq!(store.release(&crate::pid(&a.id), 1).await.unwrap(), Some(r1), "release 1 is as it was");
    let filter = DraftFilter { statuses: vec!["approved".into()], limit: 3_000, ..Default::default() };
    assert_eq!(store.list_drafts(&crate::pid(&a.id), &filter).await.unwrap().len(), 2_500, "every draft written with the release");
    let (page, total) = store
        .release_entries(&crate::pid(&a.id), 2, &EntryFilter { search: Some("/00001/".into()), limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!((page, total), (vec![ReleaseEntry::new(entry(1, "Changed"), 2)], 1));
}

pub async fn kb_imports_are_compare_and_set_and_listed_newest_first(store: Arc<dyn PrimaryStore>) {
    let owner = user(store.as_ref(), "owner@example.com").await;
    let a = project(store.as_ref(), "alpha", &owner).await;
    let b = project(store.as_ref(), "beta", &owner).await;

    let first = import("i-1", &a, &owner.id, NOW);
    store.insert_kb_import(&first).await.unwrap();
    assert_eq!(store.kb_import(&crate::pid(&a.id), "i-1").await.unwrap(), Some(first.clone()));
    assert_eq!(store.kb_import(&crate::pid(&b.id), "i-1").await.unwrap(), None, "scoped by project");
    assert!(is_conflict(store.insert_kb_import(&first).await), "same id");
    let ghost = Project { id: "no-such-project".into(), ..a.clone() };
    assert_eq!(store.insert_kb_import(&import("i-x", &ghost, &owner.id, NOW)).await, Err(StoreError::NotFound));

    // queued → parsing → ready, each step compare-and-set on the status.
    let mut parsing = first.clone();
    parsing.status = ImportStatus::Parsing;
    parsing.done = 10;
    parsing.total = 40;
    parsing.updated_at_ms = NOW + 1;
    store.update_kb_import(&parsing, ImportStatus::Queued).await.unwrap();
    assert_eq!(store.kb_import(&crate::pid(&a.id), "i-1").await.unwrap(), Some(parsing.clone()));
    let mut ready = parsing.clone();
    ready.status = ImportStatus::Ready;
    ready.done = 40;
    ready.warnings = vec!["skipped a remote $ref at #/paths/~1users".into(), "ünknown statement on line 3".into()];
    ready.result_blob_key = Some("kb-imports/i-1.entries.json".into());
    ready.entries = 40;
    ready.updated_at_ms = NOW + 2;
    let mut racing = ready.clone();
    racing.status = ImportStatus::Failed;
    racing.error = Some("late worker".into());
    store.update_kb_import(&ready, ImportStatus::Parsing).await.unwrap();
    assert!(is_conflict(store.update_kb_import(&racing, ImportStatus::Parsing).await), "a stale writer loses");
    assert_eq!(store.kb_import(&crate::pid(&a.id), "i-1").await.unwrap(), Some(ready.clone()));

    // Applied: identity, file and creator stay as inserted.
    let mut applied = ready.clone();
    applied.status = ImportStatus::Applied;
    applied.drafts_made = 38;
    applied.file_name = "renamed.yaml".into();
    applied.blob_key = "elsewhere".into();
    applied.created_by = "someone-else".into();
    store.update_kb_import(&applied, ImportStatus::Ready).await.unwrap();
    let stored = store.kb_import(&crate::pid(&a.id), "i-1").await.unwrap().unwrap();
    assert_eq!(stored, KbImport { status: ImportStatus::Applied, drafts_made: 38, ..ready.clone() });

    let elsewhere = KbImport { project_id: b.id.clone(), ..applied.clone() };
    assert_eq!(store.update_kb_import(&elsewhere, ImportStatus::Applied).await, Err(StoreError::NotFound));
    let missing = KbImport { id: "nope".into(), ..applied.clone() };
    assert_eq!(store.update_kb_import(&missing, ImportStatus::Applied).await, Err(StoreError::NotFound));

    let mut failed = import("i-2", &a, &owner.id, NOW + 10);
    failed.format = ImportFormat::DdlMysql;
    failed.status = ImportStatus::Failed;
    failed.error = Some("line 7: unexpected token".into());
    store.insert_kb_import(&failed).await.unwrap();
    store.insert_kb_import(&KbImport { format: ImportFormat::DdlPostgres, ..import("i-3", &a, &owner.id, NOW + 5) }).await.unwrap();
    store.insert_kb_import(&import("i-4", &b, &owner.id, NOW + 20)).await.unwrap();
    let listed: Vec<String> = store.list_kb_imports(&crate::pid(&a.id), 10).await.unwrap().into_iter().map(|i| i.id).collect();
    assert_eq!(listed, ["i-2", "i-3", "i-1"], "newest first, project a only");
    assert_eq!(store.list_kb_imports(&crate::pid(&a.id), 1).await.unwrap(), [failed]);
}

pub async fn kb_index_records_are_put_replaced_and_read(store: Arc<dyn PrimaryStore>) {
    let owner = user(store.as_ref(), "owner@example.com").await;
    let a = project(store.as_ref(), "alpha", &owner).await;
    let b = project(store.as_ref(), "beta", &owner).await;
    assert_eq!(store.put_kb_index(&index(&a, 1, NOW)).await, Err(StoreError::NotFound), "no release 1 yet");
    let ghost = Project { id: "no-such-project".into(), ..a.clone() };
    assert_eq!(store.put_kb_index(&index(&ghost, 1, NOW)).await, Err(StoreError::NotFound));

    store.publish_release(&release(&a, 1, &owner.id, vec![ReleaseEntry::new(table("public", "users", ""), 1)]), &[]).await.unwrap();
    store.publish_release(&release(&a, 2, &owner.id, vec![]), &[]).await.unwrap();
    let queued = index(&a, 1, NOW);
    store.put_kb_index(&queued).await.unwrap();
    assert_eq!(store.kb_index(&crate::pid(&a.id), 1).await.unwrap(), Some(queued.clone()));
    let ready = KbIndexRecord {
        status: IndexStatus::Ready,
        done: 120,
        total: 120,
        blob_key: Some("kb-index/alpha/1".into()),
        vector_model: Some("text-embedding-3-small".into()),
        dimensions: Some(1_536),
        updated_at_ms: NOW + 5,
        ..queued.clone()
    };
    store.put_kb_index(&ready).await.unwrap();
    assert_eq!(store.kb_index(&crate::pid(&a.id), 1).await.unwrap(), Some(ready.clone()), "replaced");
    let failed = KbIndexRecord { status: IndexStatus::Failed, error: Some("embeddings: 429".into()), ..index(&a, 2, NOW + 6) };
    store.put_kb_index(&failed).await.unwrap();
    assert_eq!(store.kb_index(&crate::pid(&a.id), 2).await.unwrap(), Some(failed));
    assert_eq!(store.kb_index(&crate::pid(&a.id), 1).await.unwrap(), Some(ready), "one record per release");
    assert_eq!(store.kb_index(&crate::pid(&a.id), 3).await.unwrap(), None);
    assert_eq!(store.kb_index(&crate::pid(&b.id), 1).await.unwrap(), None, "scoped by project");
    assert_eq!(store.put_kb_index(&index(&b, 1, NOW)).await, Err(StoreError::NotFound), "b has no release 1");
}

pub async fn kb_deleting_a_project_removes_its_knowledge_base(store: Arc<dyn PrimaryStore>) {
    let owner = user(store.as_ref(), "owner@example.com").await;
    let doomed = project(store.as_ref(), "doomed", &owner).await;
    let kept = project(store.as_ref(), "kept", &owner).await;
    let users = table("public", "users", "People");
    for p in [&doomed, &kept] {
        store.set_kb_settings(&crate::pid(&p.id), &KbSettings { require_other_approver: true, ..KbSettings::default() }).await.unwrap();
        let d = draft(&format!("d-{}", p.name), p, DraftChange::Upsert(users.clone()), &owner.id, NOW);
        store.insert_drafts(std::slice::from_ref(&d)).await.unwrap();
        let r = release(p, 1, &owner.id, vec![ReleaseEntry::new(users.clone(), 1)]);
        store.publish_release(&r, &[approved(&d, 1, &owner.id)]).await.unwrap();
        store.insert_kb_import(&import(&format!("i-{}", p.name), p, &owner.id, NOW)).await.unwrap();
        store.put_kb_index(&index(p, 1, NOW)).await.unwrap();
    }

    store.delete_project(&crate::pid(&doomed.id)).await.expect("delete a project with a knowledge base");
    assert_eq!(store.kb_settings(&crate::pid(&doomed.id)).await.unwrap(), KbSettings::default());
    assert_eq!(store.draft(&crate::pid(&doomed.id), "d-doomed").await.unwrap(), None);
    assert_eq!(store.list_drafts(&crate::pid(&doomed.id), &page(10)).await.unwrap(), vec![]);
    assert_eq!(store.latest_release(&crate::pid(&doomed.id)).await.unwrap(), None);
    assert_eq!(store.release(&crate::pid(&doomed.id), 1).await.unwrap(), None);
    assert_eq!(
        store.release_entries(&crate::pid(&doomed.id), 1, &EntryFilter { limit: 10, ..Default::default() }).await.unwrap(),
        (vec![], 0)
    );
    assert_eq!(store.kb_import(&crate::pid(&doomed.id), "i-doomed").await.unwrap(), None);
    assert_eq!(store.kb_index(&crate::pid(&doomed.id), 1).await.unwrap(), None);

    assert_eq!(
        store.kb_settings(&crate::pid(&kept.id)).await.unwrap(),
        KbSettings { require_other_approver: true, ..KbSettings::default() },
        "other projects stay"
    );
    assert!(store.draft(&crate::pid(&kept.id), "d-kept").await.unwrap().is_some());
    assert_eq!(
        store.release(&crate::pid(&kept.id), 1).await.unwrap().unwrap().entries,
        vec![ReleaseEntry::new(users, 1)],
        "shared content stays"
    );
    assert!(store.kb_import(&crate::pid(&kept.id), "i-kept").await.unwrap().is_some());
    assert!(store.kb_index(&crate::pid(&kept.id), 1).await.unwrap().is_some());
}
