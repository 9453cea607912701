//! Latency percentiles and the one result line every bench prints.

use std::time::Duration;

use serde::Serialize;

/// Nearest-rank percentile of `sorted` (ascending), in milliseconds; 0 when empty.
pub fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1].as_secs_f64() * 1e3
}

/// What one load run measured. `items` are spans (OTLP) or rows (raw ClickHouse).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub label: String,
    pub items_per_sec: f64,
    /// Items acknowledged (2xx, minus OTLP partial-success rejections) in the measured window.
    pub items: u64,
    /// All items acknowledged during the run, warm-up included.
    pub items_all: u64,
    pub requests: u64,
    pub rejected: u64,
    /// 429/503 answers (each retried after Retry-After).
    pub throttled: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub secs: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub items_per_request: f64,
    pub bytes_per_request: f64,
    pub concurrency: usize,
}

impl Report {
    pub fn new(label: &str, mut latencies: Vec<Duration>, secs: f64) -> Self {
        latencies.sort_unstable();
        Report {
            label: label.to_owned(),
            items_per_sec: 0.0,
            items: 0,
            items_all: 0,
            requests: latencies.len() as u64,
            rejected: 0,
            throttled: 0,
            errors: 0,
            first_error: None,
            secs,
            p50_ms: percentile_ms(&latencies, 50.0),
            p95_ms: percentile_ms(&latencies, 95.0),
            p99_ms: percentile_ms(&latencies, 99.0),
            items_per_request: 0.0,
            bytes_per_request: 0.0,
            concurrency: 0,
        }
    }

    pub fn line(&self) -> String {
        format!(
            "{:<28} {:>10.0}/s  items {:>9}  requests {:>6}  p50 {:>7.1} ms  p95 {:>7.1} ms  p99 {:>7.1} ms  rejected {} throttled {} errors {}{}",
            self.label,
            self.items_per_sec,
            self.items,
            self.requests,
            self.p50_ms,
            self.p95_ms,
            self.p99_ms,
            self.rejected,
            self.throttled,
            self.errors,
            self.first_error.as_deref().map(|e| format!(" (first: {e})")).unwrap_or_default()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let ms: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile_ms(&ms, 50.0), 50.0);
        assert_eq!(percentile_ms(&ms, 95.0), 95.0);
        assert_eq!(percentile_ms(&ms, 99.0), 99.0);
        assert_eq!(percentile_ms(&ms[..1], 99.0), 1.0);
        assert_eq!(percentile_ms(&[], 50.0), 0.0);
    }
}
