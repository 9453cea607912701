//! Closed-loop OTLP/HTTP load: `concurrency` workers each send a protobuf batch, wait for the
//! answer, and send the next. Throughput counts only acknowledged spans (2xx minus the OTLP
//! partial-success `rejected_spans`) of requests that complete inside the measured window.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::Message;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE, RETRY_AFTER};

use crate::genai::Generator;
use crate::pool::EncodedBatch;
use crate::stats::Report;

#[derive(Debug, Clone)]
pub struct SendConfig {
    pub label: String,
    pub url: String,
    /// Extra headers, e.g. `Authorization: Bearer …`.
    pub headers: Vec<(String, String)>,
    pub batch_spans: usize,
    pub concurrency: usize,
    pub duration: Duration,
    /// Requests completing before this are not counted (connection set-up, caches).
    pub warmup: Duration,
    /// Distinct encoded bodies generated up front (reused with fresh trace ids).
    pub pool: usize,
    pub seed: u64,
}

#[derive(Default)]
struct WorkerStats {
    latencies: Vec<Duration>,
    acked: u64,
    /// Including warm-up and requests finishing after the window.
    acked_all: u64,
    rejected: u64,
    throttled: u64,
    errors: u64,
    first_error: Option<String>,
}

pub fn header_map(headers: &[(String, String)]) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|e| format!("header name {name:?}: {e}"))?;
        let value = HeaderValue::from_str(value.trim()).map_err(|e| format!("header value for {name}: {e}"))?;
        map.insert(name, value);
    }
    map.insert(CONTENT_TYPE, HeaderValue::from_static("application/x-protobuf"));
    Ok(map)
}

pub async fn run(cfg: SendConfig) -> Result<Report, String> {
    let now_ns = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_err(|e| e.to_string())?.as_nanos() as u64;
    let mut generator = Generator::new(cfg.seed ^ now_ns, now_ns);
    let pool: Arc<Vec<EncodedBatch>> = Arc::new((0..cfg.pool.max(1)).map(|_| EncodedBatch::new(&mut generator, cfg.batch_spans)).collect());
    let spans_per_request = pool.iter().map(|b| b.spans).sum::<u64>() as f64 / pool.len() as f64;
    let bytes_per_request = pool.iter().map(|b| b.body.len()).sum::<usize>() as f64 / pool.len() as f64;
    let client = reqwest::Client::builder()
        .default_headers(header_map(&cfg.headers)?)
        .pool_max_idle_per_host(cfg.concurrency)
        .timeout(Duration::from_secs(120))
        .build()
        .map_err(|e| e.to_string())?;

    let start = Instant::now();
    let (counted_from, end) = (start + cfg.warmup, start + cfg.warmup + cfg.duration);
    let next = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..cfg.concurrency.max(1))
        .map(|_| {
            let (client, pool, next, url) = (client.clone(), pool.clone(), next.clone(), cfg.url.clone());
            tokio::spawn(async move { worker(client, url, pool, next, counted_from, end).await })
        })
        .collect();
    let mut all = WorkerStats::default();
    for w in workers {
        let s = w.await.map_err(|e| e.to_string())?;
        all.latencies.extend(s.latencies);
        all.acked += s.acked;
        all.acked_all += s.acked_all;
        all.rejected += s.rejected;
        all.throttled += s.throttled;
        all.errors += s.errors;
        all.first_error = all.first_error.or(s.first_error);
    }
    let secs = cfg.duration.as_secs_f64();
    let mut report = Report::new(&cfg.label, all.latencies, secs);
    report.items = all.acked;
    report.items_all = all.acked_all;
    report.items_per_sec = all.acked as f64 / secs;
    report.rejected = all.rejected;
    report.throttled = all.throttled;
    report.errors = all.errors;
    report.first_error = all.first_error;
    report.items_per_request = spans_per_request;
    report.bytes_per_request = bytes_per_request;
    report.concurrency = cfg.concurrency;
    Ok(report)
}

async fn worker(
    client: reqwest::Client,
    url: String,
    pool: Arc<Vec<EncodedBatch>>,
    next: Arc<AtomicU64>,
    counted_from: Instant,
    end: Instant,
) -> WorkerStats {
    let mut stats = WorkerStats::default();
    while Instant::now() < end {
        let n = next.fetch_add(1, Ordering::Relaxed);
        let batch = &pool[(n % pool.len() as u64) as usize];
        let body = batch.body(n / pool.len() as u64);
        // Throttled requests are retried (as an SDK would) until acknowledged or time is up.
        while Instant::now() < end {
            let sent = Instant::now();
            let outcome = send_once(&client, &url, body.clone()).await;
            let done = Instant::now();
            let counted = done >= counted_from && done <= end;
            match outcome {
                Outcome::Acked { rejected } => {
                    stats.acked_all += batch.spans.saturating_sub(rejected);
                    if counted {
                        stats.latencies.push(done - sent);
                        stats.acked += batch.spans.saturating_sub(rejected);
                        stats.rejected += rejected;
                    }
                    break;
                }
                Outcome::Throttled { retry_after } => {
                    stats.throttled += u64::from(counted);
                    tokio::time::sleep(retry_after).await;
                }
                Outcome::Failed(message) => {
                    stats.errors += u64::from(counted);
                    stats.first_error.get_or_insert(message);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    break;
                }
            }
        }
    }
    stats
}

enum Outcome {
    Acked { rejected: u64 },
    Throttled { retry_after: Duration },
    Failed(String),
}

async fn send_once(client: &reqwest::Client, url: &str, body: bytes::Bytes) -> Outcome {
    let response = match client.post(url).body(body).send().await {
        Ok(r) => r,
        Err(e) => return Outcome::Failed(format!("request: {e}")),
    };
    let status = response.status();
    if status.as_u16() == 429 || status.as_u16() == 503 {
        let secs = response.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<f64>().ok()).unwrap_or(1.0);
        let _ = response.bytes().await;
        return Outcome::Throttled { retry_after: Duration::from_secs_f64(secs.clamp(0.05, 5.0)) };
    }
    let body = match response.bytes().await {
        Ok(b) => b,
        Err(e) => return Outcome::Failed(format!("reading the answer: {e}")),
    };
    if !status.is_success() {
        let text = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
        return Outcome::Failed(format!("{status}: {text}"));
    }
    // An empty or non-protobuf success body (some servers answer `{}`) means nothing rejected.
    let rejected =
        ExportTraceServiceResponse::decode(body).ok().and_then(|r| r.partial_success).map_or(0, |p| p.rejected_spans.max(0) as u64);
    Outcome::Acked { rejected }
}
