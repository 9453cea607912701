//! The background worker: leases jobs from the primary store's queue, runs
//! the handler registered for the job's kind while heart-beating its lease,
//! and records success or failure (with bounded, backed-off retries). On
//! shutdown it stops the current job and hands its lease back.

pub mod datasets;
pub mod kb;
pub mod retention;
pub mod test_runs;

use crate::settings::WorkerSettings;
use async_trait::async_trait;
use services::{clock::now_ms, ports::LeasedJob, ports::PrimaryStore, StoreError};
use std::{collections::HashMap, sync::Arc, time::Duration};
use tokio::{sync::watch, task::JoinHandle};

/// Code that performs one kind of job. An `Err` is the reason shown to people.
#[async_trait]
pub trait JobHandler: Send + Sync {
    async fn run(&self, job: &LeasedJob) -> Result<(), String>;
}

pub struct Worker {
    store: Arc<dyn PrimaryStore>,
    id: String,
    handlers: HashMap<String, Arc<dyn JobHandler>>,
    lease: Duration,
    poll: Duration,
}

pub struct WorkerHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    pub id: String,
}

impl Worker {
    pub fn new(store: Arc<dyn PrimaryStore>, settings: &WorkerSettings) -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "local".into());
        Worker {
            store,
            id: format!("{host}-{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
            handlers: HashMap::new(),
            lease: Duration::from_secs(settings.lease_secs),
            poll: Duration::from_millis(settings.poll_ms),
        }
    }

    pub fn register(mut self, kind: &str, handler: Arc<dyn JobHandler>) -> Self {
        self.handlers.insert(kind.to_owned(), handler);
        self
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn spawn(self) -> WorkerHandle {
        let (stop, stop_rx) = watch::channel(false);
        let id = self.id.clone();
        let task = tokio::spawn(self.run(stop_rx));
        WorkerHandle { stop, task, id }
    }

    async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(worker = %self.id, kinds = ?self.handlers.keys().collect::<Vec<_>>(), "worker started");
        while !*stop.borrow() {
            let idle = match self.run_one(&mut stop).await {
                Ok(ran) => !ran,
                Err(e) => {
                    tracing::warn!(worker = %self.id, error = %e, "job queue unavailable");
                    true
                }
            };
            if idle {
                tokio::select! {
                    _ = tokio::time::sleep(self.poll) => {}
                    _ = stop.changed() => {}
                }
            }
        }
        match self.store.release_worker_jobs(&self.id).await {
            Ok(n) if n > 0 => tracing::info!(worker = %self.id, released = n, "handed back job leases"),
            Ok(_) => {}
            Err(e) => tracing::warn!(worker = %self.id, error = %e, "could not hand back job leases; they will expire"),
        }
    }

    /// Lease and run one job. `Ok(false)` when the queue was empty.
    pub async fn run_one(&self, stop: &mut watch::Receiver<bool>) -> Result<bool, StoreError> {
        let lease_ms = self.lease.as_millis() as i64;
        let Some(job) = self.store.lease_job(&self.id, now_ms(), lease_ms).await? else {
            return Ok(false);
        };
        let span = tracing::info_span!("job", job_id = job.id.0, kind = %job.kind, attempt = job.attempt);
        let _enter = span.enter();
        let outcome = match self.handlers.get(&job.kind) {
            None => Err(format!("no handler for job kind “{}”", job.kind)),
            Some(handler) => {
                let work = handler.run(&job);
                tokio::pin!(work);
                let mut beat = tokio::time::interval(self.lease / 3);
                beat.tick().await;
                loop {
                    tokio::select! {
                        r = &mut work => break r,
                        _ = beat.tick() => {
                            if let Err(e) = self.store.heartbeat_job(job.id, &self.id, now_ms(), lease_ms).await {
                                tracing::warn!(error = %e, "lost the job's lease; abandoning it");
                                return Ok(true);
                            }
                        }
                        _ = stop.changed() => {
                            tracing::info!("shutdown: interrupting job, its lease is handed back");
                            return Ok(true);
                        }
                    }
                }
            }
        };
        match outcome {
            Ok(()) => self.store.complete_job(job.id, &self.id, now_ms()).await?,
            Err(reason) => {
                let status = self.store.fail_job(job.id, &self.id, &reason, now_ms(), retry_delay_ms(job.attempt)).await?;
                tracing::warn!(reason, ?status, "job failed");
            }
        }
        Ok(true)
    }
}

impl WorkerHandle {
    /// Stop leasing, interrupt the current job and release its lease.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Exponential back-off: 1 s, 2 s, 4 s… capped at 5 minutes.
pub fn retry_delay_ms(attempt: u32) -> i64 {
    let exp = attempt.saturating_sub(1).min(16);
    (1000i64 << exp).min(300_000)
}

/// A job's payload as `T`, and which attempt this is.
pub(crate) fn payload<T: serde::de::DeserializeOwned>(job: &LeasedJob) -> Result<(T, domain::jobs::Attempt), String> {
    let r: T = serde_json::from_value(job.payload.clone()).map_err(|e| format!("bad job payload: {e}"))?;
    Ok((r, domain::jobs::Attempt { number: job.attempt, max: job.max_attempts }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn back_off_doubles_and_is_capped() {
        assert_eq!(super::retry_delay_ms(1), 1000);
        assert_eq!(super::retry_delay_ms(3), 4000);
        assert_eq!(super::retry_delay_ms(40), 300_000);
    }
}
