//! The background worker inside a running server: success, bounded retries,
//! recovery of a dead worker's job, and lease hand-back on shutdown.

mod common;

use async_trait::async_trait;
use common::spawn_with;
use domain::{JobId, JobStatus, NewJob};
use elasticdash::worker::{JobHandler, Worker};
use services::{clock::now_ms, ports::LeasedJob};
use std::{
    sync::{
        atomic::{AtomicU32, Ordering},
        Arc,
    },
    time::Duration,
};

struct Succeeds(AtomicU32);
#[async_trait]
impl JobHandler for Succeeds {
    async fn run(&self, _: &LeasedJob) -> Result<(), String> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

struct Fails;
#[async_trait]
impl JobHandler for Fails {
    async fn run(&self, job: &LeasedJob) -> Result<(), String> {
        Err(format!("attempt {} broke", job.attempt))
    }
}

struct Hangs;
#[async_trait]
impl JobHandler for Hangs {
    async fn run(&self, _: &LeasedJob) -> Result<(), String> {
        std::future::pending().await
    }
}

async fn wait_for_status(app: &common::TestApp, id: JobId, want: JobStatus) -> services::ports::JobRecord {
    for _ in 0..200 {
        let job = app.stores.primary.job(id).await.unwrap().unwrap();
        if job.status == want {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {id:?} never reached {want:?}: {:?}", app.stores.primary.job(id).await);
}

#[tokio::test]
async fn a_job_runs_once_and_succeeds() {
    let handler = Arc::new(Succeeds(AtomicU32::new(0)));
    let app = spawn_with(|s| s, vec![("test.ok", handler.clone())]).await;
    let id = app.stores.primary.enqueue_job(&NewJob::new("test.ok", serde_json::json!({"n": 1})), now_ms()).await.unwrap();
    let job = wait_for_status(&app, id, JobStatus::Succeeded).await;
    assert_eq!(job.attempts, 1);
    assert_eq!(handler.0.load(Ordering::SeqCst), 1);
    app.shutdown().await;
}

#[tokio::test]
async fn failures_are_retried_then_given_up() {
    let app = spawn_with(|s| s, vec![("test.fail", Arc::new(Fails))]).await;
    let id = app.stores.primary.enqueue_job(&NewJob::new("test.fail", serde_json::json!({})).with_max_attempts(2), now_ms()).await.unwrap();
    let job = wait_for_status(&app, id, JobStatus::Failed).await;
    assert_eq!(job.attempts, 2);
    assert_eq!(job.last_error.as_deref(), Some("attempt 2 broke"));
    app.shutdown().await;
}

#[tokio::test]
async fn unknown_kinds_fail_with_a_clear_reason() {
    let app = spawn_with(|s| s, vec![]).await;
    let id =
        app.stores.primary.enqueue_job(&NewJob::new("nobody.handles", serde_json::json!({})).with_max_attempts(1), now_ms()).await.unwrap();
    let job = wait_for_status(&app, id, JobStatus::Failed).await;
    assert!(job.last_error.unwrap().contains("no handler for job kind"));
    app.shutdown().await;
}

#[tokio::test]
async fn a_dead_workers_job_is_picked_up_after_its_lease_expires() {
    // The server's own worker is off so this worker is the only live one.
    let app = spawn_with(
        |mut s| {
            s.worker.enabled = false;
            s
        },
        vec![],
    )
    .await;
    let store = app.stores.primary.clone();
    let handler = Arc::new(Succeeds(AtomicU32::new(0)));
    let settings = elasticdash::settings::WorkerSettings { enabled: true, lease_secs: 5, poll_ms: 10 };
    let worker = Worker::new(store.clone(), &settings).register("test.ok", handler.clone());
    let (_stop_tx, mut stop) = tokio::sync::watch::channel(false);

    let id = store.enqueue_job(&NewJob::new("test.ok", serde_json::json!({})), now_ms()).await.unwrap();
    let leased = store.lease_job("dead-worker", now_ms(), 300).await.unwrap().expect("leased by the doomed worker");
    assert_eq!(leased.id, id);
    assert!(!worker.run_one(&mut stop).await.unwrap(), "held by a live lease: nothing to run");
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert!(worker.run_one(&mut stop).await.unwrap(), "the expired lease is taken over");
    let job = store.job(id).await.unwrap().unwrap();
    assert_eq!((job.status, job.attempts), (JobStatus::Succeeded, 2));
    assert_eq!(handler.0.load(Ordering::SeqCst), 1);
    assert!(store.complete_job(id, "dead-worker", now_ms()).await.is_err(), "the dead worker lost its lease");
    app.shutdown().await;
}

#[tokio::test]
async fn shutdown_hands_back_the_running_jobs_lease() {
    let app = spawn_with(|s| s, vec![("test.hang", Arc::new(Hangs))]).await;
    let store = app.stores.primary.clone();
    let id = store.enqueue_job(&NewJob::new("test.hang", serde_json::json!({})), now_ms()).await.unwrap();
    wait_for_status(&app, id, JobStatus::Running).await;
    app.shutdown().await;
    let job = store.job(id).await.unwrap().unwrap();
    assert_eq!(job.status, JobStatus::Queued, "released for another server");
    assert_eq!(job.attempts, 0, "a graceful shutdown does not use up a retry");
}
