use crate::{error::StoreResult, Stores};
use domain::{ReadinessReport, StoreHealth, StoreKind};
use std::{future::Future, time::Duration, time::Instant};

/// How long a store may take to answer before it counts as down.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// [`check`], with backends, latencies and reasons for admins only.
pub async fn report_for(stores: &Stores, ctx: &crate::RequestContext) -> ReadinessReport {
    let report = check(stores).await;
    if ctx.admin().is_ok() {
        report
    } else {
        report.redacted()
    }
}

/// Ping every store concurrently and report each one's status and latency.
pub async fn check(stores: &Stores) -> ReadinessReport {
    let (p, a, b) = tokio::join!(
        probe(StoreKind::Primary, stores.primary.backend(), stores.primary.ping()),
        probe(StoreKind::Analytics, stores.analytics.backend(), stores.analytics.ping()),
        probe(StoreKind::Blob, stores.blob.backend(), stores.blob.ping()),
    );
    ReadinessReport::from_checks(vec![p, a, b], crate::clock::now_ms())
}

async fn probe(store: StoreKind, backend: &str, ping: impl Future<Output = StoreResult<()>>) -> StoreHealth {
    let started = Instant::now();
    let outcome = tokio::time::timeout(PING_TIMEOUT, ping).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let error = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(e)) => {
            tracing::warn!(store = store.label(), error = %e, "store not ready");
            Some(short_reason(&e))
        }
        Err(_) => Some(format!("no answer within {} s", PING_TIMEOUT.as_secs())),
    };
    StoreHealth { store, backend: backend.to_owned(), up: error.is_none(), latency_ms, error }
}

/// Readiness is public: say what kind of failure, never driver details.
fn short_reason(e: &crate::StoreError) -> String {
    match e {
        crate::StoreError::Unavailable(_) => "unreachable".into(),
        _ => "error (see server log)".into(),
    }
}

/// Jobs waiting in the queue (the `/metrics` gauge).
pub async fn queue_depth(store: &dyn crate::ports::PrimaryStore) -> crate::ServiceResult<u64> {
    Ok(store.queue_depth().await?)
}
