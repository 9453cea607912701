//! The write queue between ingestion handlers and the analytics store.
//!
//! Handlers reserve room for their spans ([`IngestQueue::try_reserve`]; none left → the caller
//! answers 503 with Retry-After, nothing is lost), submit, and wait for their reply. One writer
//! task gathers what arrives within `max_wait` (up to `max_batch_spans`), writes each project's
//! spans with one atomic store call, and only then answers each request: a batch is acknowledged
//! after it is durably written, never before.

use domain::traces::SpanRow;
use services::ports::ProjectId;
use services::{
    ports::AnalyticsStore,
    trace_ingest::{self, QuotaGate},
    ServiceError, ServiceResult,
};
use std::{sync::Arc, time::Duration};
use tokio::{
    sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore},
    time::Instant,
};

/// Room for a request's spans in the queue; returned to the queue when the request is answered.
pub struct Reservation {
    _permit: OwnedSemaphorePermit,
}

struct Job {
    project_id: ProjectId,
    rows: Vec<SpanRow>,
    reply: oneshot::Sender<ServiceResult<()>>,
    _room: Reservation,
}

#[derive(Debug, Clone, Copy)]
pub struct WriterConfig {
    pub capacity_spans: usize,
    pub max_batch_spans: usize,
    pub max_wait: Duration,
}

pub struct IngestQueue {
    tx: mpsc::UnboundedSender<Job>,
    room: Arc<Semaphore>,
    capacity: usize,
}

impl IngestQueue {
    /// Start the writer task (it ends when the queue is dropped and drained).
    pub fn spawn(analytics: Arc<dyn AnalyticsStore>, quota: Arc<QuotaGate>, config: WriterConfig) -> IngestQueue {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(rx, analytics, quota, config));
        let capacity = config.capacity_spans.clamp(1, Semaphore::MAX_PERMITS);
        IngestQueue { tx, room: Arc::new(Semaphore::new(capacity)), capacity }
    }

    /// Room for `spans` spans, or `None` when the queue is full. A request larger than the whole
    /// queue takes all of it (it waits for an empty queue rather than never fitting).
    pub fn try_reserve(&self, spans: usize) -> Option<Reservation> {
        let n = spans.clamp(1, self.capacity) as u32;
        self.room.clone().try_acquire_many_owned(n).ok().map(|p| Reservation { _permit: p })
    }

    /// Spans waiting to be written (for metrics and tests).
    pub fn queued_spans(&self) -> usize {
        self.capacity - self.room.available_permits()
    }

    /// Queue `rows` and wait until they are durably written (or the write failed).
    pub async fn submit(&self, room: Reservation, project_id: &ProjectId, rows: Vec<SpanRow>) -> ServiceResult<()> {
        let (reply, answer) = oneshot::channel();
        let job = Job { project_id: project_id.clone(), rows, reply, _room: room };
        self.tx.send(job).map_err(|_| ServiceError::Unavailable)?;
        answer.await.map_err(|_| ServiceError::Unavailable)?
    }
}

async fn run(mut rx: mpsc::UnboundedReceiver<Job>, analytics: Arc<dyn AnalyticsStore>, quota: Arc<QuotaGate>, config: WriterConfig) {
    while let Some(first) = rx.recv().await {
        let mut spans = first.rows.len();
        let mut jobs = vec![first];
        let deadline = Instant::now() + config.max_wait;
        while spans < config.max_batch_spans {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(job)) => {
                    spans += job.rows.len();
                    jobs.push(job);
                }
                Ok(None) | Err(_) => break,
            }
        }
        flush(jobs, analytics.as_ref(), &quota).await;
    }
}

/// One store call per project (projects written concurrently), then every request answered.
async fn flush(jobs: Vec<Job>, analytics: &dyn AnalyticsStore, quota: &QuotaGate) {
    let mut by_project: Vec<(ProjectId, Vec<Job>)> = Vec::new();
    for job in jobs {
        match by_project.iter_mut().find(|(p, _)| *p == job.project_id) {
            Some((_, list)) => list.push(job),
            None => by_project.push((job.project_id.clone(), vec![job])),
        }
    }
    futures::future::join_all(by_project.into_iter().map(|(project_id, jobs)| write_project(analytics, quota, project_id, jobs))).await;
}

async fn write_project(analytics: &dyn AnalyticsStore, quota: &QuotaGate, project_id: ProjectId, mut jobs: Vec<Job>) {
    let started = std::time::Instant::now();
    let lens: Vec<usize> = jobs.iter().map(|j| j.rows.len()).collect();
    let rows: Vec<SpanRow> = jobs.iter_mut().flat_map(|j| std::mem::take(&mut j.rows)).collect();
    let result = trace_ingest::write(analytics, quota, &project_id, &rows).await.map(|_| ());
    tracing::debug!(
        %project_id,
        requests = jobs.len(),
        spans = rows.len(),
        ms = started.elapsed().as_millis() as u64,
        ok = result.is_ok(),
        "span batch"
    );
    if jobs.len() > 1 && matches!(result, Err(ServiceError::Invalid(_))) {
        // One request's rows refused by the store must not fail the requests batched with it.
        let mut at = 0;
        for (job, len) in jobs.into_iter().zip(lens) {
            let r = trace_ingest::write(analytics, quota, &project_id, &rows[at..at + len]).await.map(|_| ());
            at += len;
            let _ = job.reply.send(r);
        }
        return;
    }
    for job in jobs {
        let _ = job.reply.send(result.clone());
    }
}
