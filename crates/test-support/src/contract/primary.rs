//! The primary store's contract: every adapter (SQLite, PostgreSQL) must pass
//! each case. Run them with [`primary_contract_tests!`](crate::primary_contract_tests).
//!
//! Times are passed explicitly (`now_ms`), so lease expiry is tested by moving
//! the clock forward, never by sleeping.
//!
//! Projects, API keys and plans are in [`accounts`], the audit log in
//! [`audit`], password-reset tokens in [`password_resets`], model prices and trace
//! retention in [`prices`], provider keys, personas and conversations in [`llm_config`], test
//! cases, suites and runs in [`testcases`], the knowledge base in [`kb`].

mod accounts;
mod audit;
mod datasets;
mod kb;
mod llm_config;
mod password_resets;
mod prices;
mod testcases;

pub use accounts::*;
pub use audit::*;
pub use datasets::*;
pub use kb::*;
pub use llm_config::*;
pub use password_resets::*;
pub use prices::*;
pub use testcases::*;

use domain::{Email, GlobalRole, JobId, JobStatus, NewJob};
use serde_json::json;
use services::{
    ports::{LeasedJob, NewUser, PrimaryStore, SessionInfo, User},
    StoreError,
};
use std::{collections::BTreeMap, sync::Arc};

/// A fixed "now" (2023-11-14T22:13:20Z); cases move forward from it.
const NOW: i64 = 1_700_000_000_000;
const LEASE_MS: i64 = 30_000;

/// Expands to one `#[tokio::test]` (multi-thread, 4 workers) per case, each on
/// a fresh, migrated store made by `$make` (an expression giving a future of
/// `(Arc<dyn PrimaryStore>, RawSql)`; the tamper cases also get the
/// [`RawSql`](crate::backends::RawSql) back door).
///
/// ```ignore
/// mod sqlite {
///     test_support::primary_contract_tests!(test_support::backends::sqlite_primary_with_sql());
/// }
/// ```
#[macro_export]
macro_rules! primary_contract_tests {
    ($make:expr) => {
        $crate::primary_contract_tests!(@cases $make;
            migrate_twice_is_idempotent,
            ping_answers,
            users_are_created_found_and_counted,
            duplicate_email_is_a_conflict,
            user_fields_round_trip_and_users_are_listed,
            users_are_disabled_renamed_and_given_roles,
            set_password_clears_the_lock_and_bumps_the_change_time,
            login_failures_count_up_atomically_and_locks_only_grow,
            sessions_are_created_saved_loaded_and_deleted,
            expired_sessions_are_not_loaded_and_are_deleted,
            user_sessions_are_listed_and_revoked,
            job_is_enqueued_leased_and_completed,
            lease_returns_none_when_queue_is_empty,
            unknown_job_is_not_found,
            concurrent_workers_never_lease_the_same_job,
            expired_lease_is_taken_over_and_old_worker_conflicts,
            failing_job_stops_after_max_attempts,
            expired_leases_stop_after_max_attempts,
            retry_waits_for_its_delay,
            heartbeat_keeps_the_lease,
            release_worker_jobs_requeues_without_using_an_attempt,
            queue_depth_counts_queued_and_running,
            project_is_created_with_its_owner_atomically,
            projects_of_user_lists_member_projects_with_roles,
            members_are_added_changed_and_removed,
            the_last_owner_cannot_be_removed_or_demoted,
            projects_are_updated_and_deleted_with_members_and_keys,
            api_keys_are_created_listed_revoked_and_touched,
            the_free_plan_is_seeded_as_default,
            plans_are_created_updated_and_listed,
            set_default_plan_is_exclusive,
            plan_of_user_is_assigned_else_default,
            audit_entries_chain_from_genesis,
            concurrent_appends_never_fork_the_chain,
            audit_is_filtered_and_paged_newest_first,
            reset_token_is_consumed_once_before_it_expires,
            reset_for_an_unknown_user_is_not_found,
            concurrent_consumes_give_the_user_once,
            resets_of_a_user_are_deleted,
            model_prices_are_upserted_listed_and_deleted,
            model_prices_are_seeded_once,
            seeding_concurrently_seeds_once,
            project_retention_is_set_read_and_listed,
            a_job_is_enqueued_once_while_pending,
            provider_keys_are_scoped_listed_updated_and_deleted,
            provider_key_ciphertexts_are_swapped_all_or_nothing,
            personas_are_created_listed_updated_and_deleted,
            conversations_are_saved_listed_newest_first_and_deleted,
            datasets_are_named_once_listed_with_their_newest_import_and_deleted,
            chunks_are_counted_in_order_once,
            import_status_changes_are_compare_and_set,
            testcases_are_stored_and_edited_under_an_optimistic_version,
            testcases_are_filtered_paged_and_scoped_by_project,
            testcases_status_changes_are_compare_and_set,
            testcases_comments_are_listed_oldest_first_with_author_email,
            testcases_suites_keep_their_cases_in_order,
            testcases_runs_are_compare_and_set_and_listed_newest_first,
            testcases_suite_run_counts_come_from_the_runs,
            testcases_deleting_a_case_removes_its_comments_and_runs,
            kb_settings_default_until_saved,
            kb_drafts_are_stored_and_edited_under_an_optimistic_version,
            kb_drafts_are_filtered_paged_and_inserted_in_bulk,
            kb_releases_are_published_in_order_and_atomically,
            kb_concurrent_publishes_of_one_number_have_one_winner,
            kb_unchanged_entries_are_shared_between_releases,
            kb_release_entries_are_filtered_paged_and_counted,
            kb_ten_thousand_entries_publish_and_read_back,
            kb_imports_are_compare_and_set_and_listed_newest_first,
            kb_index_records_are_put_replaced_and_read,
            kb_deleting_a_project_removes_its_knowledge_base,
        );
        $crate::primary_contract_tests!(@raw_cases $make;
            edited_audit_row_breaks_the_chain,
            deleted_audit_row_breaks_the_chain,
            reordered_audit_rows_break_the_chain,
        );
    };
    (@cases $make:expr; $($case:ident),+ $(,)?) => {
        $(
            #[$crate::tokio::test(flavor = "multi_thread", worker_threads = 4, crate = "test_support::tokio")]
            async fn $case() {
                let (store, _) = $make.await;
                $crate::contract::primary::$case(store).await;
            }
        )+
    };
    (@raw_cases $make:expr; $($case:ident),+ $(,)?) => {
        $(
            #[$crate::tokio::test(flavor = "multi_thread", worker_threads = 4, crate = "test_support::tokio")]
            async fn $case() {
                let (store, sql) = $make.await;
                $crate::contract::primary::$case(store, sql).await;
            }
        )+
    };
}

fn email(s: &str) -> Email {
    Email::parse(s).expect("valid e-mail")
}

fn new_user(address: &str, role: GlobalRole) -> NewUser {
    NewUser {
        email: email(address),
        name: format!("Name of {address}"),
        password_hash: format!("$argon2id$fake${address}"),
        role,
        must_change_password: false,
    }
}

fn is_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::Conflict(_)))
}

async fn user(store: &dyn PrimaryStore, address: &str) -> User {
    store.create_user(new_user(address, GlobalRole::User), NOW).await.expect("create user")
}

async fn enqueue(store: &dyn PrimaryStore, kind: &str, max_attempts: u32, now_ms: i64) -> JobId {
    store.enqueue_job(&NewJob::new(kind, json!({ "kind": kind })).with_max_attempts(max_attempts), now_ms).await.expect("enqueue")
}

async fn lease(store: &dyn PrimaryStore, worker: &str, now_ms: i64) -> Option<LeasedJob> {
    store.lease_job(worker, now_ms, LEASE_MS).await.expect("lease")
}

async fn status(store: &dyn PrimaryStore, id: JobId) -> JobStatus {
    store.job(id).await.expect("job").expect("job exists").status
}

pub async fn migrate_twice_is_idempotent(store: Arc<dyn PrimaryStore>) {
    store.migrate().await.expect("second migrate");
    store.migrate().await.expect("third migrate");
    store.create_user(new_user("after-migrate@example.com", GlobalRole::User), NOW).await.expect("store works after migrating again");
    assert_eq!(store.count_users().await.unwrap(), 1);
}

pub async fn ping_answers(store: Arc<dyn PrimaryStore>) {
    store.ping().await.expect("ping");
    assert!(["sqlite", "postgres"].contains(&store.backend()), "backend {}", store.backend());
}

pub async fn users_are_created_found_and_counted(store: Arc<dyn PrimaryStore>) {
    assert_eq!(store.count_users().await.unwrap(), 0);
    let admin = store.create_user(new_user("Ada@Example.com", GlobalRole::Admin), NOW).await.expect("create admin");
    assert_eq!(admin.email.as_str(), "ada@example.com");
    assert_eq!(admin.role, GlobalRole::Admin);
    assert_eq!(admin.created_at_ms, NOW);
    let id = uuid::Uuid::parse_str(&admin.id).expect("user id is a UUID");
    assert_eq!(id.get_version_num(), 7, "user ids are UUID v7");

    let user = store.create_user(new_user("bob@example.com", GlobalRole::User), NOW + 1).await.expect("create user");
    assert_ne!(admin.id, user.id);
    assert_eq!(store.count_users().await.unwrap(), 2);

    assert_eq!(store.user_by_email(&email("ada@example.com")).await.unwrap(), Some(admin));
    assert_eq!(store.user_by_email(&email("bob@example.com")).await.unwrap(), Some(user));
    assert_eq!(store.user_by_email(&email("nobody@example.com")).await.unwrap(), None);
}

pub async fn duplicate_email_is_a_conflict(store: Arc<dyn PrimaryStore>) {
    store.create_user(new_user("ada@example.com", GlobalRole::Admin), NOW).await.expect("first");
    let again = store.create_user(new_user("ADA@example.com", GlobalRole::User), NOW + 1).await;
    assert!(is_conflict(again.clone()), "duplicate e-mail gave {again:?}");
    assert_eq!(store.count_users().await.unwrap(), 1);
    assert_eq!(store.user_by_email(&email("ada@example.com")).await.unwrap().unwrap().role, GlobalRole::Admin);
}

pub async fn user_fields_round_trip_and_users_are_listed(store: Arc<dyn PrimaryStore>) {
    let new = NewUser {
        email: email("zoe@example.com"),
        name: "Zoë Ångström".into(),
        password_hash: "$argon2id$fake$zoe".into(),
        role: GlobalRole::User,
        must_change_password: true,
    };
    let zoe = store.create_user(new, NOW).await.expect("create");
    assert_eq!((zoe.name.as_str(), zoe.must_change_password, zoe.disabled), ("Zoë Ångström", true, false));
    assert_eq!((zoe.failed_logins, zoe.locked_until_ms, zoe.password_changed_at_ms), (0, None, NOW));
    assert_eq!(store.user_by_id(&zoe.id).await.unwrap(), Some(zoe.clone()), "every field round-trips");
    assert_eq!(store.user_by_email(&email("zoe@example.com")).await.unwrap(), Some(zoe.clone()));
    assert_eq!(store.user_by_id("no-such-id").await.unwrap(), None);

    let ada = store.create_user(new_user("ada@example.com", GlobalRole::Admin), NOW + 1).await.unwrap();
    let mia = store.create_user(new_user("mia@example.com", GlobalRole::User), NOW + 2).await.unwrap();
    assert_eq!(store.list_users().await.unwrap(), vec![ada, mia, zoe], "by e-mail");
}

pub async fn users_are_disabled_renamed_and_given_roles(store: Arc<dyn PrimaryStore>) {
    let bob = user(&*store, "bob@example.com").await;
    let other = user(&*store, "other@example.com").await;
    store.set_user_disabled(&bob.id, true).await.expect("disable");
    store.set_user_role(&bob.id, GlobalRole::Admin).await.expect("role");
    store.set_user_name(&bob.id, "Robert").await.expect("name");
    let changed = store.user_by_id(&bob.id).await.unwrap().unwrap();
    assert_eq!((changed.disabled, changed.role, changed.name.as_str()), (true, GlobalRole::Admin, "Robert"));
    assert_eq!(User { disabled: true, role: GlobalRole::Admin, name: "Robert".into(), ..bob.clone() }, changed, "nothing else changed");
    assert_eq!(store.user_by_id(&other.id).await.unwrap(), Some(other), "other users are untouched");

    store.set_user_disabled(&bob.id, false).await.expect("enable");
    assert!(!store.user_by_id(&bob.id).await.unwrap().unwrap().disabled);

    assert_eq!(store.set_user_disabled("missing", true).await, Err(StoreError::NotFound));
    assert_eq!(store.set_user_role("missing", GlobalRole::User).await, Err(StoreError::NotFound));
    assert_eq!(store.set_user_name("missing", "x").await, Err(StoreError::NotFound));
    assert_eq!(store.set_password("missing", "h", false, NOW).await, Err(StoreError::NotFound));
    assert_eq!(store.record_login_failure("missing", None).await, Err(StoreError::NotFound));
    assert_eq!(store.clear_login_failures("missing").await, Err(StoreError::NotFound));
}

pub async fn set_password_clears_the_lock_and_bumps_the_change_time(store: Arc<dyn PrimaryStore>) {
    let ada = user(&*store, "ada@example.com").await;
    for _ in 0..5 {
        store.record_login_failure(&ada.id, Some(NOW + 60_000)).await.unwrap();
    }
    let locked = store.user_by_id(&ada.id).await.unwrap().unwrap();
    assert_eq!((locked.failed_logins, locked.locked_until_ms), (5, Some(NOW + 60_000)));

    store.set_password(&ada.id, "$argon2id$new", true, NOW + 5).await.expect("set password");
    let after = store.user_by_id(&ada.id).await.unwrap().unwrap();
    assert_eq!(after.password_hash, "$argon2id$new");
    assert_eq!((after.must_change_password, after.password_changed_at_ms), (true, NOW + 5));
    assert_eq!((after.failed_logins, after.locked_until_ms), (0, None), "a new password lifts the lock");

    store.set_password(&ada.id, "$argon2id$newer", false, NOW + 9).await.unwrap();
    let after = store.user_by_id(&ada.id).await.unwrap().unwrap();
    assert_eq!(
        (after.password_hash.as_str(), after.must_change_password, after.password_changed_at_ms),
        ("$argon2id$newer", false, NOW + 9)
    );
    assert_eq!(after.created_at_ms, NOW);
}

pub async fn login_failures_count_up_atomically_and_locks_only_grow(store: Arc<dyn PrimaryStore>) {
    const ATTEMPTS: u32 = 20;
    let ada = user(&*store, "ada@example.com").await;
    let tasks: Vec<_> = (0..ATTEMPTS)
        .map(|_| {
            let (store, id) = (store.clone(), ada.id.clone());
            tokio::spawn(async move { store.record_login_failure(&id, None).await.expect("record failure") })
        })
        .collect();
    let mut counts: Vec<u32> = futures::future::join_all(tasks).await.into_iter().map(|t| t.expect("task")).collect();
    counts.sort_unstable();
    assert_eq!(counts, (1..=ATTEMPTS).collect::<Vec<_>>(), "each failure saw its own count: no lost updates");
    assert_eq!(store.user_by_id(&ada.id).await.unwrap().unwrap().failed_logins, ATTEMPTS);

    let locked_until =
        |store: Arc<dyn PrimaryStore>, id: String| async move { store.user_by_id(&id).await.unwrap().unwrap().locked_until_ms };
    assert_eq!(store.record_login_failure(&ada.id, Some(NOW + 1_000)).await, Ok(ATTEMPTS + 1));
    assert_eq!(locked_until(store.clone(), ada.id.clone()).await, Some(NOW + 1_000));
    store.record_login_failure(&ada.id, None).await.unwrap();
    assert_eq!(locked_until(store.clone(), ada.id.clone()).await, Some(NOW + 1_000), "no lock given: the lock stays");
    store.record_login_failure(&ada.id, Some(NOW + 500)).await.unwrap();
    assert_eq!(locked_until(store.clone(), ada.id.clone()).await, Some(NOW + 1_000), "a lock is never shortened");
    store.record_login_failure(&ada.id, Some(NOW + 9_000)).await.unwrap();
    assert_eq!(locked_until(store.clone(), ada.id.clone()).await, Some(NOW + 9_000), "a lock is extended");

    store.clear_login_failures(&ada.id).await.expect("clear");
    let cleared = store.user_by_id(&ada.id).await.unwrap().unwrap();
    assert_eq!((cleared.failed_logins, cleared.locked_until_ms), (0, None));
    assert_eq!(store.record_login_failure(&ada.id, None).await, Ok(1), "counting starts again");
}

pub async fn sessions_are_created_saved_loaded_and_deleted(store: Arc<dyn PrimaryStore>) {
    let expires = NOW + 60_000;
    store.create_session("s1", None, b"first", expires).await.expect("create");
    assert!(is_conflict(store.create_session("s1", None, b"other", expires).await), "duplicate session id must conflict");
    assert_eq!(
        store.load_session("s1", NOW).await.unwrap().as_deref(),
        Some(&b"first"[..]),
        "create must not be overwritten by a conflict"
    );

    store.save_session("s1", None, b"second", expires + 60_000).await.expect("save replaces");
    assert_eq!(store.load_session("s1", expires + 1).await.unwrap().as_deref(), Some(&b"second"[..]), "save updates data and expiry");
    store.save_session("s2", Some("u1"), &[0, 159, 255], expires).await.expect("save inserts");
    assert_eq!(store.load_session("s2", NOW).await.unwrap(), Some(vec![0, 159, 255]), "bytes round-trip");

    assert_eq!(store.load_session("missing", NOW).await.unwrap(), None);
    store.delete_session("s1").await.expect("delete");
    assert_eq!(store.load_session("s1", NOW).await.unwrap(), None);
    store.delete_session("s1").await.expect("deleting a missing session is fine");
    assert!(store.load_session("s2", NOW).await.unwrap().is_some(), "other sessions stay");
}

pub async fn expired_sessions_are_not_loaded_and_are_deleted(store: Arc<dyn PrimaryStore>) {
    store.create_session("old", None, b"a", NOW - 1).await.unwrap();
    store.create_session("edge", None, b"b", NOW).await.unwrap();
    store.create_session("live", Some("u1"), b"c", NOW + 1).await.unwrap();
    assert_eq!(store.load_session("old", NOW).await.unwrap(), None, "expired before now");
    assert_eq!(store.load_session("edge", NOW).await.unwrap(), None, "expiring at now counts as expired");
    assert_eq!(store.load_session("edge", NOW - 1).await.unwrap().as_deref(), Some(&b"b"[..]));

    assert_eq!(store.delete_expired_sessions(NOW).await.unwrap(), 2);
    assert_eq!(store.delete_expired_sessions(NOW).await.unwrap(), 0);
    assert_eq!(store.load_session("live", NOW).await.unwrap().as_deref(), Some(&b"c"[..]));
    assert_eq!(store.load_session("edge", NOW - 1).await.unwrap(), None, "expired rows are gone");
}

pub async fn user_sessions_are_listed_and_revoked(store: Arc<dyn PrimaryStore>) {
    let session = |id: &str, expires_at_ms: i64| SessionInfo { id: id.into(), data: id.as_bytes().to_vec(), expires_at_ms };
    for (id, user_id, expires) in [
        ("a-short", Some("ua"), NOW + 1_000),
        ("a-long", Some("ua"), NOW + 5_000),
        ("a-current", Some("ua"), NOW + 3_000),
        ("a-expired", Some("ua"), NOW),
        ("b-1", Some("ub"), NOW + 5_000),
        ("anonymous", None, NOW + 5_000),
    ] {
        store.create_session(id, user_id, id.as_bytes(), expires).await.expect("create");
    }
    assert_eq!(
        store.user_sessions("ua", NOW).await.unwrap(),
        vec![session("a-long", NOW + 5_000), session("a-current", NOW + 3_000), session("a-short", NOW + 1_000)],
        "only that user's unexpired sessions, longest-lived first"
    );
    assert_eq!(store.user_sessions("nobody", NOW).await.unwrap(), vec![]);

    assert_eq!(store.delete_user_sessions("ua", Some("a-current")).await.unwrap(), 3, "the others, expired included");
    assert_eq!(store.user_sessions("ua", NOW).await.unwrap(), vec![session("a-current", NOW + 3_000)], "the kept one stays");
    assert!(store.load_session("b-1", NOW).await.unwrap().is_some(), "other users' sessions stay");
    assert!(store.load_session("anonymous", NOW).await.unwrap().is_some(), "anonymous sessions stay");

    store.save_session("anonymous", Some("ub"), b"signed in", NOW + 4_000).await.expect("sign in on a saved session");
    assert_eq!(
        store.user_sessions("ub", NOW).await.unwrap(),
        vec![session("b-1", NOW + 5_000), SessionInfo { id: "anonymous".into(), data: b"signed in".to_vec(), expires_at_ms: NOW + 4_000 }],
        "save sets the user"
    );
    store.save_session("anonymous", None, b"signed out", NOW + 4_000).await.unwrap();
    assert_eq!(store.user_sessions("ub", NOW).await.unwrap().len(), 1, "save clears the user");

    assert_eq!(store.delete_user_sessions("ua", None).await.unwrap(), 1);
    assert_eq!(store.load_session("a-current", NOW).await.unwrap(), None);
    assert_eq!(store.delete_user_sessions("ua", None).await.unwrap(), 0);
}

pub async fn job_is_enqueued_leased_and_completed(store: Arc<dyn PrimaryStore>) {
    let payload = json!({ "run_id": 42, "steps": ["a", "b"], "nested": { "ok": true, "name": "é" } });
    let id = store.enqueue_job(&NewJob::new("test_run", payload.clone()), NOW).await.expect("enqueue");
    let queued = store.job(id).await.unwrap().expect("job exists");
    assert_eq!((queued.status, queued.attempts, queued.max_attempts), (JobStatus::Queued, 0, 3));
    assert_eq!((queued.kind.as_str(), queued.worker, queued.last_error), ("test_run", None, None));

    let leased = store.lease_job("w1", NOW, LEASE_MS).await.unwrap().expect("a job to lease");
    assert_eq!(
        leased,
        LeasedJob { id, kind: "test_run".into(), payload, attempt: 1, max_attempts: 3, lease_expires_at_ms: NOW + LEASE_MS }
    );
    let running = store.job(id).await.unwrap().unwrap();
    assert_eq!((running.status, running.attempts, running.worker.as_deref()), (JobStatus::Running, 1, Some("w1")));
    assert_eq!(lease(&*store, "w2", NOW).await, None, "a running job with a live lease is not leased again");

    store.complete_job(id, "w1", NOW + 10).await.expect("complete");
    assert_eq!(status(&*store, id).await, JobStatus::Succeeded);
    assert!(is_conflict(store.complete_job(id, "w1", NOW + 20).await), "completing twice conflicts");
    assert_eq!(lease(&*store, "w1", NOW + 10 * LEASE_MS).await, None, "finished jobs are never leased");
}

pub async fn lease_returns_none_when_queue_is_empty(store: Arc<dyn PrimaryStore>) {
    assert_eq!(lease(&*store, "w1", NOW).await, None);
    assert_eq!(store.queue_depth().await.unwrap(), 0);
    let later = enqueue(&*store, "later", 3, NOW + 1_000).await;
    assert_eq!(lease(&*store, "w1", NOW).await, None, "a job is not leased before it is due");
    let first = store.lease_job("w1", NOW + 1_000, LEASE_MS).await.unwrap().expect("due job");
    assert_eq!(first.id, later);
    assert_eq!(lease(&*store, "w1", NOW + 1_000).await, None);
}

pub async fn unknown_job_is_not_found(store: Arc<dyn PrimaryStore>) {
    let missing = JobId(987_654);
    assert_eq!(store.job(missing).await.unwrap(), None);
    assert_eq!(store.heartbeat_job(missing, "w1", NOW, LEASE_MS).await, Err(StoreError::NotFound));
    assert_eq!(store.complete_job(missing, "w1", NOW).await, Err(StoreError::NotFound));
    assert_eq!(store.fail_job(missing, "w1", "boom", NOW, 0).await, Err(StoreError::NotFound));
    assert_eq!(store.release_worker_jobs("w1").await.unwrap(), 0);
}

pub async fn concurrent_workers_never_lease_the_same_job(store: Arc<dyn PrimaryStore>) {
    const JOBS: usize = 50;
    const WORKERS: usize = 8;
    let mut ids = Vec::new();
    for n in 0..JOBS {
        ids.push(store.enqueue_job(&NewJob::new("fan_out", json!({ "n": n })), NOW).await.unwrap());
    }

    let tasks: Vec<_> = (0..WORKERS)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                let worker = format!("worker-{w}");
                let mut leased = Vec::new();
                while let Some(job) = store.lease_job(&worker, NOW, 60_000).await.expect("lease") {
                    assert_eq!(job.attempt, 1, "{worker} got job {:?} on attempt {}", job.id, job.attempt);
                    store.complete_job(job.id, &worker, NOW + 1).await.expect("the leasing worker completes its job");
                    leased.push(job.id);
                    tokio::task::yield_now().await;
                }
                leased
            })
        })
        .collect();

    let mut times_leased: BTreeMap<JobId, usize> = BTreeMap::new();
    let mut busy_workers = 0;
    for task in futures::future::join_all(tasks).await {
        let leased = task.expect("worker task");
        busy_workers += usize::from(!leased.is_empty());
        for id in leased {
            *times_leased.entry(id).or_default() += 1;
        }
    }
    let doubles: Vec<_> = times_leased.iter().filter(|(_, &n)| n > 1).collect();
    assert!(doubles.is_empty(), "jobs leased more than once: {doubles:?}");
    assert_eq!(times_leased.keys().copied().collect::<Vec<_>>(), ids, "every job is leased exactly once");
    assert!(busy_workers > 1, "leasing ran concurrently ({busy_workers} worker(s) got jobs)");
    for id in ids {
        assert_eq!(status(&*store, id).await, JobStatus::Succeeded);
    }
    assert_eq!(store.queue_depth().await.unwrap(), 0);
}

pub async fn expired_lease_is_taken_over_and_old_worker_conflicts(store: Arc<dyn PrimaryStore>) {
    let id = enqueue(&*store, "slow", 3, NOW).await;
    let first = lease(&*store, "w1", NOW).await.unwrap();
    assert_eq!((first.id, first.attempt), (id, 1));
    assert_eq!(lease(&*store, "w2", NOW + LEASE_MS - 1).await, None, "not taken before the lease expires");

    let expiry = NOW + LEASE_MS;
    let second = lease(&*store, "w2", expiry).await.expect("expired lease is taken over");
    assert_eq!((second.id, second.attempt, second.lease_expires_at_ms), (id, 2, expiry + LEASE_MS));

    assert!(is_conflict(store.heartbeat_job(id, "w1", expiry + 1, LEASE_MS).await), "old worker's heartbeat");
    assert!(is_conflict(store.complete_job(id, "w1", expiry + 1).await), "old worker's complete");
    assert!(is_conflict(store.fail_job(id, "w1", "late", expiry + 1, 0).await), "old worker's fail");
    assert_eq!(store.release_worker_jobs("w1").await.unwrap(), 0, "old worker holds nothing");

    store.complete_job(id, "w2", expiry + 2).await.expect("new holder completes");
    let done = store.job(id).await.unwrap().unwrap();
    assert_eq!((done.status, done.attempts, done.worker.as_deref()), (JobStatus::Succeeded, 2, Some("w2")));
}

pub async fn failing_job_stops_after_max_attempts(store: Arc<dyn PrimaryStore>) {
    let id = enqueue(&*store, "flaky", 2, NOW).await;
    let first = lease(&*store, "w1", NOW).await.unwrap();
    assert_eq!(store.fail_job(id, "w1", "boom 1", NOW + 1, 0).await, Ok(JobStatus::Queued));
    let requeued = store.job(id).await.unwrap().unwrap();
    assert_eq!((requeued.status, requeued.attempts, requeued.worker), (JobStatus::Queued, 1, None));
    assert_eq!(requeued.last_error.as_deref(), Some("boom 1"));
    assert!(is_conflict(store.complete_job(first.id, "w1", NOW + 2).await), "a requeued job is no longer held");

    let second = lease(&*store, "w2", NOW + 2).await.expect("retry");
    assert_eq!((second.id, second.attempt), (id, 2));
    assert_eq!(store.fail_job(id, "w2", "boom 2", NOW + 3, 0).await, Ok(JobStatus::Failed));
    let failed = store.job(id).await.unwrap().unwrap();
    assert_eq!((failed.status, failed.attempts, failed.last_error.as_deref()), (JobStatus::Failed, 2, Some("boom 2")));

    assert_eq!(lease(&*store, "w3", NOW + 100 * LEASE_MS).await, None, "failed jobs are never leased");
    assert!(is_conflict(store.fail_job(id, "w2", "again", NOW + 4, 0).await));
    assert_eq!(store.queue_depth().await.unwrap(), 0);
}

pub async fn expired_leases_stop_after_max_attempts(store: Arc<dyn PrimaryStore>) {
    let id = enqueue(&*store, "crashy", 2, NOW).await;
    assert_eq!(lease(&*store, "w1", NOW).await.unwrap().attempt, 1);
    assert_eq!(lease(&*store, "w2", NOW + LEASE_MS).await.unwrap().attempt, 2);
    assert_eq!(status(&*store, id).await, JobStatus::Running);

    let other = enqueue(&*store, "next", 3, NOW + LEASE_MS).await;
    let next = lease(&*store, "w3", NOW + 2 * LEASE_MS).await.expect("the other job");
    assert_eq!(next.id, other, "a job whose last lease expired is not leased again");
    let failed = store.job(id).await.unwrap().unwrap();
    assert_eq!((failed.status, failed.attempts), (JobStatus::Failed, 2));
    assert_eq!(failed.last_error.as_deref(), Some("lease expired after 2 attempts"));
    assert_eq!(lease(&*store, "w4", NOW + 10 * LEASE_MS).await.map(|j| j.id), Some(other), "only the other job's expired lease");
    assert!(is_conflict(store.complete_job(id, "w2", NOW + 10 * LEASE_MS).await), "a failed job cannot be completed");
}

pub async fn retry_waits_for_its_delay(store: Arc<dyn PrimaryStore>) {
    let id = enqueue(&*store, "backoff", 3, NOW).await;
    lease(&*store, "w1", NOW).await.unwrap();
    assert_eq!(store.fail_job(id, "w1", "try later", NOW + 10, 5_000).await, Ok(JobStatus::Queued));
    assert_eq!(lease(&*store, "w1", NOW + 5_009).await, None, "not before run_at");
    let retry = lease(&*store, "w2", NOW + 5_010).await.expect("due at run_at");
    assert_eq!((retry.id, retry.attempt), (id, 2));
}

pub async fn heartbeat_keeps_the_lease(store: Arc<dyn PrimaryStore>) {
    let id = enqueue(&*store, "long", 3, NOW).await;
    lease(&*store, "w1", NOW).await.unwrap();
    store.heartbeat_job(id, "w1", NOW + LEASE_MS - 100, LEASE_MS).await.expect("heartbeat");
    assert_eq!(lease(&*store, "w2", NOW + LEASE_MS).await, None, "the extended lease is not stolen");
    assert_eq!(lease(&*store, "w2", NOW + 2 * LEASE_MS - 101).await, None);
    assert!(is_conflict(store.heartbeat_job(id, "w2", NOW + LEASE_MS, LEASE_MS).await), "another worker cannot heartbeat it");
    store.complete_job(id, "w1", NOW + 2 * LEASE_MS - 101).await.expect("holder completes");
    let done = store.job(id).await.unwrap().unwrap();
    assert_eq!((done.status, done.attempts), (JobStatus::Succeeded, 1));
}

pub async fn release_worker_jobs_requeues_without_using_an_attempt(store: Arc<dyn PrimaryStore>) {
    let a = enqueue(&*store, "a", 1, NOW).await;
    let b = enqueue(&*store, "b", 1, NOW).await;
    let c = enqueue(&*store, "c", 1, NOW).await;
    assert_eq!(lease(&*store, "w1", NOW).await.unwrap().id, a);
    assert_eq!(lease(&*store, "w1", NOW).await.unwrap().id, b);
    assert_eq!(lease(&*store, "w2", NOW).await.unwrap().id, c);

    assert_eq!(store.release_worker_jobs("w1").await.unwrap(), 2);
    for id in [a, b] {
        let job = store.job(id).await.unwrap().unwrap();
        assert_eq!((job.status, job.attempts, job.worker), (JobStatus::Queued, 0, None), "job {id:?} released");
    }
    assert_eq!(status(&*store, c).await, JobStatus::Running, "other workers' jobs stay");
    assert!(is_conflict(store.complete_job(a, "w1", NOW + 1).await), "a released job is no longer held");
    assert_eq!(store.release_worker_jobs("w1").await.unwrap(), 0);

    let again = lease(&*store, "w3", NOW + 1).await.expect("released job is leasable");
    assert_eq!((again.id, again.attempt, again.max_attempts), (a, 1, 1), "the single attempt was not used up");
    store.complete_job(a, "w3", NOW + 2).await.unwrap();
}

pub async fn queue_depth_counts_queued_and_running(store: Arc<dyn PrimaryStore>) {
    let a = enqueue(&*store, "a", 1, NOW).await;
    let b = enqueue(&*store, "b", 1, NOW).await;
    enqueue(&*store, "c", 1, NOW + 60_000).await;
    assert_eq!(store.queue_depth().await.unwrap(), 3, "queued jobs count, due or not");
    assert_eq!(lease(&*store, "w1", NOW).await.unwrap().id, a);
    assert_eq!(store.queue_depth().await.unwrap(), 3, "running jobs count");
    store.complete_job(a, "w1", NOW + 1).await.unwrap();
    assert_eq!(store.queue_depth().await.unwrap(), 2);
    assert_eq!(lease(&*store, "w1", NOW + 1).await.unwrap().id, b);
    assert_eq!(store.fail_job(b, "w1", "boom", NOW + 2, 0).await, Ok(JobStatus::Failed));
    assert_eq!(store.queue_depth().await.unwrap(), 1, "failed jobs do not count");
}
