//! Trace ingestion shared by the OTLP endpoint and the JSON API: decoding limits, the quota gate and the write queue, and [`Ingest::accept`], the one path a decoded
//! batch takes to the store.

pub mod writer;

use crate::settings::IngestSettings;
use domain::traces::SpanRow;
use otlp::{Limits, PriceTable};
use services::ports::ProjectId;
use services::{api_keys::KeyPrincipal, prices::PriceCache, trace_ingest, ServiceError, ServiceResult, Stores};
use std::{sync::Arc, time::Duration};
use writer::{IngestQueue, WriterConfig};

/// Why an accepted, well-formed batch was not written.
#[derive(Debug)]
pub enum Refusal {
    /// The write queue is full: try again after the given seconds.
    Busy {
        retry_after_secs: u64,
    },
    Service(ServiceError),
}

impl From<ServiceError> for Refusal {
    fn from(e: ServiceError) -> Self {
        Refusal::Service(e)
    }
}

pub struct Ingest {
    stores: Stores,
    queue: IngestQueue,
    quota: Arc<trace_ingest::QuotaGate>,
    limits: Limits,
}

impl Ingest {
    /// Build the pipeline and start its writer task (needs a Tokio runtime).
    pub fn start(stores: Stores, s: &IngestSettings) -> Ingest {
        let quota = Arc::new(trace_ingest::QuotaGate::new(Duration::from_secs(10)));
        let config = WriterConfig {
            capacity_spans: s.queue_capacity_spans,
            max_batch_spans: s.max_batch_spans,
            max_wait: Duration::from_millis(s.max_wait_ms),
        };
        let queue = IngestQueue::spawn(stores.analytics.clone(), quota.clone(), config);
        let limits = Limits {
            max_body_bytes: s.max_decompressed_bytes,
            max_spans: s.max_spans_per_request,
            max_attribute_value_bytes: s.max_payload_bytes,
            ..Limits::default()
        };
        Ingest { stores, queue, quota, limits }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The model prices spans are costed with: the admin-edited table, cached (see
    /// [`PriceCache`]); the one place ingestion reads prices.
    pub async fn prices(&self, cache: &PriceCache) -> ServiceResult<Arc<PriceTable>> {
        cache.table(self.stores.primary.as_ref()).await
    }

    pub fn queued_spans(&self) -> usize {
        self.queue.queued_spans()
    }

    /// Quota, room in the queue, blobs for oversize payloads, then the durable write. Returns
    /// once the rows are stored; nothing is written when it returns an error before the queue.
    pub async fn accept(&self, principal: &KeyPrincipal, mut rows: Vec<SpanRow>) -> Result<(), Refusal> {
        if rows.is_empty() {
            return Ok(());
        }
        let project_id = &principal.project_id;
        let traces = trace_ingest::count_traces(&rows);
        self.quota.check(self.stores.primary.as_ref(), self.stores.analytics.as_ref(), project_id, traces).await?;
        let room = self.queue.try_reserve(rows.len()).ok_or(Refusal::Busy { retry_after_secs: 1 })?;
        trace_ingest::offload_payloads(self.stores.blob.as_ref(), project_id.as_str(), &mut rows).await?;
        self.queue.submit(room, project_id, rows).await?;
        Ok(())
    }
}

/// Spans the platform writes about its own LLM calls (playground, test runs, test generation),
/// through the same path as SDK spans (quota, offload, durable batch, usage). `key_id` names the
/// writer in place of an API key.
pub struct PlatformSink {
    pub ingest: Arc<Ingest>,
    pub key_id: &'static str,
}

#[async_trait::async_trait]
impl services::llm_calls::SpanSink for PlatformSink {
    async fn write(&self, project_id: &ProjectId, rows: Vec<SpanRow>) -> ServiceResult<()> {
        let principal = KeyPrincipal { key_id: self.key_id.into(), project_id: project_id.clone(), scopes: Vec::new() };
        self.ingest.accept(&principal, rows).await.map_err(|r| match r {
            Refusal::Busy { .. } => ServiceError::Unavailable,
            Refusal::Service(e) => e,
        })
    }
}
