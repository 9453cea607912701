//! Request counters and a latency histogram per route, rendered in the
//! Prometheus text format. Routes are the matched patterns (never raw paths,
//! which would explode the label set).

use axum::{extract::MatchedPath, extract::Request, middleware::Next, response::Response};
use std::{collections::BTreeMap, fmt::Write, sync::Arc, sync::Mutex, time::Instant};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
}

#[derive(Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut m = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *m.requests.entry((method.to_owned(), route.to_owned(), status)).or_default() += 1;
        let h = m.latency.entry(route.to_owned()).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }

    /// `queue_depth`: jobs queued or running; `ingest_queued`: spans accepted, not yet written.
    pub fn render(&self, queue_depth: i64, ingest_queued: usize) -> String {
        let m = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        out.push_str("# HELP http_requests_total HTTP requests by method, route and status.\n# TYPE http_requests_total counter\n");
        for ((method, route, status), n) in &m.requests {
            let _ = writeln!(out, "http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}", escape(route));
        }
        out.push_str("# HELP http_request_duration_seconds Request latency by route.\n# TYPE http_request_duration_seconds histogram\n");
        for (route, h) in &m.latency {
            let route = escape(route);
            for (bound, n) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(out, "http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {n}");
            }
            let _ = writeln!(out, "http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(out, "http_request_duration_seconds_sum{{route=\"{route}\"}} {}", h.sum);
            let _ = writeln!(out, "http_request_duration_seconds_count{{route=\"{route}\"}} {}", h.count);
        }
        out.push_str("# HELP job_queue_depth Jobs queued or running (-1: store unreachable).\n# TYPE job_queue_depth gauge\n");
        let _ = writeln!(out, "job_queue_depth {queue_depth}");
        out.push_str("# HELP ingest_queued_spans Spans accepted but not yet written.\n# TYPE ingest_queued_spans gauge\n");
        let _ = writeln!(out, "ingest_queued_spans {ingest_queued}");
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Middleware: count and time every request; warn about slow ones.
pub async fn track(metrics: Arc<Metrics>, slow_ms: u64, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| {
        if req.uri().path().starts_with("/pkg/") {
            "/pkg/*".into()
        } else {
            "other".into()
        }
    });
    let method = req.method().to_string();
    let started = Instant::now();
    let res = next.run(req).await;
    let elapsed = started.elapsed();
    metrics.observe(&method, &route, res.status().as_u16(), elapsed.as_secs_f64());
    if elapsed.as_millis() as u64 > slow_ms {
        tracing::warn!(route, status = res.status().as_u16(), elapsed_ms = elapsed.as_millis() as u64, "slow request");
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_buckets_and_queue_depth() {
        let m = Metrics::default();
        m.observe("GET", "/readyz", 200, 0.02);
        m.observe("GET", "/readyz", 200, 3.0);
        m.observe("GET", "/readyz", 503, 0.001);
        let text = m.render(4, 7);
        assert!(text.contains("http_requests_total{method=\"GET\",route=\"/readyz\",status=\"200\"} 2"), "{text}");
        assert!(text.contains("http_requests_total{method=\"GET\",route=\"/readyz\",status=\"503\"} 1"));
        assert!(text.contains("http_request_duration_seconds_bucket{route=\"/readyz\",le=\"0.025\"} 2"));
        assert!(text.contains("http_request_duration_seconds_bucket{route=\"/readyz\",le=\"+Inf\"} 3"));
        assert!(text.contains("job_queue_depth 4"));
        assert!(text.contains("ingest_queued_spans 7"));
    }
}
