//! The trace expiry job (`traces.expire`) and the timer that enqueues it.

use super::JobHandler;
use async_trait::async_trait;
use domain::{JobId, NewJob};
use services::{clock::now_ms, ports::LeasedJob, ports::PrimaryStore, retention, StoreError, Stores};
use std::{sync::Arc, time::Duration};
use tokio::task::JoinHandle;

/// Runs [`retention::expire`] over every project.
pub struct ExpireTraces {
    pub stores: Stores,
    pub default_days: u32,
}

#[async_trait]
impl JobHandler for ExpireTraces {
    async fn run(&self, _job: &LeasedJob) -> Result<(), String> {
        let report = retention::expire(&self.stores, self.default_days, now_ms()).await.map_err(|e| e.to_string())?;
        if report.blob_failures > 0 {
            // Shown on the job; the spans are gone, so a retry cannot find these blobs again.
            return Err(format!("{} blobs of expired spans could not be deleted (see the logs)", report.blob_failures));
        }
        Ok(())
    }
}

/// Enqueue the expiry job unless one is queued or running.
pub async fn enqueue_expiry(store: &dyn PrimaryStore) -> Result<Option<JobId>, StoreError> {
    store.enqueue_job_once(&NewJob::new(retention::EXPIRE_JOB, serde_json::json!({})), now_ms()).await
}

/// Enqueue the expiry job now and then every `every` (abort the task to stop). Several
/// servers may run this: at most one job is pending at a time.
pub fn spawn_scheduler(store: Arc<dyn PrimaryStore>, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match enqueue_expiry(store.as_ref()).await {
                Ok(Some(id)) => tracing::debug!(job_id = id.0, "trace expiry enqueued"),
                Ok(None) => tracing::debug!("trace expiry already pending"),
                Err(e) => tracing::warn!(error = %e, "could not enqueue trace expiry"),
            }
        }
    })
}
