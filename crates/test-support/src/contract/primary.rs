//! The primary store's contract: every adapter (SQLite, PostgreSQL) must pass
//! each case. Run them with [`primary_contract_tests!`](crate::primary_contract_tests).
//!
//! Times are passed explicitly (`now_ms`), so lease expiry is tested by moving
//! the clock forward, never by sleeping.

use domain::{Email, GlobalRole, JobId, JobStatus, NewJob};
use serde_json::json;
use services::{
    ports::{LeasedJob, NewUser, PrimaryStore},
    StoreError,
};
use std::{collections::BTreeMap, sync::Arc};

/// A fixed "now" (2023-11-14T22:13:20Z); cases move forward from it.
const NOW: i64 = 1_700_000_000_000;
const LEASE_MS: i64 = 30_000;

/// Expands to one `#[tokio::test]` (multi-thread, 4 workers) per case, each on
/// a fresh, migrated store made by `$make` (an expression giving a future of
/// `Arc<dyn PrimaryStore>`).
///
/// ```ignore
/// mod sqlite {
///     test_support::primary_contract_tests!(test_support::backends::sqlite_primary());
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
            sessions_are_created_saved_loaded_and_deleted,
            expired_sessions_are_not_loaded_and_are_deleted,
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
        );
    };
    (@cases $make:expr; $($case:ident),+ $(,)?) => {
        $(
            #[$crate::tokio::test(flavor = "multi_thread", worker_threads = 4, crate = "test_support::tokio")]
            async fn $case() {
                $crate::contract::primary::$case($make.await).await;
            }
        )+
    };
}

fn email(s: &str) -> Email {
    Email::parse(s).expect("valid e-mail")
}

fn new_user(address: &str, role: GlobalRole) -> NewUser {
    NewUser { email: email(address), password_hash: format!("$argon2id$fake${address}"), role }
}

fn is_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::Conflict(_)))
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

pub async fn sessions_are_created_saved_loaded_and_deleted(store: Arc<dyn PrimaryStore>) {
    let expires = NOW + 60_000;
    store.create_session("s1", b"first", expires).await.expect("create");
    assert!(is_conflict(store.create_session("s1", b"other", expires).await), "duplicate session id must conflict");
    assert_eq!(
        store.load_session("s1", NOW).await.unwrap().as_deref(),
        Some(&b"first"[..]),
        "create must not be overwritten by a conflict"
    );

    store.save_session("s1", b"second", expires + 60_000).await.expect("save replaces");
    assert_eq!(store.load_session("s1", expires + 1).await.unwrap().as_deref(), Some(&b"second"[..]), "save updates data and expiry");
    store.save_session("s2", &[0, 159, 255], expires).await.expect("save inserts");
    assert_eq!(store.load_session("s2", NOW).await.unwrap(), Some(vec![0, 159, 255]), "bytes round-trip");

    assert_eq!(store.load_session("missing", NOW).await.unwrap(), None);
    store.delete_session("s1").await.expect("delete");
    assert_eq!(store.load_session("s1", NOW).await.unwrap(), None);
    store.delete_session("s1").await.expect("deleting a missing session is fine");
    assert!(store.load_session("s2", NOW).await.unwrap().is_some(), "other sessions stay");
}

pub async fn expired_sessions_are_not_loaded_and_are_deleted(store: Arc<dyn PrimaryStore>) {
    store.create_session("old", b"a", NOW - 1).await.unwrap();
    store.create_session("edge", b"b", NOW).await.unwrap();
    store.create_session("live", b"c", NOW + 1).await.unwrap();
    assert_eq!(store.load_session("old", NOW).await.unwrap(), None, "expired before now");
    assert_eq!(store.load_session("edge", NOW).await.unwrap(), None, "expiring at now counts as expired");
    assert_eq!(store.load_session("edge", NOW - 1).await.unwrap().as_deref(), Some(&b"b"[..]));

    assert_eq!(store.delete_expired_sessions(NOW).await.unwrap(), 2);
    assert_eq!(store.delete_expired_sessions(NOW).await.unwrap(), 0);
    assert_eq!(store.load_session("live", NOW).await.unwrap().as_deref(), Some(&b"c"[..]));
    assert_eq!(store.load_session("edge", NOW - 1).await.unwrap(), None, "expired rows are gone");
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
